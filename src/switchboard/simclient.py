"""A client of a running switchboard: the ``/_sim`` control plane, and the REST API by path.

Every ``/_sim`` path and its parameters are written once, in :class:`SimRoutes`, whose methods
build a transport-neutral :class:`SimRequest` and hand it to ``_send``. :class:`SimClient`
(blocking, httpx) and :class:`AsyncSimClient` (asyncio, aiohttp) send it and return the parsed
JSON; :data:`SIM` returns the request itself. An error answer (4xx/5xx) raises
:class:`SimError` carrying Twilio's error JSON; a server that cannot be reached (refused, reset,
timed out) raises :class:`ServerUnreachable`; an NDJSON stream the server ended early (it was
shutting down) raises :class:`StreamEnded`. All are :class:`SimClientError`.

The async client is aiohttp because ``switchboard load`` and the benchmarks drive hundreds of
requests a second from a process sharing the machine with the server: measured there, httpx's
async client spent about four times aiohttp's CPU per request and halved the sending rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

import httpx
import orjson

from switchboard.config import CLIENT_IDLE_SECONDS

if TYPE_CHECKING:
    import aiohttp

# aiohttp is imported by the async client when it is first used: the blocking client (every
# CLI command but ``load``) starts about 0.1 s sooner without it.

FORM = "application/x-www-form-urlencoded"
NDJSON = "application/x-ndjson"
INBOUND = "/_sim/inbound"
Pairs = tuple[tuple[str, str], ...]


class SimClientError(Exception):
    """The request did not succeed."""


class ServerUnreachable(SimClientError):
    """No answer from the server: ``cause`` is the transport's exception."""

    def __init__(self, base_url: str, cause: Exception) -> None:
        self.base_url, self.cause = base_url, cause
        super().__init__(f"cannot reach switchboard at {base_url} ({_described(cause)})")


def _described(cause: Exception) -> str:
    """The cause's type and its own words (``ConnectError: [Errno 111] Connection refused``):
    the type alone does not tell a refused connection from a wrong host or a timeout."""
    words = str(cause).strip()
    return f"{type(cause).__name__}: {words}" if words else type(cause).__name__


class StreamEnded(SimClientError):
    """The server ended an NDJSON stream before its messages ended (it is shutting down): the
    ``answered`` messages were accepted (or answered their errors), the rest were not."""

    def __init__(self, answered: int) -> None:
        self.answered = answered
        super().__init__(
            f"the server ended the stream after {answered} answers (it is shutting down);"
            " the messages after them were not accepted"
        )


class SimError(SimClientError):
    """The server answered 4xx/5xx; ``body`` is its JSON (Twilio's ``code``, ``message``,
    ``more_info``, ``status``), or ``{}`` when the answer was not JSON."""

    def __init__(self, status: int, body: dict[str, Any], text: str) -> None:
        self.status, self.body, self.text = status, body, text
        super().__init__(f"{self.message} (error {self.code}, HTTP {status})")

    @property
    def code(self) -> int:
        return int(self.body.get("code", self.status))

    @property
    def message(self) -> str:
        return str(self.body.get("message", self.text[:200]))


def read_answer(status: int, content: bytes) -> dict[str, Any]:
    """The JSON body of a successful answer; :class:`SimError` for an error answer."""
    try:
        parsed = orjson.loads(content) if content else {}
    except ValueError:
        parsed = None
    body: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    if status >= 400:
        raise SimError(status, body, content.decode("utf-8", "replace"))
    return body


def inbound_fields(
    from_: str, to: str, body: str = "", *, media_urls: Iterable[str] = (), **extras: str
) -> dict[str, Any]:
    """One handset message's fields (``extras``: e.g. ``FromCity``), as a JSON object: a line
    of :meth:`SimClient.inbound_stream` (and, as a form, the body of :meth:`SimRoutes.inbound`)."""
    fields: dict[str, Any] = {"From": from_, "To": to, "Body": body}
    if urls := list(media_urls):
        fields["MediaUrl"] = urls
    return fields | extras


def ndjson_line(fields: Mapping[str, Any]) -> bytes:
    return orjson.dumps(dict(fields)) + b"\n"


def read_line(line: bytes) -> dict[str, Any] | SimError:
    """One answer line of a stream: a Message JSON, or the :class:`SimError` for its line."""
    answer = orjson.loads(line)
    if isinstance(answer, dict) and "sid" in answer:
        return answer
    body = answer if isinstance(answer, dict) else {}
    return SimError(int(body.get("status", 500)), body, line.decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class SimRequest:
    """One request, ready for any HTTP client: the body is already encoded."""

    method: str
    path: str
    params: Pairs = ()
    content: bytes | None = None
    content_type: str | None = None
    wait: float = 0.0  # seconds the server may hold the answer (``Wait``): added to the timeout

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type} if self.content_type else {}

    @property
    def target(self) -> str:
        """The path with its query string."""
        return f"{self.path}?{urlencode(self.params)}" if self.params else self.path


