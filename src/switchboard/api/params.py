"""Reading Twilio-style request parameters: form bodies, query strings, repeated keys.

Twilio's SDKs send ``application/x-www-form-urlencoded`` bodies; names are case-sensitive and
unknown names are ignored. Bodies are size-bounded and malformed ones are a 400, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from switchboard.domain.errors import TwilioError

MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart body, read into memory (bodies are size-bounded)."""

    field: str
    filename: str
    content_type: str | None
    data: bytes


class Params(Mapping[str, str]):
    """An ordered multi-map of request parameters; ``params[name]`` is the first value."""

    __slots__ = ("_first", "_pairs", "files")

    def __init__(self, pairs: Iterable[tuple[str, str]], files: list[Upload] | None = None) -> None:
        self._pairs = list(pairs)
        self._first: dict[str, str] = {}
        for name, value in self._pairs:
            self._first.setdefault(name, value)
        self.files = files or []

    def __getitem__(self, name: str) -> str:
        return self._first[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def pairs(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def text(self, name: str) -> str | None:
        """The value, or None when absent (an empty string stays an empty string)."""
        return self._first.get(name)

    def boolean(self, name: str, default: bool = False) -> bool:
        raw = self._first.get(name)
        if raw is None or raw == "":
            return default
        lowered = raw.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise TwilioError(21000, f"{name} must be true or false, not {raw!r}")


def _unquote_component(text: str) -> str:
    return unquote_plus(text, errors="strict")


# Names and most values repeat from request to request (the numbers, the SIDs): memoised, as
# the webhooks' form encoding is. A long value (a body) is decoded each time.
_unquote_short = lru_cache(maxsize=16384)(_unquote_component)
SHORT_COMPONENT = 64


def parse_form(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, errors="strict")``, pair for pair (a test
    compares them), with each short name and value decoded once: the form body of every
    ``/_sim/inbound`` and API call is read here."""
    pairs = []
    short, length = _unquote_short, SHORT_COMPONENT
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append(
            (
                short(name) if len(name) <= length else _unquote_component(name),
                short(value) if len(value) <= length else _unquote_component(value),
            )
        )
    return pairs


def _decode(raw: bytes) -> list[tuple[str, str]]:
    try:
        pairs = parse_form(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TwilioError(21000, "The request body is not valid UTF-8 form data") from None
    return _without_nul(pairs)


def _without_nul(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # NUL cannot be stored by every backend (PostgreSQL text rejects it): refuse it up front.
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise TwilioError(21000, f"Parameter {name!r} contains a NUL character")
    return pairs


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TwilioError(21000, f"The request body exceeds {limit} bytes", http_status=413)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TwilioError(21000, f"The request body exceeds {limit} bytes", http_status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_params(request: Request, *, allow_json: bool = False) -> Params:
    """Query-string parameters for GET/DELETE; the form body (or JSON object) for POST."""
    if request.method in ("GET", "DELETE", "HEAD"):
        return Params(_without_nul(request.query_params.multi_items()))
    content_type = media_type(request)
    if content_type == "multipart/form-data":
        body = await read_body(request)  # bounded like every other body

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=20, max_fields=2000)
        except Exception:
            raise TwilioError(21000, "The multipart body could not be parsed") from None
        pairs: list[tuple[str, str]] = []
        files: list[Upload] = []
        try:
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    files.append(Upload(name, value.filename or "", value.content_type, data))
                else:
                    pairs.append((name, value))
            _without_nul(pairs)
        finally:
            await form.close()  # temporary files go away whatever the endpoint does
        return Params(pairs, files)
    body = await read_body(request)
    if allow_json and content_type == "application/json":
        return json_params(body)
    return Params(_decode(body))


def media_type(request: Request) -> str:
    """The body's media type, lower case, without parameters (``charset``)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def json_params(body: bytes) -> Params:
    """A JSON object's fields as parameters (a list is a repeated name): the JSON form of a
    form body, for a whole request or one line of an NDJSON stream."""
    return Params(_json_pairs(body))


async def read_json(request: Request) -> dict[str, Any]:
    """A JSON object body (the Content API's requests are JSON, not forms)."""
    data = _json_object(await read_body(request))
    _check_json(data)
    return data


MAX_JSON_DEPTH = 32  # Content's deepest documents are a handful of levels


def _check_json(document: Any) -> None:
    """Refuse NUL characters (PostgreSQL text cannot hold them) and deep nesting (the rules
    that walk a document recurse), walking without recursion."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise TwilioError(21000, f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            if "\x00" in value:
                raise TwilioError(21000, "The request body contains a NUL character")
        elif isinstance(value, dict):
            stack.extend((k, depth) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TwilioError(21000, "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise TwilioError(21000, "The JSON body must be an object")
    return data


def _json_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise TwilioError(21000, "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise TwilioError(21000, "The JSON body must be an object")
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, bool):
                pairs.append((name, "true" if item else "false"))
            elif item is not None:
                pairs.append((name, str(item)))
    return _without_nul(pairs)
