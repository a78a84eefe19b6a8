"""The local certificate authority behind ``serve --twilio-hosts``: made once, kept on this machine.

An SDK that talks to ``https://api.twilio.com`` through switchboard's proxy must be shown a
certificate for that name that it trusts. switchboard makes its own CA the first time it is
asked, in a folder beside the SQLite database (``switchboard-ca/``; for PostgreSQL or an
in-memory database, ``$XDG_DATA_HOME/switchboard/ca``), and issues certificates for the Twilio
hosts from it, in memory, at each start. The folder is the user's alone (0700), the key file
too (0600); a key that others can read is refused rather than used.

The CA can vouch for ``twilio.com`` names only: its certificate carries X.509 name constraints
(RFC 5280 §4.2.1.10) that permit DNS names under ``twilio.com`` and exclude every IP address, so
a client that trusts it (and every mainstream TLS stack enforces the constraints) still rejects
anything else it might sign. It is still a CA for Twilio's names: docs/sdks.md tells users to
trust it per process, never system-wide.

Files in the folder: ``ca.pem`` (the certificate to trust), ``ca-key.pem`` (its key, never
served or printed), ``bundle.pem`` (``ca.pem`` followed by the system's roots, for stacks whose
variable replaces the roots instead of adding to them) and ``truststore.p12`` (the same
certificates as a Java truststore, password ``changeit``), rewritten at each start from the
system's current roots, and ``php/switchboard.ini`` (PHP's ``curl.cainfo`` and
``openssl.cafile`` set to the bundle).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import secrets
import shutil
import ssl
import stat
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from switchboard.domain.hosts import TWILIO_DOMAIN

FOLDER_NAME: Final = "switchboard-ca"
CERT_FILE: Final = "ca.pem"
KEY_FILE: Final = "ca-key.pem"
BUNDLE_FILE: Final = "bundle.pem"
TRUSTSTORE_FILE: Final = "truststore.p12"
PHP_INI: Final = "php/switchboard.ini"  # a PHP_INI_SCAN_DIR folder pointing PHP at bundle.pem
TRUSTSTORE_PASSWORD: Final = "changeit"  # protects nothing secret: the store holds certificates
CA_YEARS: Final = 10
# Leaf certificates live in memory for one run; 397 days is the longest any client accepts.
LEAF_DAYS: Final = 397
# Clocks of clients and containers drift; a certificate valid from yesterday is valid for them.
BACKDATE: Final = dt.timedelta(days=1)


class CAError(Exception):
    """The CA cannot be used (unreadable, readable by others, expired); a line to print."""


def ca_directory(database: str, configured: str | None = None) -> Path:
    """Where the CA of the installation using ``database`` lives: ``configured`` if given,
    beside a SQLite file, else in the user's data folder."""
    if configured:
        return Path(configured).expanduser().resolve()
    if database != ":memory:" and "://" not in database:
        return Path(database).expanduser().resolve().parent / FOLDER_NAME
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "switchboard" / "ca"


@dataclass(frozen=True, slots=True)
class LocalCA:
    directory: Path
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def cert_path(self) -> Path:
        return self.directory / CERT_FILE

    @property
    def bundle_path(self) -> Path:
        return self.directory / BUNDLE_FILE

    @property
    def truststore_path(self) -> Path:
        return self.directory / TRUSTSTORE_FILE

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(
        self, host: str, key: ec.EllipticCurvePrivateKey, now: dt.datetime
    ) -> x509.Certificate:
        """A server certificate for ``host`` (one DNS name) signed by this CA, for ``key``."""
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
        ca_key_id = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + dt.timedelta(days=LEAF_DAYS), self._expiry()))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id.value),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    def _expiry(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signing,
        crl_sign=signing,
        encipher_only=False,
        decipher_only=False,
    )


def new_key() -> ec.EllipticCurvePrivateKey:
    """P-256: accepted by every TLS stack the SDKs use, and made in microseconds."""
    return ec.generate_private_key(ec.SECP256R1())


