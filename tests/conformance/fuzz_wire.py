"""How the fuzzer's cases (fuzz_cases.py) reach the server and what comes back: raw HTTP/1.1
over one socket (:class:`Wire`), the resources a case refers to, built over the same wire
(:class:`World`), a case rendered into bytes (:func:`render`), and the limits a reply is held
to (:data:`HEALTH_DEADLINE`, uvicorn's own 400 for an overlong request target).
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fuzz_cases import CLOSED_PORT_URL, Case, Ref, Value
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

HEALTH_DEADLINE = 5.0  # seconds; generous for a loaded 2-core machine, a hang is minutes


@dataclass(slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Wire:
    """Raw HTTP/1.1 over one keep-alive socket, reconnecting when the server closed it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Reply:
        head = [f"{method} {target} HTTP/1.1".encode(), f"Host: 127.0.0.1:{self.port}".encode()]
        head += [name + b": " + value for name, value in headers]
        head.append(f"Content-Length: {len(body)}".encode())
        request = b"\r\n".join(head) + b"\r\n\r\n" + body
        for attempt in (1, 2):
            reused = self.sock is not None
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
            started = time.monotonic()
            try:
                self.sock.sendall(request)
                response = http.client.HTTPResponse(self.sock, method=method)
                response.begin()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if reused and attempt == 1:
                    continue  # the server closed the idle connection (e.g. after an error)
                raise
            if response.will_close:
                self.close()
            headers_out = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, headers_out, data, time.monotonic() - started)
        raise AssertionError("unreachable")


