"""``GET /_sim/twilio-hosts``: how a client on this machine reaches the Twilio-hosts mode.

``switchboard env --sdk NAME`` reads it to print an SDK's settings: the proxy URL and the
paths of the CA files (certificates only; the CA's key is never served).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.http import authenticate, json_response
from switchboard.config import Config
from switchboard.domain.errors import TwilioError
from switchboard.domain.hosts import PRODUCTS
from switchboard.localca import BUNDLE_FILE, CERT_FILE, TRUSTSTORE_FILE, TRUSTSTORE_PASSWORD

OFF = "the Twilio-hosts mode is off: start the server with `switchboard serve --twilio-hosts`"


def twilio_hosts_json(config: Config) -> dict[str, object]:
    assert config.ca_dir is not None
    folder = Path(config.ca_dir)
    tls = None
    if config.tls_port is not None:
        tls = config.proxy_url.replace("http://", "").rsplit(":", 1)[0] + f":{config.tls_port}"
    return {
        "proxy_url": config.proxy_url,
        "tls_address": tls,
        "hosts": [f"{product}.twilio.com" for product in PRODUCTS],
        "ca_certificate": str(folder / CERT_FILE),
        "ca_bundle": str(folder / BUNDLE_FILE),
        "java_truststore": str(folder / TRUSTSTORE_FILE),
        "java_truststore_password": TRUSTSTORE_PASSWORD,
    }


def twilio_hosts_route(config: Config) -> Route:
    async def fetch_twilio_hosts(request: Request) -> Response:
        await authenticate(request)
        if not config.twilio_hosts or config.ca_dir is None:
            # Rendered here: the error handler gives every 20404 its generic message.
            return json_response(TwilioError(20404, OFF).to_json(), 404)
        return json_response(twilio_hosts_json(config))

    return Route("/_sim/twilio-hosts", fetch_twilio_hosts, methods=["GET"])


__all__ = ["twilio_hosts_json", "twilio_hosts_route"]
