"""switchboard's settings: one frozen object built at start and passed to constructors.

Every default lives here, as a field default of :class:`Config`: the CLI's option defaults and
the components' keyword defaults read them from :data:`DEFAULTS`, so a default is changed in
one place. A setting that cannot work raises :class:`ConfigError`, which the CLI reports as one
line and an exit status.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Final

from switchboard.loopback import is_loopback_name

ALL_INTERFACES = frozenset({"0.0.0.0", "::"})
CONTENT_APPROVAL = frozenset({"auto", "manual"})


class ConfigError(Exception):
    """The configuration cannot work (an unreadable scenarios file, a lease of no length...).

    The message is one line, fit to print as the reason a command stops."""


@dataclass(frozen=True, slots=True)
class CarrierTiming:
    """Delays (seconds) of the built-in carrier between the steps of an outbound message."""

    queued_to_sending: float = 0.05
    sending_to_sent: float = 0.1
    sent_to_delivered: float = 0.4


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    database: str = "switchboard.db"
    # The base URL apps use to reach us: media URLs in webhooks and v1 page links use it.
    public_url: str | None = None
    account_sid: str | None = None
    auth_token: str | None = None
    carrier: CarrierTiming = CarrierTiming()
    webhook_concurrency: int = 256  # jobs (webhooks, callbacks, carrier steps) run at once
    # How long a claimed job stays reserved without a heartbeat: the delay before the jobs of
    # a node that died are picked up by another.
    lease_seconds: float = 60.0
    deliver: bool = True  # False: an API-only node; `switchboard worker` processes deliver
    max_request_bytes: int = 5 * 1024 * 1024
    # With one server process, leases left in the database belong to a dead run and are
    # released at start; with several (--workers), the parent releases them before forking.
    release_leases_on_start: bool = True
    # Carrier: a seed makes SIDs and every random draw reproducible; throughput turns on
    # per-sender queues at Twilio's default rates.
    seed: int | None = None
    throughput: bool = False
    scenarios_file: str | None = None  # JSON: a list of scenarios, loaded at start
    workers: int = 1
    # Caches of what other processes may change: their changes are seen within this long.
    auth_cache_seconds: float = 2.0  # accounts and API keys checked by this process
    scenario_cache_seconds: float = 1.0  # the carrier's scenario book
    health_timeout_seconds: float = 5.0  # how long the database may take to answer /healthz
    # WhatsApp template review (docs/whatsapp.md): "auto" decides a new approval request at once
    # (approved, or rejected when it breaks WhatsApp's published rules); "manual" leaves it
    # "received" until POST /_sim/content/{ContentSid}/approval decides.
    content_approval: str = "auto"
    # Twilio's loop protection (domain/loops.py): the 31st TwiML reply between two numbers in
    # a quick run fails with 14107. The pytest plugin turns it off (PLUGIN_LOOP_PROTECTION).
    loop_protection: bool = True
    # HTTP 3xx answers a webhook follows in a row before 11215 (Twilio publishes no number).
    max_redirects: int = 10
    # serve --twilio-hosts (docs/sdks.md): answer as *.twilio.com through a Twilio-only HTTPS
    # proxy on proxy_port, and on tls_port (if any) as a TLS listener for hosts-file users,
    # with certificates from the local CA in ca_dir (the resolved folder; localca.py).
    twilio_hosts: bool = False
    proxy_port: int = 8081
    tls_port: int | None = None
    ca_dir: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is not between 0 and 65535")
        if self.lease_seconds <= 0:
            raise ConfigError(f"a lease of {self.lease_seconds:g} s cannot be held")
        if self.content_approval not in CONTENT_APPROVAL:
            raise ConfigError(
                f"content approval must be auto or manual, not {self.content_approval!r}"
            )
        if self.webhook_concurrency < 1:
            raise ConfigError("the webhook concurrency must be at least 1")
        if self.workers < 1:
            raise ConfigError("at least one worker process is needed")
        for extra in (self.proxy_port, self.tls_port):
            if extra is not None and not 0 <= extra <= 65535:
                raise ConfigError(f"port {extra} is not between 0 and 65535")
        if self.max_redirects < 0:
            raise ConfigError("the redirect limit cannot be negative")

    def to_env(self) -> str:
        """This config as JSON, for worker processes started by uvicorn."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "carrier"}
        data["carrier"] = asdict(self.carrier)
        return json.dumps(data)

    @classmethod
    def from_env(cls, text: str) -> Config:
        data = json.loads(text)
        data["carrier"] = CarrierTiming(**data.get("carrier", {}))
        return cls(**data)

    @property
    def is_loopback(self) -> bool:
        """Whether the bind is reachable from this machine only."""
        return is_loopback_name(self.host)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self._local_authority(self.port)}"

    @property
    def proxy_url(self) -> str:
        """The Twilio-hosts proxy as clients on this machine name it (their HTTPS_PROXY)."""
        return f"http://{self._local_authority(self.proxy_port)}"

    def _local_authority(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.host in ALL_INTERFACES:
            host = "127.0.0.1"
        return f"{host}:{port}"


DEFAULTS: Final = Config()  # read by whoever needs a default

# The pytest plugin's harness runs on a frozen virtual clock: every reply of a test is made at
# the same instant, so a test sending 31 texts to an app that answers each would hit loop
# protection. Off there unless a test asks for it.
PLUGIN_LOOP_PROTECTION: Final = False

# The handset that texts your numbers when none is named: the dashboard's phone (its From field
# in web/static/index.html), the pytest plugin's ``text()`` and ``switchboard text``. A
# fictional number (555-01xx), so it never reaches a real phone.
DEFAULT_HANDSET: Final = "+15555550123"

# Idle keep-alive connections. A client that keeps one longer than its server can send a request
# just as the server closes it; the request fails with "server disconnected" although the server
# was never down (most likely on a busy machine, where the close is read late). So the side that
# closes first must be the client:
#
# - switchboard's own clients (the webhook transport, SimClient, AsyncSimClient) drop theirs after
#   4 s, before the apps' servers close (uvicorn's and Node's 5 s);
# - switchboard's server keeps one 75 s (nginx's default), past the idle times of the clients
#   pointed at it (aiohttp's 15 s, in the Twilio SDK's async client; httpx's 5 s; Node's 5 s),
#   where uvicorn's own default of 5 s failed the SDK's next request
#   (tests/conformance/test_async_client.py).
CLIENT_IDLE_SECONDS: Final = 4.0
SERVER_IDLE_SECONDS: Final = 75  # uvicorn takes whole seconds
