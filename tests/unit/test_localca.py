"""The local CA (localca.py): made once, private, and able to vouch for Twilio's names only."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import stat
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from switchboard.localca import (
    TRUSTSTORE_PASSWORD,
    CAError,
    LocalCA,
    ca_directory,
    load_or_create,
    new_key,
    write_trust_files,
)


def test_made_once_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "switchboard-ca"
    first = load_or_create(folder)
    again = load_or_create(folder)
    assert again.certificate == first.certificate
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "ca-key.pem").stat().st_mode) == 0o600
    assert first.cert_path.read_bytes() == first.certificate_pem()
    assert b"PRIVATE KEY" not in first.certificate_pem()


def test_processes_starting_together_share_one_ca(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: load_or_create(folder).certificate, range(8)))
    assert all(certificate == made[0] for certificate in made)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca"]  # no staging folder left


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    load_or_create(folder)
    (folder / "ca-key.pem").chmod(0o644)
    with pytest.raises(CAError, match="can be read by other users"):
        load_or_create(folder)


def test_a_damaged_ca_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    load_or_create(folder)
    (folder / "ca.pem").write_text("not a certificate")
    with pytest.raises(CAError, match="cannot read the CA"):
        load_or_create(folder)


def test_where_the_ca_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ca_directory(str(tmp_path / "data" / "sb.db")) == tmp_path / "data" / "switchboard-ca"
    assert ca_directory("x.db", str(tmp_path / "mine")) == tmp_path / "mine"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert ca_directory(":memory:") == tmp_path / "xdg" / "switchboard" / "ca"
    assert ca_directory("postgresql://u@h/db") == tmp_path / "xdg" / "switchboard" / "ca"


def test_the_ca_is_constrained_to_twilio_names(tmp_path: Path) -> None:
    certificate = load_or_create(tmp_path / "ca").certificate
    constraints = certificate.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert constraints.value.permitted_subtrees == [x509.DNSName("twilio.com")]
    basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca
    assert basic.path_length == 0


def _handshake(ca: LocalCA, presented: str, asked: str) -> None:
    """A TLS server presenting a leaf for ``presented``; a client trusting only the CA asks
    for ``asked``. Raises what the client's OpenSSL raises."""
    key = new_key()
    leaf = ca.issue(presented, key, dt.datetime.now(dt.UTC))
    pem = ca.directory / "leaf-test.pem"
    pem.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    )  # fmt: skip
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(pem)
    client = ssl.create_default_context(cafile=str(ca.cert_path))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        outgoing = socket.create_connection(listener.getsockname(), timeout=10)
        incoming, _ = listener.accept()

        def serve() -> None:
            with contextlib.suppress(ssl.SSLError, OSError):
                server.wrap_socket(incoming, server_side=True).close()

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            client.wrap_socket(outgoing, server_hostname=asked).close()
        finally:
            outgoing.close()
            incoming.close()
            thread.join(10)


def test_leaf_certificates_verify_for_twilio_hosts(tmp_path: Path) -> None:
    ca = load_or_create(tmp_path / "ca")
    _handshake(ca, "api.sydney.au1.twilio.com", "api.sydney.au1.twilio.com")


def test_a_certificate_it_signed_for_another_name_is_rejected(tmp_path: Path) -> None:
    """Even a client that trusts the CA rejects what it signs outside twilio.com."""
    ca = load_or_create(tmp_path / "ca")
    with pytest.raises(ssl.SSLCertVerificationError, match=r"(?i)name constraint|permitted"):
        _handshake(ca, "example.com", "example.com")


def test_trust_files_hold_the_ca_and_the_system_roots(tmp_path: Path) -> None:
    ca = load_or_create(tmp_path / "ca")
    write_trust_files(ca)
    bundle = ca.bundle_path.read_bytes()
    assert bundle.startswith(ca.certificate_pem())
    with warnings.catch_warnings():  # some system roots have a negative serial number
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        store = pkcs12.load_pkcs12(ca.truststore_path.read_bytes(), TRUSTSTORE_PASSWORD.encode())
    assert store.key is None
    assert store.additional_certs[0].certificate == ca.certificate
    assert bundle.count(b"BEGIN CERTIFICATE") == len(store.additional_certs)
    ini = (ca.directory / "php" / "switchboard.ini").read_text()
    assert f'curl.cainfo="{ca.bundle_path}"' in ini
