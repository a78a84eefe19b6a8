"""switchboard's settings: one frozen object built at start and passed to constructors."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PORT = 8080
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, slots=True)
class CarrierTiming:
    """Delays (seconds) of the built-in carrier between the steps of an outbound message."""

    queued_to_sending: float = 0.05
    sending_to_sent: float = 0.1
    sent_to_delivered: float = 0.4


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database: str = "switchboard.db"
    # The base URL apps use to reach us: media URLs in webhooks and v1 page links use it.
    public_url: str | None = None
    account_sid: str | None = None
    auth_token: str | None = None
    carrier: CarrierTiming = CarrierTiming()
    webhook_concurrency: int = 256
    max_request_bytes: int = 5 * 1024 * 1024

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        if host in {"0.0.0.0", "[::]"}:
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"
