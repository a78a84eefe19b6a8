"""The schema check itself: it covers every route, catches real mistakes, and a full tour passes.

Every other test's responses are validated by the autouse ``recorder`` fixture when the test
ends; these tests make sure that validation is neither vacuous nor blind to a route.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.routing import Route
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList

from switchboard.api.routes import TWILIO_ROUTES
from switchboard.testing import TEST_ACCOUNT_SID

SAMPLE_SIDS = {
    "account_sid": TEST_ACCOUNT_SID,
    "message_sid": "SM" + "a" * 32,
    "service_sid": "MG" + "a" * 32,
    "content_sid": "HX" + "a" * 32,
    "sid": "XX" + "a" * 32,
    "subscription_sid": "DF" + "a" * 32,
    "type": "com.twilio.messaging.message.delivered",
    "id": "Messaging.MessageStatus",
    "schema_version": "8",
}
A = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
JSON = "application/json"


def _concrete(route: Route) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE_SIDS[m.group(1)], route.path)


def _json_routes() -> list[tuple[str, Route]]:
    pairs = []
    for route in TWILIO_ROUTES:
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            if route.path.endswith("/Media/{sid}"):
                continue  # the media bytes: no JSON, no OpenAPI operation
            pairs.append((method, route))
    return pairs


# --- Coverage of the routes ------------------------------------------------------------------


@pytest.mark.parametrize(("method", "route"), _json_routes(), ids=lambda v: getattr(v, "path", v))
def test_every_served_route_has_an_openapi_operation(
    openapi: Any, method: str, route: Route
) -> None:
    operation = openapi.operation(method, _concrete(route))
    assert operation is not None, f"{method} {route.path} has no Twilio operation"
    # Same shape: only the names of the path parameters may differ.
    assert re.sub(r"\{\w+\}", "{}", operation.template) == re.sub(r"\{\w+\}", "{}", route.path)
    expected = {"POST": {"200", "201"}, "PUT": {"200"}, "GET": {"200"}, "DELETE": {"204"}}[method]
    assert expected & set(operation.responses)


def test_the_operation_ids_match_the_handler_names(openapi: Any) -> None:
    """routes.py names handlers after Twilio's operation ids (create_message = CreateMessage)."""
    for method, route in _json_routes():
        operation = openapi.operation(method, _concrete(route))
        handler = route.endpoint.__name__.replace("_", "")
        operation_id = operation.operation_id.lower()
        assert handler.rstrip("s") == operation_id.rstrip("s"), (route.path, operation_id)


# --- The validator catches real mistakes -----------------------------------------------------


def _message(**overrides: Any) -> dict[str, Any]:
    sid = "SM" + "b" * 32
    message = {
        "account_sid": TEST_ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "hi",
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_sent": None,
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+14155550100",
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"{A}/Messages/{sid}/Media.json"},
        "to": "+14155550199",
        "uri": f"{A}/Messages/{sid}.json",
    }
    message.update(overrides)
    return message


def test_a_conforming_message_passes(openapi: Any, make_exchange: Any) -> None:
    good = make_exchange("POST", f"{A}/Messages.json", 201, _message())
    assert openapi.problems(good) == []


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"num_segments": 1}, "num_segments"),  # Twilio types the counts as strings
        ({"num_media": 0}, "num_media"),
        ({"status": "pending"}, "status"),
        ({"direction": "outbound"}, "direction"),
        ({"sid": "XX" + "b" * 32}, "sid"),
        ({"date_created": "2023-08-24T05:01:45Z"}, "date_created"),  # not RFC 2822
        ({"date_updated": "Thu, 24 Aug 2023 07:01:45 +0200"}, "date_updated"),  # not GMT
        ({"error_code": "30003"}, "error_code"),
        ({"subresource_uris": "x"}, "subresource_uris"),
    ],
)
def test_a_wrong_field_is_caught(
    openapi: Any, make_exchange: Any, change: dict[str, Any], needle: str
) -> None:
    bad = make_exchange("GET", f"{A}/Messages/SM{'b' * 32}.json", 200, _message(**change))
    problems = openapi.problems(bad)
    assert problems
    assert any(needle in p for p in problems), problems


def test_a_missing_field_is_caught(openapi: Any, make_exchange: Any) -> None:
    message = _message()
    del message["price_unit"]
    problems = openapi.problems(make_exchange("POST", f"{A}/Messages.json", 201, message))
    assert any("price_unit" in p for p in problems), problems


def test_list_envelopes_allow_exactly_one_records_key(openapi: Any, make_exchange: Any) -> None:
    envelope = {
        "end": 0,
        "first_page_uri": f"{A}/Messages.json?PageSize=50&Page=0",
        "next_page_uri": None,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": None,
        "start": 0,
        "uri": f"{A}/Messages.json?PageSize=50&Page=0",
        "messages": [_message()],
    }
    path = f"{A}/Messages.json"
    assert openapi.problems(make_exchange("GET", path, 200, envelope)) == []
    extra = {**envelope, "total": 1}
    assert openapi.problems(make_exchange("GET", path, 200, extra))
    wrong_item = {**envelope, "messages": [_message(num_segments=2)]}
    assert openapi.problems(make_exchange("GET", path, 200, wrong_item))