def _form(method: str, path: str, data: Iterable[tuple[str, str]]) -> SimRequest:
    return SimRequest(method, path, content=urlencode(list(data)).encode(), content_type=FORM)


def _json(method: str, path: str, document: Any) -> SimRequest:
    content = orjson.dumps(document)
    return SimRequest(method, path, content=content, content_type="application/json")


def _pairs(params: Mapping[str, object]) -> Pairs:
    return tuple((name, str(value)) for name, value in params.items() if value is not None)


def _seconds(wait: float) -> str | None:
    """``Wait``, to the millisecond; None (no wait) for 0."""
    return f"{wait:.3f}".rstrip("0").rstrip(".") if wait > 0 else None


def _rfc3339(moment: datetime | str | None) -> str | None:
    """``Since``: a datetime (naive means UTC) or the caller's own RFC 3339 text."""
    if not isinstance(moment, datetime):
        return moment
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


R = TypeVar("R")


class SimRoutes(Generic[R]):
    """The control plane's routes (api/control.py ``CONTROL_ROUTES``), one method each."""

    def _send(self, request: SimRequest) -> R:
        raise NotImplementedError

    # Any path (the REST API's 2010-04-01 resources, a next_page_uri) ---------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        data: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> R:
        """``data``: a form body; ``json``: a JSON body (the Content API's requests)."""
        if json is not None:
            return self._send(_json(method, path, dict(json)))
        if data is not None:
            return self._send(_form(method, path, data.items()))
        return self._send(SimRequest(method, path, _pairs(params or {})))

    # Handsets ------------------------------------------------------------------------------

    def inbound(
        self, from_: str, to: str, body: str = "", *, media_urls: Iterable[str] = (),
        **extras: str,
    ) -> R:  # fmt: skip
        """A handset texts one of the account's numbers (``extras``: e.g. ``FromCity``)."""
        fields = inbound_fields(from_, to, body, media_urls=media_urls, **extras)
        data = [(name, value) for name, values in fields.items()
                for value in (values if isinstance(values, list) else [values])]  # fmt: skip
        return self._send(_form("POST", INBOUND, data))

    def short_code(self, short_code: str, *, iso_country: str | None = None) -> R:
        """Provision a short code (5 or 6 digits) for the account: its 2010 ShortCode JSON."""
        data = [("ShortCode", short_code)]
        if iso_country:
            data.append(("IsoCountry", iso_country))
        return self._send(_form("POST", "/_sim/short-codes", data))

    def channel_sender(self, sender: str) -> R:
        """Provision a channel sender (``whatsapp:+1...``, ``rcs:<agent>``): its ``XE...`` sid
        is what a Messaging Service's ChannelSenders take."""
        return self._send(_form("POST", "/_sim/channel-senders", [("Sender", sender)]))

    def exchange(self, message_sid: str) -> R:
        """A message with its timeline, webhook attempts, replies and ``webhook_pending``."""
        return self._send(SimRequest("GET", f"/_sim/messages/{message_sid}"))

    def messages(
        self, *, to: str | None = None, from_: str | None = None, status: str | None = None,
        direction: str | None = None, body: str | None = None,
        since: datetime | str | None = None, limit: int | None = None, wait: float = 0.0,
    ) -> R:  # fmt: skip
        """``{"messages": [...]}`` in Twilio's JSON, newest first (``body`` is a regular
        expression). With ``wait`` seconds (at most 60) the server answers as soon as one
        matches, or with :class:`SimError` 408 (code 20408) when none does in time."""
        params = _pairs({
            "To": to, "From": from_, "Status": status, "Direction": direction, "Body": body,
            "Since": _rfc3339(since), "Limit": limit, "Wait": _seconds(wait),
        })  # fmt: skip
        return self._send(SimRequest("GET", "/_sim/messages", params, wait=wait))

    # The webhook attempt log -------------------------------------------------------------------

    def webhooks(
        self, message_sid: str | None = None, limit: int | None = None, *,
        kind: str | None = None, url: str | None = None, status: int | None = None,
        error_code: int | None = None, failed: bool = False,
        since: datetime | str | None = None, wait: float = 0.0,
    ) -> R:  # fmt: skip
        """``{"webhooks": [...]}``: the newest ``limit`` matching attempts, oldest first
        (``failed``: only those that did not succeed); ``wait`` as for :meth:`messages`."""
        params = _pairs({
            "Limit": limit, "MessageSid": message_sid, "Kind": kind, "Url": url,
            "Status": status, "ErrorCode": error_code, "Failed": "true" if failed else None,
            "Since": _rfc3339(since), "Wait": _seconds(wait),
        })  # fmt: skip
        return self._send(SimRequest("GET", "/_sim/webhooks", params, wait=wait))

    def webhook(self, attempt_sid: str) -> R:
        return self._send(SimRequest("GET", f"/_sim/webhooks/{attempt_sid}"))

    def replay(self, attempt_sid: str) -> R:
        return self._send(SimRequest("POST", f"/_sim/webhooks/{attempt_sid}/replay"))

    # The carrier -------------------------------------------------------------------------------

    def scenarios(self) -> R:
        return self._send(SimRequest("GET", "/_sim/scenarios"))

    def add_scenario(self, rule: Mapping[str, Any]) -> R:
        return self._send(_json("POST", "/_sim/scenarios", dict(rule)))

    def replace_scenarios(self, rules: Iterable[Mapping[str, Any]]) -> R:
        return self._send(_json("PUT", "/_sim/scenarios", [dict(rule) for rule in rules]))

    def clear_scenarios(self) -> R:
        return self._send(SimRequest("DELETE", "/_sim/scenarios"))

    # WhatsApp template review ------------------------------------------------------------------

    def content_approval(
        self, content_sid: str, status: str, rejection_reason: str | None = None
    ) -> R:
        """Decide a template's WhatsApp approval: ``status`` approved or rejected."""
        data = _pairs({"Status": status, "RejectionReason": rejection_reason})
        return self._send(_form("POST", f"/_sim/content/{content_sid}/approval", data))

    # The clock and the slate -------------------------------------------------------------------

    def clock(self) -> R:
        return self._send(SimRequest("GET", "/_sim/clock"))

    def update_clock(
        self, *, freeze: bool | None = None, advance: float | None = None, to: str | None = None
    ) -> R:
        """Freeze/unfreeze, advance by seconds, set ``to`` an ISO 8601 time (in that order)."""
        change = {"Freeze": None if freeze is None else str(freeze).lower(),
                  "Advance": advance, "Set": to}  # fmt: skip
        return self._send(_form("POST", "/_sim/clock", _pairs(change)))

    def reset(self, *, keep_numbers: bool = True) -> R:
        """Delete messages, attempts and jobs (and numbers and services unless keep_numbers)."""
        data = [("KeepNumbers", str(keep_numbers).lower())]
        return self._send(_form("POST", "/_sim/reset", data))


