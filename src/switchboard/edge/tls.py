"""TLS server contexts for the Twilio hosts, one per host name, issued from the local CA.

Python's ``ssl`` loads a certificate only from a file, so each leaf is written to a private
temporary file in the CA's own folder (0700), loaded, and removed at once. Every leaf shares
one key made for this run; the CA's key signs and stays in its file.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from switchboard.domain.hosts import TwilioHost, twilio_host
from switchboard.localca import LocalCA, new_key

# Only HTTP/1.1 is served; saying so in ALPN keeps clients from trying HTTP/2.
ALPN = ["http/1.1"]


class LeafContexts:
    """``for_host(host)``: the server context presenting ``host``'s certificate (made once)."""

    def __init__(self, ca: LocalCA) -> None:
        self._ca = ca
        self._key = new_key()
        self._contexts: dict[str, ssl.SSLContext] = {}

    @property
    def ca(self) -> LocalCA:
        return self._ca

    def for_host(self, host: TwilioHost) -> ssl.SSLContext:
        context = self._contexts.get(host.name)
        if context is None:
            context = self._contexts[host.name] = self._new_context(host.name)
        return context

    def _new_context(self, name: str) -> ssl.SSLContext:
        certificate = self._ca.issue(name, self._key, dt.datetime.now(dt.UTC))
        pem = certificate.public_bytes(serialization.Encoding.PEM) + self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        context = _server_context()
        descriptor, path = tempfile.mkstemp(suffix=".pem", dir=self._ca.directory)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
            context.load_cert_chain(path)
        finally:
            Path(path).unlink(missing_ok=True)
        return context

    def sni_context(self) -> ssl.SSLContext:
        """For the TLS listener: the certificate is chosen by the name the client asks for
        (SNI); a name that is not a Twilio host ends the handshake (``unrecognized_name``)."""
        context = _server_context()

        def choose(sock: ssl.SSLObject, name: str | None, _: ssl.SSLContext) -> int | None:
            host = twilio_host(name) if name else None
            if host is None:
                return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
            sock.context = self.for_host(host)
            return None

        context.sni_callback = choose
        return context


def _server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(ALPN)
    return context


__all__ = ["LeafContexts"]