def test_v1_dates_are_iso_8601(
    openapi: Any, make_exchange: Any, client: Any, recorder: Any
) -> None:
    created = client.messaging.v1.services.create(friendly_name="probe")
    path = f"/v1/Services/{created.sid}"
    body = json.loads(recorder.exchanges[-1].body)  # the raw JSON the SDK received
    assert openapi.problems(make_exchange("GET", path, 200, body)) == []
    body["date_created"] = "Thu, 24 Aug 2023 05:01:45 +0000"
    assert openapi.problems(make_exchange("GET", path, 200, body))


def test_documented_deviations(
    openapi: Any, make_exchange: Any, client: Any, recorder: Any
) -> None:
    number = client.incoming_phone_numbers.create(phone_number="+14155550100")
    path = f"{A}/IncomingPhoneNumbers/{number.sid}.json"
    body = json.loads(recorder.exchanges[-1].body)
    for value in ("", None, "AP" + "c" * 32):
        body["sms_application_sid"] = value
        assert openapi.problems(make_exchange("GET", path, 200, body)) == [], value
    body["sms_application_sid"] = "not-an-app"
    assert openapi.problems(make_exchange("GET", path, 200, body))
    body["sms_application_sid"] = ""
    body["uri"] = "/relative/is/fine.json"  # format: uri is not enforced (relative in Twilio)
    assert openapi.problems(make_exchange("GET", path, 200, body)) == []


def test_a_twilio_error_passes(openapi: Any, make_exchange: Any) -> None:
    error = {
        "code": 21604,
        "message": "A 'To' phone number is required.",
        "more_info": "https://www.twilio.com/docs/errors/21604",
        "status": 400,
    }
    assert openapi.problems(make_exchange("POST", f"{A}/Messages.json", 400, error)) == []
    with_details = {**error, "details": {"field": "To"}}
    assert openapi.problems(make_exchange("POST", f"{A}/Messages.json", 400, with_details)) == []


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (400, {"code": 21604, "message": "x", "more_info": "x", "status": 400}, JSON),
        (400, {"code": 21604, "message": "x", "status": 400}, JSON),
        (
            400,
            {
                "code": 21604,
                "message": "x",
                "more_info": "https://www.twilio.com/docs/errors/21604",
                "status": 404,
            },
            JSON,
        ),
        (404, "Not Found", "text/plain"),
        (500, {"code": "oops"}, JSON),
        (204, "{}", JSON),
        (200, _message(), "text/html"),
    ],
)
def test_bad_errors_and_wrappers_are_caught(
    openapi: Any, make_exchange: Any, status: int, body: Any, content_type: str
) -> None:
    ex = make_exchange("POST", f"{A}/Messages.json", status, body, content_type)
    assert openapi.problems(ex)


def test_an_undocumented_success_is_caught(openapi: Any, make_exchange: Any) -> None:
    assert openapi.problems(make_exchange("GET", f"{A}/Calls.json", 200, {}))
    assert openapi.problems(make_exchange("POST", f"{A}/Messages.json", 202, _message()))


# --- A tour of every operation, all validated ------------------------------------------------


