"""HTTP 3xx answers to webhooks, end to end (SPEC §15, docs/webhooks.md).

A real switchboard server sends webhooks to real HTTP apps (the test receiver, and a second one
on another port). Twilio follows 301, 302, 303 and 307 only; 301/302/307 repeat the method and
the parameters, 303 turns into a GET; every hop is signed for its own URL and is an attempt of its
own in the attempt log; another 3xx or a bad ``Location`` is 11216, a loop 11215, and both fall
back like any failed fetch.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from switchboard.testing import TEST_AUTH_TOKEN, TestReceiver

OURS = "+14155550100"
HANDSET = "+14155550199"
FALLBACK_BODY = "sorry, we had a hiccup"
LIMIT = 10  # Config.max_redirects' default


def hops(attempts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each attempt as (kind, method, url, status, Location, error code)."""
    return [
        (
            a["kind"],
            a["method"],
            a["url"],
            a["response"]["status"],
            a["response"]["headers"].get("location"),
            a["error_code"],
        )
        for a in attempts
    ]


def all_signed(*receivers: TestReceiver) -> None:
    for receiver in receivers:
        assert receiver.requests, "no request arrived"
        assert receiver.invalid_signatures() == []
        for request in receiver.requests:
            assert request.signature_valid, f"{request.method} {request.url}"


def attempts_of(sim: Any, sid: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
    """The attempt log of message ``sid`` once it holds ``count`` attempts."""
    deadline = time.monotonic() + timeout
    while len(attempts := sim.webhooks(sid)) < count:
        assert time.monotonic() < deadline, f"{len(attempts)} of {count} attempts: {attempts}"
        time.sleep(0.02)
    return attempts


def same_message(request: Any, inbound: dict[str, Any]) -> None:
    assert request.params["MessageSid"] == inbound["sid"]
    assert request.params["Body"] == inbound["body"]
    assert request.params["From"] == HANDSET


BODIES = {
    "empty": {"body": "", "content_type": None},
    "html": {"body": '<a href="/x">Found</a>', "content_type": "text/html; charset=utf-8"},
}


@pytest.mark.parametrize("body", sorted(BODIES))
@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
@pytest.mark.parametrize("status", [301, 302, 307])
def test_301_302_307_repeat_the_post_and_its_parameters(
    sim, receiver, reply, twiml, status, absolute, body
):
    target = receiver.route("/sms/survey/1", twiml.message("question 1"))
    location = target if absolute else "survey/1"  # relative to /sms/start
    start = receiver.route(
        "/sms/start", reply(status=status, headers={"Location": location}, **BODIES[body])
    )
    sim.number(OURS, sms_url=start)

    inbound = sim.inbound("next please")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)

    assert [r["body"] for r in state["replies"]] == ["question 1"]
    assert hops(state["webhooks"]) == [
        ("incoming", "POST", start, status, location, None),
        ("incoming", "POST", target, 200, None, None),
    ]
    first, second = state["webhooks"]
    assert f"redirected to POST {target}" in first["error_detail"]
    assert first["request"]["body"] == second["request"]["body"]
    assert first["idempotency_token"] == second["idempotency_token"]
    # Each hop is signed for its own URL.
    assert first["signed_url"] == start
    assert second["signed_url"] == target
    assert (
        first["request"]["headers"]["X-Twilio-Signature"]
        != (second["request"]["headers"]["X-Twilio-Signature"])
    )
    (started,) = receiver.at("/sms/start")
    (landed,) = receiver.at("/sms/survey/1")
    same_message(started, inbound)
    assert landed.method == "POST"
    assert landed.params.pairs == started.params.pairs
    all_signed(receiver)


@pytest.mark.parametrize("body", sorted(BODIES))
def test_303_turns_into_a_get_with_the_parameters_in_the_query(sim, receiver, reply, twiml, body):
    receiver.route("/sms", reply(status=303, headers={"Location": "/seen?step=2"}, **BODIES[body]))
    receiver.route("/seen", twiml.message("seen"))
    sim.number(OURS, sms_url=receiver.url("/sms"))

    inbound = sim.inbound("see other")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)

    (posted,) = receiver.at("/sms")
    (got,) = receiver.at("/seen")
    assert (posted.method, got.method) == ("POST", "GET")
    assert got.body == b""
    assert got.query["step"] == "2"
    same_message(got, inbound)
    assert {k: v for k, v in got.params.items() if k != "step"} == dict(posted.params)
    first, second = state["webhooks"]
    assert (first["method"], first["response"]["status"], first["error_code"]) == (
        "POST",
        303,
        None,
    )
    assert second["method"] == "GET"
    assert second["url"] == got.url
    assert second["request"]["body"] == ""
    assert [r["body"] for r in state["replies"]] == ["seen"]
    all_signed(receiver)