class SimRequests(SimRoutes[SimRequest]):
    """The requests themselves, unsent."""

    def _send(self, request: SimRequest) -> SimRequest:
        return request


SIM = SimRequests()


class SimClient(SimRoutes[dict[str, Any]]):
    """Blocking client; a context manager (or ``close()``) releases its connections."""

    def __init__(
        self, base_url: str, account_sid: str, auth_token: str, *, timeout: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self.http = httpx.Client(
            base_url=self.base_url,
            auth=(account_sid, auth_token),
            timeout=timeout,
            limits=httpx.Limits(  # httpx's default limits, but the idle time
                max_connections=100,
                max_keepalive_connections=20,
                keepalive_expiry=CLIENT_IDLE_SECONDS,
            ),
        )

    def _send(self, request: SimRequest) -> dict[str, Any]:
        try:
            response = self.http.request(
                request.method, request.target, content=request.content, headers=request.headers,
                timeout=self._timeout + request.wait,
            )  # fmt: skip
        except httpx.TransportError as error:
            raise ServerUnreachable(self.base_url, error) from error
        return read_answer(response.status_code, response.content)

    def inbound_stream(
        self, messages: Iterable[Mapping[str, Any]]
    ) -> Iterator[dict[str, Any] | SimError]:
        """Many handset messages in one request (``application/x-ndjson``): each message's
        fields (:func:`inbound_fields`) a line; yields, in the same order, each one's Message
        JSON or the :class:`SimError` of its line. httpx sends the whole body before it reads
        the answer: :meth:`AsyncSimClient.inbound_stream` reads answers while it sends."""
        content = (ndjson_line(fields) for fields in messages)
        headers = {"Content-Type": NDJSON}
        try:
            with self.http.stream("POST", INBOUND, content=content, headers=headers) as response:
                if response.status_code >= 400:
                    read_answer(response.status_code, response.read())  # raises
                for line in response.iter_lines():
                    if line:
                        yield read_line(line.encode())
        except httpx.TransportError as error:
            raise ServerUnreachable(self.base_url, error) from error

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SimClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _StreamProgress:
    """Lines sent and answered on one stream, and a watch that ends the stream when lines wait
    ``silence`` seconds with no answer coming back (a server that hangs would otherwise hold
    the stream forever). Time with every line answered never counts: the sender may pause."""

    def __init__(self, silence: float) -> None:
        self.silence = silence
        self.sent = 0
        self.answered = 0
        self.stall: TimeoutError | None = None  # set when the watch ended the stream

    @contextlib.asynccontextmanager
    async def watching(self, response: Any) -> AsyncIterator[None]:
        watch = asyncio.create_task(self._watch(response))
        try:
            yield
        finally:
            watch.cancel()

    async def _watch(self, response: Any) -> None:
        tick = min(1.0, self.silence / 4)
        answered, quiet_since = self.answered, time.monotonic()
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            if self.answered != answered or self.sent == self.answered:
                answered, quiet_since = self.answered, now  # progress, or nothing to answer
            elif now - quiet_since >= self.silence:
                waiting = self.sent - self.answered
                self.stall = TimeoutError(
                    f"no answer within {self.silence:g} s while {waiting} sent lines waited"
                )
                response.close()  # the reader meets the closed connection and raises
                return


class AsyncSimClient(SimRoutes[Awaitable[dict[str, Any]]]):
    """asyncio client, ``limit`` connections at most; use it as ``async with`` (its connection
    pool belongs to the running event loop)."""

    def __init__(
        self, base_url: str, account_sid: str, auth_token: str, *, timeout: float = 30.0,
        limit: int = 100,
    ) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self._credentials = (account_sid, auth_token)
        self._timeout, self._limit = timeout, limit
        self._session: aiohttp.ClientSession | None = None

    async def _send(self, request: SimRequest) -> dict[str, Any]:
        from aiohttp import ClientError, ClientTimeout

        session = self._session or (await self.__aenter__())._session
        assert session is not None
        url = self.base_url + request.target
        # The session's timeout, longer by what the server may hold this answer (``Wait``).
        timeout = ClientTimeout(total=self._timeout + request.wait) if request.wait else None
        try:
            async with session.request(
                request.method,
                url,
                data=request.content,
                headers=request.headers,
                timeout=timeout or session.timeout,
            ) as response:
                content = await response.read()
        except (ClientError, TimeoutError) as error:
            raise ServerUnreachable(self.base_url, error) from error
        return read_answer(response.status, content)

    async def inbound_stream(
        self, messages: AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]]
    ) -> AsyncIterator[dict[str, Any] | SimError]:
        """Many handset messages in one request (``application/x-ndjson``), sent as
        ``messages`` yields them (an async iterable may pace them): yields, in the same order,
        each one's Message JSON or the :class:`SimError` of its line, as soon as the server has
        stored it, while the rest are still being sent. A stream has no overall timeout (it
        lasts as long as ``messages``, which may pause for as long as it likes); the client's
        timeout bounds the connecting, the wait for the answer to start, and how long a line
        sent may wait with no answer at all coming back (a server that stopped answering raises
        :class:`ServerUnreachable`)."""
        from aiohttp import ClientError, ClientTimeout

        session = self._session or (await self.__aenter__())._session
        assert session is not None

        sent_all = False  # the server ends its answers early only when it shuts down
        progress = _StreamProgress(self._timeout)

        async def body() -> AsyncIterator[bytes]:
            nonlocal sent_all
            if isinstance(messages, AsyncIterable):
                async for fields in messages:
                    progress.sent += 1
                    yield ndjson_line(fields)
            else:
                for fields in messages:
                    progress.sent += 1
                    yield ndjson_line(fields)
            sent_all = True

        timeout = ClientTimeout(total=None, sock_connect=self._timeout)
        headers = {"Content-Type": NDJSON}
        try:
            # The server starts its answer as soon as it has the request: within the timeout.
            post = session.post(
                self.base_url + INBOUND, data=body(), headers=headers, timeout=timeout
            )
            async with await asyncio.wait_for(post, self._timeout) as response:
                if response.status >= 400:
                    read_answer(response.status, await response.read())  # raises
                async with progress.watching(response):
                    async for line in response.content:
                        if line.strip():
                            progress.answered += 1
                            yield read_line(line)
                if progress.stall is not None:  # the watch closed it (the reader saw an end)
                    raise progress.stall
                if not sent_all:
                    raise StreamEnded(progress.answered)
        except (ClientError, TimeoutError) as error:
            raise ServerUnreachable(self.base_url, progress.stall or error) from error

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AsyncSimClient:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": aiohttp.encode_basic_auth(*self._credentials)},
                connector=aiohttp.TCPConnector(
                    limit=self._limit, keepalive_timeout=CLIENT_IDLE_SECONDS
                ),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
