"""Twilio's hostnames: which names are Twilio's, and which part of the API each one serves.

The SDKs call one host per product (``api.twilio.com``, ``messaging.twilio.com``,
``content.twilio.com``, ``events.twilio.com``) and, with an edge or a region configured, rewrite
it to ``{product}.{edge}.{region}.twilio.com`` or ``{product}.{region}.twilio.com`` (SPEC.md
§22.1). switchboard serves every product from one application, where the paths of the
products do not overlap; a request to a product's host is answered only for that product's
paths, as Twilio's own hosts do (``content.twilio.com/v1/Services`` is a 404 there).

The path table is Twilio's public path space (its OpenAPI descriptions), not the list of what
switchboard implements: a resource added later is reachable on its host with no change here,
and one switchboard lacks is its ordinary 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

TWILIO_DOMAIN: Final = "twilio.com"
HTTPS_PORT: Final = 443

# product -> API version -> the first path segments after it that the product owns. None: the
# whole version (the 2010-04-01 API is api.twilio.com's alone).
PRODUCT_PATHS: Final[dict[str, dict[str, frozenset[str] | None]]] = {
    "api": {"2010-04-01": None},
    "messaging": {
        "v1": frozenset(
            {"Services", "a2p", "Tollfree", "Deactivations", "LinkShortening", "Domains"}
        ),
        "v2": frozenset({"Channels"}),
    },
    "content": {
        "v1": frozenset({"Content", "ContentAndApprovals", "LegacyContent"}),
        "v2": frozenset({"Content", "ContentAndApprovals"}),
    },
    "events": {"v1": frozenset({"Types", "Schemas", "Sinks", "Subscriptions"})},
}
PRODUCTS: Final = tuple(PRODUCT_PATHS)

# One DNS label as the SDKs put an edge or a region in a host (``sydney``, ``sao-paulo``, ``au1``).
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class TwilioHost:
    """A Twilio product host, with the edge and region it names (None where it names none)."""

    name: str
    product: str
    edge: str | None = None
    region: str | None = None

    def serves(self, path: str) -> bool:
        return product_serves(self.product, path)


def twilio_host(host: str) -> TwilioHost | None:
    """The Twilio host ``host`` names (a bare hostname, any case, one trailing dot allowed), or
    None for any other name: ``api.twilio.com``, ``api.au1.twilio.com``,
    ``messaging.sydney.au1.twilio.com`` are; ``twilio.com``, ``www.twilio.com``,
    ``api.twilio.com.evil.example`` and ``a.b.c.api.twilio.com`` are not."""
    name = host.lower().removesuffix(".")
    suffix = f".{TWILIO_DOMAIN}"
    if not name.endswith(suffix):
        return None
    labels = name[: -len(suffix)].split(".")
    product, middle = labels[0], labels[1:]
    if product not in PRODUCT_PATHS or len(middle) > 2:
        return None
    if not all(_LABEL.fullmatch(label) for label in middle):
        return None
    if len(middle) == 2:
        return TwilioHost(name, product, edge=middle[0], region=middle[1])
    if len(middle) == 1:
        return TwilioHost(name, product, region=middle[0])
    return TwilioHost(name, product)


def product_serves(product: str, path: str) -> bool:
    """Whether ``path`` (the request's path, no query) belongs to ``product``'s part of the API."""
    versions = PRODUCT_PATHS.get(product, {})
    if not path.startswith("/"):
        return False
    version, _, rest = path[1:].partition("/")
    if version not in versions:
        return False
    owned = versions[version]
    return owned is None or rest.partition("/")[0] in owned


def connect_target(authority: str) -> TwilioHost | None:
    """The Twilio host of a proxy ``CONNECT host:port`` target: port 443 and a Twilio host only,
    so the proxy never opens a tunnel to anything else."""
    host, colon, port = authority.rpartition(":")
    if not colon or port != str(HTTPS_PORT):
        return None
    return twilio_host(host)


__all__ = [
    "HTTPS_PORT",
    "PRODUCTS",
    "PRODUCT_PATHS",
    "TwilioHost",
    "connect_target",
    "product_serves",
    "twilio_host",
]