def basic(username: str, password: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{username}:{password}".encode())


@dataclass
class World:
    """The resources the cases refer to, rebuilt after a request that may have changed them."""

    wire: Wire
    sids: dict[tuple[str, str], str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    stale: bool = True

    next_code: int = 100000

    def short_code(self, auth: bytes) -> Any:
        """A short code no one holds yet (the world may be built again on the same server)."""
        headers = [
            (b"Authorization", auth),
            (b"Content-Type", b"application/x-www-form-urlencoded"),
        ]
        while self.next_code <= 999999:
            body = urlencode({"ShortCode": str(self.next_code)}).encode()
            self.next_code += 1
            reply = self.wire.send("POST", "/_sim/short-codes", headers, body)
            if reply.status != 409:
                assert reply.status == 201, reply
                return json.loads(reply.body)
        raise AssertionError("no short code left")

    def call(self, method: str, path: str, auth: bytes, **data: str) -> Any:
        body = urlencode(data).encode()
        headers = [
            (b"Authorization", auth),
            (b"Content-Type", b"application/x-www-form-urlencoded"),
        ]
        reply = self.wire.send(method, path, headers, body)
        assert reply.status < 300, (
            f"setting up: {method} {path} -> {reply.status} {reply.body[:300]!r}"
        )
        return json.loads(reply.body) if reply.body else None

    def build(self) -> None:
        main = basic(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
        sids = {("account", "main"): TEST_ACCOUNT_SID}
        base = "/2010-04-01/Accounts"
        for owner in ("sub", "other"):
            account = self.call("POST", f"{base}.json", main, FriendlyName=owner)
            sids[("account", owner)] = account["sid"]
            self.secrets[owner] = account["auth_token"]
        for owner in ("main", "sub", "other"):
            a = f"{base}/{sids[('account', owner)]}"
            auth = main if owner == "main" else basic(sids[("account", owner)], self.secrets[owner])
            number = self.call(
                "POST",
                f"{a}/IncomingPhoneNumbers.json",
                main,
                AreaCode="415",
                SmsUrl=CLOSED_PORT_URL,
            )
            sids[("number", owner)], sids[("phone", owner)] = number["sid"], number["phone_number"]
            service = self.call("POST", "/v1/Services", auth, FriendlyName=owner)
            sids[("service", owner)] = service["sid"]
            self.call(
                "POST",
                f"/v1/Services/{service['sid']}/PhoneNumbers",
                auth,
                PhoneNumberSid=number["sid"],
            )
            held = self.short_code(auth)
            code = held["short_code"]
            sids[("short_code", owner)] = held["sid"]
            pool = f"/v1/Services/{service['sid']}"
            self.call("POST", f"{pool}/ShortCodes", auth, ShortCodeSid=held["sid"])
            alpha = self.call("POST", f"{pool}/AlphaSenders", auth, AlphaSender="Fuzz")
            sids[("alpha", owner)] = alpha["sid"]
            channel = self.call("POST", "/_sim/channel-senders", auth, Sender=f"rcs:fuzz_{code}")
            sids[("channel", owner)] = channel["sid"]
            self.call("POST", f"{pool}/ChannelSenders", auth, Sid=channel["sid"])
            message = self.call(
                "POST",
                f"{a}/Messages.json",
                main,
                To="+14155550199",
                From=number["phone_number"],
                Body="fuzz",
                MediaUrl="https://127.0.0.1:9/a.jpg",
            )
            sids[("message", owner)] = message["sid"]
            media = self.call("GET", f"{a}/Messages/{message['sid']}/Media.json", main)
            sids[("media", owner)] = media["media_list"][0]["sid"]
            key = self.call("POST", f"{a}/Keys.json", main, FriendlyName=owner)
            sids[("key", owner)] = key["sid"]
            self.secrets[f"key {owner}"] = key["secret"]
            self.call(
                "POST",
                "/_sim/inbound",
                main,
                From="+14155550199",
                To=number["phone_number"],
                Body="hi",
            )
            attempts = self.call("GET", "/_sim/webhooks?Limit=1", main)["webhooks"]
            sids[("attempt", owner)] = attempts[0]["sid"] if attempts else "WA" + "0" * 32
        self.sids = sids
        self.stale = False

    def resolve(self, value: Value) -> str:
        return self.sids[(value.kind, value.owner)] if isinstance(value, Ref) else value

    def authorization(self, case: Case) -> bytes | None:
        if case.auth == "main":
            return basic(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
        if case.auth == "sub":
            return basic(self.sids[("account", "sub")], self.secrets["sub"])
        if case.auth == "key":
            return basic(self.sids[("key", "main")], self.secrets["key main"])
        if case.auth == "wrong token":
            return basic(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN[:-1] + "x")
        if case.auth == "malformed":
            return case.malformed
        return None


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?")[0]


def _encode(text_value: str) -> bytes:
    return text_value.encode("utf-8", "surrogatepass")


def render(case: Case, world: World) -> Request:
    path = case.op.template
    for name, value in case.path:
        segment = world.resolve(value)
        if isinstance(value, Ref) or "%" not in segment:
            segment = quote(_encode(segment), safe="")
        path = path.replace("{" + name + "}", segment)
    pairs = [(_encode(n), _encode(world.resolve(v))) for n, v in case.params]
    headers: list[tuple[bytes, bytes]] = []
    auth = world.authorization(case)
    if auth is not None:
        headers.append((b"Authorization", auth))
    body = b""
    query = ""
    if case.op.in_query:
        query = urlencode(pairs)
    elif case.encoding in ("form", "odd"):
        body = urlencode(pairs).encode()
        content_type = (
            "application/x-www-form-urlencoded" if case.encoding == "form" else case.odd_type
        )
        headers.append((b"Content-Type", content_type.encode()))
    elif case.encoding == "json":
        document: Any = case.scenario
        if document is None:
            document = {}
            for name, value in case.params:
                document.setdefault(name, []).append(world.resolve(value))
            document = {k: v[0] if len(v) == 1 else v for k, v in document.items()}
        body = json.dumps(document).encode()
        headers.append((b"Content-Type", b"application/json"))
    elif case.encoding.startswith("multipart"):
        parts = [
            b'--B\r\nContent-Disposition: form-data; name="' + n + b'"\r\n\r\n' + v + b"\r\n"
            for n, v in pairs
        ]
        if case.encoding == "multipart+file":
            parts.append(
                b'--B\r\nContent-Disposition: form-data; name="MediaUrl"; filename="x.bin"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\n" + b"\x00\xff" * 500 + b"\r\n"
            )
        body = b"".join(parts) + b"--B--\r\n"
        headers.append((b"Content-Type", b"multipart/form-data; boundary=B"))
    elif case.encoding == "raw":
        body = case.raw
        headers.append((b"Content-Type", b"application/x-www-form-urlencoded"))
    if case.raw_query:
        query = f"{query}&{case.raw_query}" if query else case.raw_query
    target = f"{path}?{query}" if query else path
    return Request(case.op.method, target, headers, body)


def mutates(case: Case, reply: Reply) -> bool:
    """Whether a successful request may have removed or changed what the world refers to."""
    if reply.status >= 300 or case.op.method == "GET":
        return False
    return not (
        case.op.name in ("SimInbound", "SimUpdateClock", "SimReplayWebhook")
        or case.op.name.startswith("Create")
    )


# uvicorn's HTTP parser refuses a request line whose target exceeds 64 KiB with its own
# plain-text 400 before switchboard sees the request (docs/api.md, "Limits").
MAX_TARGET = 65_535
URL_TOO_LONG = b"Invalid HTTP request received."


def is_overlong_target(request: Request, reply: Reply) -> bool:
    return len(request.target) > MAX_TARGET and reply.status == 400 and reply.body == URL_TOO_LONG
