"""The assertion API (``GET /_sim/messages``, ``GET /_sim/webhooks``) through a real server:
every filter, the order, the caller's scope, ``Wait`` answering with the match that arrives or
408, and a 400 for every parameter it cannot understand."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from switchboard.testing import sdk_client

OURS = "+14155550100"
OTHER_NUMBER = "+14155550102"
HANDSET = "+14155550199"
OTHER_HANDSET = "+14155550198"
WAIT = 30  # seconds: what a waiting request may take at most on a busy machine


def get(http: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return http.get(path, params=params, timeout=WAIT + 15)


def found(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = get(http, "/_sim/messages", **params)
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def bodies(http: httpx.Client, **params: Any) -> list[str]:
    return [m["body"] for m in found(http, **params)]


def attempts(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = get(http, "/_sim/webhooks", **params)
    assert response.status_code == 200, response.text
    webhooks: list[dict[str, Any]] = response.json()["webhooks"]
    return webhooks


def assert_twilio_error(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["message"]
    assert body["more_info"].endswith(str(code))
    return body


@pytest.fixture
def conversation(sim: Any) -> dict[str, str]:
    """Two handsets text our number, then we answer one through the REST API."""
    sim.number(OURS)
    first = sim.inbound("your code is 1234", from_=HANDSET)["sid"]
    second = sim.inbound("hello there", from_=OTHER_HANDSET)["sid"]
    sent = sim.client.messages.create(to=HANDSET, from_=OURS, body="reply 5678").sid
    return {"first": first, "second": second, "sent": sent}


# --- Messages: filters and order ---------------------------------------------------------------


def test_messages_newest_first_in_twilio_json(sim, conversation):
    listed = found(sim.http)
    assert [m["sid"] for m in listed] == [
        conversation["sent"], conversation["second"], conversation["first"]
    ]  # fmt: skip
    # The same renderer as the REST API: the record is what a fetch answers.
    path = f"/2010-04-01/Accounts/{sim.client.account_sid}/Messages/{conversation['second']}.json"
    assert listed[1] == sim.http.get(path).json()


def test_messages_filter_by_to_from_direction_and_status(sim, conversation):
    assert bodies(sim.http, To=OURS) == ["hello there", "your code is 1234"]
    assert bodies(sim.http, To=HANDSET) == ["reply 5678"]
    assert bodies(sim.http, From=OTHER_HANDSET) == ["hello there"]
    assert bodies(sim.http, From=OURS, To=HANDSET) == ["reply 5678"]
    assert bodies(sim.http, Direction="inbound") == ["hello there", "your code is 1234"]
    assert bodies(sim.http, Direction="outbound-api") == ["reply 5678"]
    assert bodies(sim.http, Direction="outbound-reply") == []
    assert bodies(sim.http, Status="received") == ["hello there", "your code is 1234"]
    assert bodies(sim.http, Status="received", From=HANDSET) == ["your code is 1234"]
    assert bodies(sim.http, To="+14155550000") == []


def test_messages_filter_by_body_regular_expression(sim, conversation):
    assert bodies(sim.http, Body=r"\d{4}") == ["reply 5678", "your code is 1234"]
    assert bodies(sim.http, Body="^hello") == ["hello there"]
    assert bodies(sim.http, Body="(?i)HELLO") == ["hello there"]
    assert bodies(sim.http, Body="^there") == []  # search, anchored at the start here
    code = found(sim.http, To=OURS, Body=r"code is (\d+)")[0]["body"]
    assert code.endswith("1234")


def test_messages_limit_keeps_the_newest(sim, conversation):
    assert [m["sid"] for m in found(sim.http, Limit=1)] == [conversation["sent"]]
    assert bodies(sim.http, Limit=2, Direction="inbound") == ["hello there", "your code is 1234"]
    assert bodies(sim.http, Limit=1, Body=r"\d") == ["reply 5678"]


def test_messages_since_is_the_creation_time(sim):
    sim.number(OURS)
    clock = sim.http.post("/_sim/clock", data={"Freeze": "true", "Set": "2030-01-01T00:00:00Z"})
    assert clock.status_code == 200, clock.text
    sim.inbound("early")
    sim.http.post("/_sim/clock", data={"Set": "2030-01-02T00:00:00Z"})
    sim.inbound("late")
    assert bodies(sim.http, Since="2030-01-01T12:00:00Z") == ["late"]
    assert bodies(sim.http, Since="2030-01-01T13:00:00+01:00") == ["late"]  # the same instant
    assert bodies(sim.http, Since="2030-01-02T00:00:00Z") == ["late"]  # at or after
    assert bodies(sim.http, Since="2030-01-02T00:00:00.000001Z") == []
    assert bodies(sim.http, Since="2029-12-31T23:59:59.5Z") == ["late", "early"]


# --- Scope -------------------------------------------------------------------------------------


def test_messages_are_scoped_to_the_caller(server, sim):
    sim.number(OURS)
    mine = sim.inbound("to the main account")["sid"]
    tenant = sim.client.api.accounts.create(friendly_name="tenant")
    tenant_client = sdk_client(server, tenant.sid, tenant.auth_token)
    tenant_client.incoming_phone_numbers.create(phone_number=OTHER_NUMBER)
    theirs = sim.inbound("to the subaccount", to=OTHER_NUMBER)["sid"]
    key = sim.client.new_keys.create(friendly_name="ci")

    as_tenant = httpx.Client(base_url=server.base_url, auth=(tenant.sid, tenant.auth_token))
    as_key = httpx.Client(base_url=server.base_url, auth=(key.sid, key.secret))
    with as_tenant, as_key:
        # The account's own credentials see its subaccounts too; a subaccount only itself.
        assert [m["sid"] for m in found(sim.http)] == [theirs, mine]
        assert [m["sid"] for m in found(as_tenant)] == [theirs]
        assert found(as_tenant, To=OURS) == []
        # An API key sees only its own account.
        assert [m["sid"] for m in found(as_key)] == [mine]
        # Waiting does not see across the line either.
        assert_twilio_error(get(as_tenant, "/_sim/messages", To=OURS, Wait=1), 408, 20408)


def test_webhooks_are_scoped_to_the_caller(server, sim, receiver, closed_url):
    tenant = sim.client.api.accounts.create(friendly_name="tenant")
    tenant_client = sdk_client(server, tenant.sid, tenant.auth_token)
    # (the receiver checks the main account's signatures: the tenant's app is elsewhere)
    tenant_client.incoming_phone_numbers.create(
        phone_number=OTHER_NUMBER, sms_url=closed_url("/tenant")
    )
    sim.number(OURS, sms_url=receiver.url("/main"))
    mine = sim.inbound("main")["sid"]
    theirs = sim.inbound("tenant", to=OTHER_NUMBER)["sid"]
    sim.settled(mine)
    sim.settled(theirs)
    with httpx.Client(base_url=server.base_url, auth=(tenant.sid, tenant.auth_token)) as http:
        assert {a["message_sid"] for a in attempts(http)} == {theirs}  # retried: 2 attempts
        assert attempts(http, MessageSid=mine) == []
    assert {a["message_sid"] for a in attempts(sim.http)} == {mine, theirs}


# --- Wait ----------------------------------------------------------------------------------------


def test_wait_answers_with_the_message_that_arrives(sim):
    sim.number(OURS)
    sim.inbound("not this one")
    started = threading.Event()

    def wait_for_code() -> httpx.Response:
        started.set()
        return get(sim.http, "/_sim/messages", To=OURS, Body=r"code: \d{6}", Wait=WAIT)

    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(wait_for_code)
        started.wait()
        sent = sim.inbound("Your code: 493817")["sid"]
        response = answer.result()
    assert response.status_code == 200, response.text
    assert [m["sid"] for m in response.json()["messages"]] == [sent]
    assert response.json()["messages"][0]["body"] == "Your code: 493817"


def test_wait_answers_with_a_status_reached_later(sim):
    sim.number(OURS)
    sent = sim.client.messages.create(to=HANDSET, from_=OURS, body="on its way").sid
    delivered = found(sim.http, Status="delivered", To=HANDSET, Wait=WAIT)
    assert [(m["sid"], m["status"]) for m in delivered] == [(sent, "delivered")]


def test_wait_answers_at_once_when_a_match_exists(sim, conversation):
    assert bodies(sim.http, Body="hello", Wait=WAIT) == ["hello there"]


def test_wait_ends_with_408_when_nothing_matches(sim, conversation):
    body = assert_twilio_error(get(sim.http, "/_sim/messages", Body="never", Wait=1), 408, 20408)
    assert "Wait" in body["message"]
    response = get(sim.http, "/_sim/webhooks", Kind="fallback", Wait="0.5")
    assert_twilio_error(response, 408, 20408)


def test_without_wait_an_empty_search_answers_at_once(sim, conversation):
    assert found(sim.http, Body="never") == []
    assert attempts(sim.http, Kind="fallback") == []


def test_webhooks_wait_for_the_attempt_of_a_message(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    sid = sim.inbound("hi")["sid"]
    waited = attempts(sim.http, MessageSid=sid, Kind="incoming", Wait=WAIT)
    assert [(a["message_sid"], a["kind"], a["response"]["status"]) for a in waited] == [
        (sid, "incoming", 200)
    ]


def test_webhooks_kind_replay_finds_the_replays(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    sid = sim.inbound("hi")["sid"]
    (first,) = attempts(sim.http, MessageSid=sid, Kind="incoming", Wait=WAIT)
    replayed = sim.http.post(f"/_sim/webhooks/{first['sid']}/replay")
    assert replayed.status_code in (200, 201), replayed.text
    found = attempts(sim.http, MessageSid=sid, Kind="replay", Wait=WAIT)
    assert [(a["kind"], a["url"]) for a in found] == [("replay", first["url"])]


# --- Webhooks: filters ------------------------------------------------------------------------


def test_webhooks_filter_by_message_kind_url_status_error_failed_since(sim, receiver, closed_url):
    good, bad = receiver.url("/sms"), closed_url("/refused")
    sim.number(OURS, sms_url=good)
    sim.number(OTHER_NUMBER, sms_url=bad)
    ok = sim.inbound("to a working app")["sid"]
    failing = sim.inbound("to a closed port", to=OTHER_NUMBER)["sid"]
    sim.settled(ok)
    sim.settled(failing)
    everything = attempts(sim.http)
    failed = attempts(sim.http, MessageSid=failing)  # a refused connection is retried
    assert {a["url"] for a in failed} == {bad}
    error_code = failed[0]["error_code"]
    assert error_code

    def sids(**params: Any) -> set[str]:
        return {a["message_sid"] for a in attempts(sim.http, **params)}

    assert [a["message_sid"] for a in attempts(sim.http, MessageSid=ok)] == [ok]
    assert sids(Url=good) == {ok}
    assert sids(Url=bad) == {failing}
    assert sids(Status=200) == {ok}
    assert sids(Status=500) == set()
    assert sids(ErrorCode=error_code) == {failing}
    assert sids(Kind="incoming") == {ok, failing}
    assert sids(Kind="status_callback") == set()
    assert sids(Failed="true") == {failing}  # no answer, with an error code
    assert sids(Failed="false") == {ok, failing}  # false filters nothing
    assert sids(Since="2999-01-01T00:00:00Z") == set()
    assert attempts(sim.http, Since="2000-01-01T00:00:00Z") == everything
    # The newest Limit attempts, oldest first (as the attempt log reads).
    assert attempts(sim.http, Limit=1) == everything[-1:]
    assert attempts(sim.http, Limit=2) == everything[-2:]


# --- Bad parameters ---------------------------------------------------------------------------

BAD_MESSAGE_SEARCHES = [
    {"Body": "("},
    {"Body": "x" * 1001},
    {"Limit": "0"},
    {"Limit": "1001"},
    {"Limit": "-1"},
    {"Limit": "ten"},
    {"Since": "yesterday"},
    {"Since": "2024-05-01"},
    {"Since": "2024-05-01T12:00:00"},  # no offset: RFC 3339 requires one
    {"Since": "2024-13-01T12:00:00Z"},
    {"Status": "bogus"},
    {"Status": "Delivered"},
    {"Direction": "outbound"},
    {"Wait": "61"},
    {"Wait": "-1"},
    {"Wait": "soon"},
    {"Wait": "nan"},
    {"Wait": "1e3"},
    {"to": HANDSET},  # Twilio's spelling is To
    {"PageSize": "5"},
]
BAD_ATTEMPT_SEARCHES = [
    {"Status": "ok"},
    {"Status": "700"},
    {"Kind": "bogus"},
    {"ErrorCode": "11200x"},
    {"MessageSid": "not-a-sid"},
    {"Limit": "0"},
    {"Limit": "5001"},
    {"Since": "2024-05-01 noon"},
    {"Wait": "60.5"},
    {"Body": "x"},  # a message filter, not an attempt filter
    {"Failed": "maybe"},
]


@pytest.mark.parametrize("params", BAD_MESSAGE_SEARCHES, ids=str)
def test_bad_message_search_is_a_400(sim, params):
    response = get(sim.http, "/_sim/messages", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] in (21000, 20001)
    assert body["status"] == 400
    assert next(iter(params)) in body["message"]  # it names the parameter


@pytest.mark.parametrize("params", BAD_ATTEMPT_SEARCHES, ids=str)
def test_bad_webhook_search_is_a_400(sim, params):
    response = get(sim.http, "/_sim/webhooks", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] in (21000, 20001)
    assert next(iter(params)) in body["message"]


def test_searches_need_credentials(server):
    for path in ("/_sim/messages", "/_sim/webhooks"):
        response = httpx.get(server.base_url + path)
        assert_twilio_error(response, 401, 20003)
