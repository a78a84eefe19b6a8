"""Cookies across an SMS conversation, end to end (SPEC §1.3).

The receiver sets cookies in its answers; the next incoming-message webhooks of the same pair of
numbers carry them back, and no other conversation, nor any status callback, sees them.
"""

from __future__ import annotations

OURS = "+14155550100"
HANDSET = "+14155550199"
OTHER_HANDSET = "+14155550188"


def test_a_cookie_comes_back_on_the_same_conversation_only(sim, receiver, twiml, reply):
    url = receiver.route(
        "/sms",
        [
            reply(body=twiml.empty().body, headers={"Set-Cookie": "session=abc123; Path=/"}),
            twiml.empty(),
        ],
    )
    sim.number(OURS, sms_url=url, status_callback=receiver.url("/status"))

    first = sim.inbound("hello", from_=HANDSET)
    sim.settled(first["sid"])
    second = sim.inbound("again", from_=HANDSET)
    sim.settled(second["sid"])
    stranger = sim.inbound("hi", from_=OTHER_HANDSET)
    sim.settled(stranger["sid"])

    requests = {r.params["MessageSid"]: r for r in receiver.at("/sms")}
    assert requests[first["sid"]].header("Cookie") is None
    assert requests[second["sid"]].header("Cookie") == "session=abc123"
    assert requests[stranger["sid"]].header("Cookie") is None
    # The signature never covers the cookie: every request validated (conftest checks).
    assert receiver.invalid_signatures() == []
    # The attempt log shows what was sent.
    (attempt,) = sim.webhooks(second["sid"])
    assert attempt["request"]["headers"]["Cookie"] == "session=abc123"


def test_cookies_follow_redirects_and_are_not_sent_to_status_callbacks(sim, receiver, twiml, reply):
    response = twiml.response()
    response.message("reply", status_callback=receiver.url("/status"))
    response.redirect(receiver.url("/next"))
    url = receiver.route(
        "/sms",
        [reply(body=str(response), headers={"Set-Cookie": "step=1; Path=/"}), twiml.empty()],
    )
    receiver.route("/next", twiml.empty())
    sim.number(OURS, sms_url=url)

    inbound = sim.inbound("start")
    sim.settled(inbound["sid"], replies=1, attempts=2)
    (redirected,) = receiver.wait("/next")
    assert redirected.header("Cookie") == "step=1"
    for callback in receiver.wait("/status", 2):  # the reply's sent and delivered callbacks
        assert callback.header("Cookie") is None


def test_cookies_expire_after_four_hours_and_max_age_zero_deletes(sim, receiver, twiml, reply):
    url = receiver.route(
        "/sms",
        [
            reply(body=twiml.empty().body, headers={"Set-Cookie": "a=1; Path=/"}),
            twiml.empty(),
            reply(body=twiml.empty().body, headers={"Set-Cookie": "b=2; Path=/"}),
            reply(body=twiml.empty().body, headers={"Set-Cookie": "b=; Path=/; Max-Age=0"}),
            twiml.empty(),
        ],
    )
    sim.number(OURS, sms_url=url)

    def send() -> str | None:
        inbound = sim.inbound("x")
        sim.settled(inbound["sid"])
        return receiver.at("/sms")[-1].header("Cookie")

    assert send() is None  # sets a=1
    response = sim.http.post("/_sim/clock", data={"Advance": str(4 * 3600 + 1)})
    assert response.status_code == 200, response.text
    assert send() is None  # a=1 expired; nothing set
    assert send() is None  # sets b=2
    assert send() == "b=2"  # deletes b
    assert send() is None