def _new_certificate(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    # A name of its own per installation, so a user who trusted one can tell it from another.
    label = secrets.token_hex(4)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "switchboard"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"switchboard local CA {label}"),
        ]
    )
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(TWILIO_DOMAIN)],
        excluded_subtrees=[
            x509.IPAddress(ipaddress.ip_network("0.0.0.0/0")),
            x509.IPAddress(ipaddress.ip_network("::/0")),
        ],
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(constraints, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (never briefly readable by others)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _create(directory: Path, now: dt.datetime) -> None:
    """Make the CA in a private temporary folder and move it into place in one rename, so two
    processes starting together end up with one CA (the loser's is discarded)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        staging.chmod(0o700)
        key = new_key()
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(staging / KEY_FILE, key_pem, 0o600)
        certificate = _new_certificate(key, now)
        _write_private(
            staging / CERT_FILE, certificate.public_bytes(serialization.Encoding.PEM), 0o644
        )
        with contextlib.suppress(FileExistsError, OSError):
            staging.rename(directory)  # fails when another process made it first
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load(directory: Path, now: dt.datetime) -> LocalCA:
    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    try:
        mode = key_path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CAError(
                f"the CA key {key_path} can be read by other users: "
                f"`chmod 600 {key_path}` (or delete {directory} to make a new CA)"
            )
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError) as error:
        raise CAError(f"cannot read the CA in {directory}: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != (
        certificate.public_key()
    ):
        raise CAError(f"{key_path} is not the key of {cert_path}; delete {directory}")
    if certificate.not_valid_after_utc <= now + dt.timedelta(days=LEAF_DAYS // 4):
        raise CAError(f"the CA in {directory} expires soon or has expired; delete the folder")
    return LocalCA(directory, certificate, key)


def load_or_create(directory: Path, now: dt.datetime | None = None) -> LocalCA:
    """The CA in ``directory``, made there first if it is not there yet."""
    now = now or dt.datetime.now(dt.UTC)
    if not (directory / KEY_FILE).exists():
        try:
            _create(directory, now)
        except OSError as error:
            raise CAError(f"cannot create a CA in {directory}: {error}") from None
    return _load(directory, now)


def system_roots() -> list[x509.Certificate]:
    """The roots this machine's OpenSSL trusts (empty if it has no bundle file); one that
    cannot be parsed is left out, not the others."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            with contextlib.suppress(OSError):
                return _parse_each(Path(candidate).read_bytes())
    return []


def _parse_each(pem: bytes) -> list[x509.Certificate]:
    marker = b"-----BEGIN CERTIFICATE-----"
    roots = []
    for block in pem.split(marker)[1:]:
        # Some long-lived roots break later rules (a negative serial number): cryptography
        # warns but reads them, and clients still trust them.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            with contextlib.suppress(ValueError):
                roots.append(x509.load_pem_x509_certificate(marker + block))
    return roots


def write_trust_files(ca: LocalCA) -> None:
    """``bundle.pem`` and ``truststore.p12``: this CA and the system's roots, rewritten whole
    (to a temporary name, then renamed) so a reader never sees half a file."""
    roots = [ca.certificate, *system_roots()]
    pem = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in roots)
    entries = [
        pkcs12.PKCS12Certificate(cert, b"switchboard" if index == 0 else f"root-{index}".encode())
        for index, cert in enumerate(roots)
    ]
    store = pkcs12.serialize_java_truststore(
        entries, serialization.BestAvailableEncryption(TRUSTSTORE_PASSWORD.encode())
    )
    ini = ca.directory / PHP_INI
    ini.parent.mkdir(mode=0o700, exist_ok=True)
    settings = f'curl.cainfo="{ca.bundle_path}"\nopenssl.cafile="{ca.bundle_path}"\n'.encode()
    for path, data in ((ca.bundle_path, pem), (ca.truststore_path, store), (ini, settings)):
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        staging.unlink(missing_ok=True)
        _write_private(staging, data, 0o644)
        staging.replace(path)


__all__ = [
    "CAError",
    "LocalCA",
    "ca_directory",
    "load_or_create",
    "new_key",
    "system_roots",
    "write_trust_files",
]