def test_tour_of_every_operation_validates(
    client: Any, raw: Any, recorder: Any, openapi: Any, wait_for_status: Any, receiver: Any
) -> None:
    sub = client.api.accounts.create(friendly_name="tour")
    client.api.accounts.list()
    client.api.accounts(sub.sid).fetch()
    client.api.accounts(sub.sid).update(friendly_name="tour 2")
    key = client.new_keys.create(friendly_name="tour")
    client.keys.list()
    client.keys(key.sid).fetch()
    client.keys(key.sid).update(friendly_name="tour 2")
    client.keys(key.sid).delete()

    number = client.incoming_phone_numbers.create(phone_number="+14155550100")
    spare = client.incoming_phone_numbers.create(area_code="415")
    client.incoming_phone_numbers.list(phone_number="+14155550100")
    client.incoming_phone_numbers(number.sid).fetch()
    client.incoming_phone_numbers(number.sid).update(sms_url="https://example.com/sms")

    service = client.messaging.v1.services.create(friendly_name="tour")
    client.messaging.v1.services.list()
    client.messaging.v1.services(service.sid).fetch()
    client.messaging.v1.services(service.sid).update(sticky_sender=True)
    pool = client.messaging.v1.services(service.sid).phone_numbers
    pool.create(phone_number_sid=spare.sid)
    pool.list()
    pool(spare.sid).fetch()

    # The other pool sub-resources, and the account's short codes (2010).
    code_sid = raw.post("/_sim/short-codes", data={"ShortCode": "12345"}).json()["sid"]
    client.api.account.short_codes.list()
    client.api.account.short_codes(code_sid).fetch()
    client.api.account.short_codes(code_sid).update(sms_url="https://example.com/sc")
    channel_sid = raw.post("/_sim/channel-senders", data={"Sender": "whatsapp:+14155550123"})
    channel_sid = channel_sid.json()["sid"]
    svc = client.messaging.v1.services(service.sid)
    svc.short_codes.create(short_code_sid=code_sid)
    svc.short_codes.list()
    svc.short_codes(code_sid).fetch()
    alpha = svc.alpha_senders.create(alpha_sender="Tour")
    svc.alpha_senders.list()
    svc.alpha_senders(alpha.sid).fetch()
    local = svc.destination_alpha_senders.create(alpha_sender="TourFR", iso_country_code="FR")
    svc.destination_alpha_senders.list(iso_country_code="FR")
    svc.destination_alpha_senders(local.sid).fetch()
    svc.channel_senders.create(sid=channel_sid)
    svc.channel_senders.list()
    svc.channel_senders(channel_sid).fetch()
    svc.short_codes(code_sid).delete()
    svc.alpha_senders(alpha.sid).delete()
    svc.destination_alpha_senders(local.sid).delete()
    svc.channel_senders(channel_sid).delete()

    message = client.messages.create(
        to="+14155550199", from_="+14155550100", body="tour", media_url=["https://e.com/a.gif"]
    )
    client.messages.create(to="+14155550199", messaging_service_sid=service.sid, body="svc")
    client.messages.list(to="+14155550199")
    client.messages(message.sid).fetch()
    client.messages(message.sid).update(body="")
    media = client.messages(message.sid).media.list()
    client.messages(message.sid).media(media[0].sid).fetch()
    assert raw.get(f"{A}/Messages/{message.sid}/Media/{media[0].sid}").status_code == 302
    client.messages(message.sid).media(media[0].sid).delete()
    client.messages(message.sid).feedback.create(outcome="confirmed")
    wait_for_status(message.sid, "delivered")
    client.messages(message.sid).delete()

    contents = client.content.v1.contents
    request = {
        "language": "en",
        "variables": {"1": "Ada"},
        "types": {"twilio/text": {"body": "Hi {{1}}"}},
    }
    template = contents.create(
        ContentList.ContentCreateRequest({"friendly_name": "tour", **request})
    )
    contents.list()
    contents(template.sid).fetch()
    contents(template.sid).update(ContentList.ContentUpdateRequest(request))
    approval = ApprovalCreateList.ContentApprovalRequest({"name": "tour", "category": "UTILITY"})
    contents(template.sid).approval_create.create(approval)
    contents(template.sid).approval_fetch().fetch()
    client.content.v1.content_and_approvals.list()
    client.content.v1.legacy_contents.list()
    contents(template.sid).delete()

    pool(spare.sid).delete()
    client.messaging.v1.services(service.sid).delete()
    client.incoming_phone_numbers(number.sid).delete()

    events = client.events.v1
    sink = events.sinks.create(
        description="tour",
        sink_configuration={"destination": receiver.url("/events")},
        sink_type="webhook",
    )
    events.sinks.list()
    events.sinks(sink.sid).fetch()
    events.sinks(sink.sid).update(description="tour 2")
    events.sinks(sink.sid).sink_test.create()
    [test] = receiver.wait_for_events("/events", lambda found: len(found) == 1)
    events.sinks(sink.sid).sink_validate.create(test_id=test["data"]["test_id"])
    delivered = "com.twilio.messaging.message.delivered"
    subscription = events.subscriptions.create(
        description="tour", sink_sid=sink.sid, types=[{"type": delivered}]
    )
    events.subscriptions.list()
    events.subscriptions(subscription.sid).fetch()
    events.subscriptions(subscription.sid).update(description="tour 2")
    subscribed = events.subscriptions(subscription.sid).subscribed_events
    subscribed.create(type="com.twilio.messaging.message.sent")
    subscribed.list()
    subscribed(delivered).fetch()
    subscribed(delivered).update(schema_version=7)
    subscribed(delivered).delete()
    events.event_types.list()
    events.event_types(delivered).fetch()
    events.schemas("Messaging.MessageStatus").fetch()
    events.schemas("Messaging.MessageStatus").versions.list()
    events.schemas("Messaging.MessageStatus").versions(8).fetch()
    events.subscriptions(subscription.sid).delete()
    events.sinks(sink.sid).delete()

    seen = {
        openapi.operation(ex.method, ex.path).operation_id
        for ex in recorder.exchanges
        if openapi.operation(ex.method, ex.path) is not None and ex.status < 300
    }
    served = {openapi.operation(m, _concrete(r)).operation_id for m, r in _json_routes()}
    assert served - seen == set()
    problems = [p for ex in recorder.exchanges for p in openapi.problems(ex)]
    assert problems == []