def test_a_get_webhook_stays_a_get_with_its_parameters(sim, receiver, reply, twiml):
    receiver.route("/sms", reply(status=302, headers={"Location": "/next"}))
    receiver.route("/next", twiml.message("via GET"))
    sim.number(OURS, sms_url=receiver.url("/sms"), sms_method="GET")

    inbound = sim.inbound("get me")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)

    (first,) = receiver.at("/sms")
    (second,) = receiver.at("/next")
    assert (first.method, second.method) == ("GET", "GET")
    same_message(second, inbound)
    assert dict(second.params) == dict(first.params)
    assert [a["method"] for a in state["webhooks"]] == ["GET", "GET"]
    all_signed(receiver)


def test_a_chain_of_redirects_is_one_attempt_per_hop(sim, receiver, reply, twiml):
    receiver.route("/a", reply(status=301, headers={"Location": "/b"}))
    receiver.route("/b", reply(status=307, headers={"Location": "/c"}))
    receiver.route("/c", reply(status=302, headers={"Location": "/d"}))
    receiver.route("/d", twiml.message("end of the chain"))
    sim.number(OURS, sms_url=receiver.url("/a"))

    inbound = sim.inbound("chain")
    state = sim.settled(inbound["sid"], replies=1, attempts=4)

    assert hops(state["webhooks"]) == [
        ("incoming", "POST", receiver.url("/a"), 301, "/b", None),
        ("incoming", "POST", receiver.url("/b"), 307, "/c", None),
        ("incoming", "POST", receiver.url("/c"), 302, "/d", None),
        ("incoming", "POST", receiver.url("/d"), 200, None, None),
    ]
    for path in ("/a", "/b", "/c", "/d"):
        (request,) = receiver.at(path)
        same_message(request, inbound)
    all_signed(receiver)


def test_a_redirect_to_another_port(sim, receiver, reply, twiml):
    with TestReceiver(TEST_AUTH_TOKEN).start() as other:
        target = other.route("/elsewhere", twiml.message("from the other app"))
        receiver.route("/sms", reply(status=302, headers={"Location": target}))
        sim.number(OURS, sms_url=receiver.url("/sms"))

        inbound = sim.inbound("move along")
        state = sim.settled(inbound["sid"], replies=1, attempts=2)

        assert hops(state["webhooks"]) == [
            ("incoming", "POST", receiver.url("/sms"), 302, target, None),
            ("incoming", "POST", target, 200, None, None),
        ]
        (landed,) = other.at("/elsewhere")
        same_message(landed, inbound)
        assert landed.url == target  # the Host header names the other port
        all_signed(receiver, other)


def test_a_loop_is_11215_and_falls_back(sim, receiver, reply, twiml):
    receiver.route("/loop", reply(status=302, headers={"Location": "/loop"}))
    receiver.route("/fallback", twiml.message(FALLBACK_BODY))
    number = sim.number(
        OURS, sms_url=receiver.url("/loop"), sms_fallback_url=receiver.url("/fallback")
    )

    inbound = sim.inbound("round and round")
    state = sim.settled(inbound["sid"], replies=1, attempts=LIMIT + 2)

    loop = receiver.url("/loop")
    expected = [("incoming", "POST", loop, 302, "/loop", None)] * LIMIT
    expected.append(("incoming", "POST", loop, 302, "/loop", 11215))
    expected.append(("fallback", "POST", receiver.url("/fallback"), 200, None, None))
    assert hops(state["webhooks"]) == expected
    assert len(receiver.at("/loop")) == LIMIT + 1
    (fallback,) = receiver.wait("/fallback")
    assert fallback.params["ErrorCode"] == "11215"
    assert fallback.params["ErrorUrl"] == loop
    assert [r["body"] for r in state["replies"]] == [FALLBACK_BODY]
    all_signed(receiver)
    sim.healthy(receiver, number)


