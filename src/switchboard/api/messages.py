"""Messages and their Media (2010-04-01)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.http import json_response, no_content, path_account, services
from switchboard.api.paging import fetch_page, page_query, v2010_envelope
from switchboard.api.params import Params, read_params
from switchboard.api.render import feedback_json, media_json, message_json
from switchboard.domain.errors import TwilioError
from switchboard.ports import MessageFilter
from switchboard.services.messages import CreateMessage

DATE_FILTERS = ("DateSent", "DateSent<", "DateSent>")
_TEXT_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S")


def parse_filter_date(name: str, raw: str) -> datetime:
    """Dates as Twilio's list filters accept them: a day, ISO 8601, RFC 2822 and a few more."""
    text = raw.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        loose = _parse_loose(text)
        if loose is None:
            raise TwilioError(21000, f"{name} is not a valid date: {raw!r}") from None
        moment = loose
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_loose(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    bare = text.rsplit(" ", 1)[0] if text[-3:].isalpha() else text  # "... MST": zone dropped
    for fmt in _TEXT_FORMATS:
        try:
            return datetime.strptime(bare, fmt)
        except ValueError:
            continue
    return None


def _later(moment: datetime, span: timedelta) -> datetime | None:
    """``moment + span``; None (no bound) past the last representable date (9999-12-31)."""
    try:
        return moment + span
    except OverflowError:
        return None


def message_filter(params: Params) -> tuple[MessageFilter, list[tuple[str, str]]]:
    echoed: list[tuple[str, str]] = []
    to, from_ = params.text("To") or None, params.text("From") or None
    for name, value in (("To", to), ("From", from_)):
        if value:
            echoed.append((name, value))
    on_or_after: datetime | None = None
    before: datetime | None = None
    for name in DATE_FILTERS:
        raw = params.text(name)
        if not raw:
            continue
        echoed.append((name, raw))
        moment = parse_filter_date(name, raw)
        day_only = len(raw.strip()) == 10
        if name == "DateSent":
            on_or_after, before = moment, _later(moment, timedelta(days=1))
        elif name == "DateSent>":
            on_or_after = moment
        else:  # DateSent< is "on or before": a whole day when only a day is given
            before = _later(moment, timedelta(days=1) if day_only else timedelta(microseconds=1))
    return MessageFilter(to, from_, on_or_after, before), echoed


async def create_message(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    create = CreateMessage(
        to=params.text("To"),
        from_=params.text("From"),
        fallback_from=params.text("FallbackFrom"),
        messaging_service_sid=params.text("MessagingServiceSid"),
        body=params.text("Body"),
        media_urls=[url for url in params.getlist("MediaUrl") if url],
        status_callback=params.text("StatusCallback"),
        validity_period=params.text("ValidityPeriod"),
        send_at=params.text("SendAt"),
        schedule_type=params.text("ScheduleType"),
        smart_encoded=params.boolean("SmartEncoded"),
        content_sid=params.text("ContentSid"),
        content_variables=params.text("ContentVariables"),
        send_as_mms=params.boolean("SendAsMms"),
        provide_feedback=params.boolean("ProvideFeedback"),
        content_retention=params.text("ContentRetention"),
        address_retention=params.text("AddressRetention"),
        attempt=params.text("Attempt"),
        risk_check=params.text("RiskCheck"),
        traffic_type=params.text("TrafficType"),
    )
    message = await services(request).messages.create(account, create)
    return json_response(message_json(message), 201)


async def list_messages(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    query = page_query(params)
    filters, echoed = message_filter(params)
    messages = services(request).messages
    page = await fetch_page(query, lambda p: messages.list(account, filters, p), lambda m: m.sid)
    body = v2010_envelope(
        "messages", [message_json(m) for m in page.items], page, query, request.url.path,
        echoed, lambda m: m.sid,
    )  # fmt: skip
    return json_response(body)


async def fetch_message(request: Request) -> Response:
    account = await path_account(request)
    message = await services(request).messages.get(account, request.path_params["sid"])
    return json_response(message_json(message))


async def update_message(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    message = await services(request).messages.update(
        account, request.path_params["sid"], params.text("Body"), params.text("Status")
    )
    return json_response(message_json(message))


async def delete_message(request: Request) -> Response:
    account = await path_account(request)
    await services(request).messages.delete(account, request.path_params["sid"])
    return no_content()


async def create_message_feedback(request: Request) -> Response:
    """Message Feedback: answers 200, not 201 (SPEC §21.1)."""
    account = await path_account(request)
    params = await read_params(request)
    feedback = await services(request).messages.feedback(
        account, request.path_params["message_sid"], params.text("Outcome")
    )
    return json_response(feedback_json(feedback))


async def list_media(request: Request) -> Response:
    account = await path_account(request)
    params = await read_params(request)
    query = page_query(params)
    message_sid = request.path_params["message_sid"]
    messages = services(request).messages
    page = await fetch_page(
        query, lambda p: messages.list_media(account, message_sid, p), lambda m: m.sid
    )
    body = v2010_envelope(
        "media_list", [media_json(m) for m in page.items], page, query, request.url.path, [],
        lambda m: m.sid,
    )  # fmt: skip
    return json_response(body)


async def fetch_media(request: Request) -> Response:
    account = await path_account(request)
    path = request.path_params
    media = await services(request).messages.get_media(account, path["message_sid"], path["sid"])
    return json_response(media_json(media))


async def delete_media(request: Request) -> Response:
    account = await path_account(request)
    path = request.path_params
    await services(request).messages.delete_media(account, path["message_sid"], path["sid"])
    return no_content()