@pytest.mark.parametrize(
    ("status", "location"),
    [
        (308, "/next"),  # not on Twilio's list
        (300, "/next"),
        (304, "/next"),
        (302, None),  # no Location
        (301, "ftp://files.example/next"),  # not http(s)
        (307, "http://"),  # no host
    ],
)
def test_an_invalid_redirect_is_11216_and_falls_back(sim, receiver, reply, twiml, status, location):
    headers = {"Location": location} if location is not None else {}
    receiver.route("/sms", reply(status=status, headers=headers))
    receiver.route("/next", twiml.message("never"))
    receiver.route("/fallback", twiml.message(FALLBACK_BODY))
    sim.number(OURS, sms_url=receiver.url("/sms"), sms_fallback_url=receiver.url("/fallback"))

    inbound = sim.inbound("bad redirect")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)

    assert hops(state["webhooks"]) == [
        ("incoming", "POST", receiver.url("/sms"), status, location, 11216),
        ("fallback", "POST", receiver.url("/fallback"), 200, None, None),
    ]
    assert receiver.at("/next") == []
    (fallback,) = receiver.wait("/fallback")
    assert fallback.params["ErrorCode"] == "11216"
    assert [r["body"] for r in state["replies"]] == [FALLBACK_BODY]
    all_signed(receiver)


def test_cookies_set_on_a_hop_go_to_the_next_and_into_the_conversation(sim, receiver, reply, twiml):
    receiver.route(
        "/sms",
        reply(status=302, headers={"Location": "/step", "Set-Cookie": "session=s1; Path=/"}),
    )
    receiver.route("/step", twiml.message("step"))
    sim.number(OURS, sms_url=receiver.url("/sms"))

    first = sim.inbound("one")
    sim.settled(first["sid"], replies=1, attempts=2)
    second = sim.inbound("two")
    sim.settled(second["sid"], replies=1, attempts=2)

    cookies = [(r.path, r.sid == first["sid"], r.header("Cookie")) for r in receiver.requests]
    assert cookies == [
        ("/sms", True, None),
        ("/step", True, "session=s1"),  # set by the hop before
        ("/sms", False, "session=s1"),  # kept for the conversation
        ("/step", False, "session=s1"),
    ]
    all_signed(receiver)


# --- Status callbacks ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307])
def test_status_callbacks_follow_redirects(sim, receiver, reply, status):
    receiver.route("/status", reply(status=status, headers={"Location": "/status/final"}))
    final = receiver.route("/status/final", reply(body="", content_type=None))
    sim.number(OURS)
    message = sim.client.messages.create(
        to=HANDSET, from_=OURS, body="track me", status_callback=receiver.url("/status")
    )
    sim.status(message.sid, "delivered")
    arrived = receiver.wait_for(
        lambda requests: (
            [r for r in requests if r.path == "/status/final"]
            if sum(r.path == "/status/final" for r in requests) >= 2
            else None
        ),
        what="the sent and delivered callbacks at their final URL",
    )
    method = "GET" if status == 303 else "POST"
    assert [(r.method, r.params["MessageStatus"]) for r in arrived] == [
        (method, "sent"),
        (method, "delivered"),
    ]
    for request in arrived:
        assert request.params["MessageSid"] == message.sid
    attempts = attempts_of(sim, message.sid, 4)
    first_two = hops(attempts)[:2]
    assert first_two == [
        ("status_callback", "POST", receiver.url("/status"), status, "/status/final", None),
        ("status_callback", method, attempts[1]["url"], 200, None, None),
    ]
    assert attempts[1]["url"].startswith(final)
    all_signed(receiver)


def test_a_status_callback_answered_308_is_11216(sim, receiver, reply):
    receiver.route("/status", reply(status=308, headers={"Location": "/status/final"}))
    receiver.route("/status/final", reply(body="", content_type=None))
    sim.number(OURS)
    message = sim.client.messages.create(
        to=HANDSET, from_=OURS, body="track me", status_callback=receiver.url("/status")
    )
    sim.status(message.sid, "delivered")
    receiver.wait("/status", 2)
    attempts = attempts_of(sim, message.sid, 2)
    assert (
        hops(attempts)
        == [("status_callback", "POST", receiver.url("/status"), 308, "/status/final", 11216)] * 2
    )
    assert receiver.at("/status/final") == []
    all_signed(receiver)
