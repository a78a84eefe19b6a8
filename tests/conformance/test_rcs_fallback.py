"""RCS first and its SMS/MMS fallback through the REST API (SPEC §18.1, docs/services.md).

A Messaging Service with an RCS agent tries RCS first; a handset that cannot take RCS gets the
request's ``FallbackFrom`` (or the pool's rules), and an RCS attempt the carrier fails goes out
again as SMS/MMS: the same message, its ``From`` changed, no failure reported. Each case is
checked from the status callbacks that arrive over HTTP and from the recorded decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from switchboard.receiver import TestReceiver

US_415 = "+14155550100"
OTHER = "+14155550177"  # an account number outside the pool: FallbackFrom need not be pooled
AGENT = "rcs:acme_agent"
HANDSET = "+14155550199"


class Service:
    """One service with an RCS agent and a 415 number; status callbacks to the receiver."""

    def __init__(self, client: Any, raw: Any, receiver: TestReceiver) -> None:
        self.client, self.raw, self.receiver = client, raw, receiver
        self.sid = client.messaging.v1.services.create(
            friendly_name="rcs", status_callback=receiver.url("/status")
        ).sid
        self.svc = client.messaging.v1.services(self.sid)
        for number in (US_415, OTHER):
            pn = client.incoming_phone_numbers.create(phone_number=number)
            if number == US_415:
                self.svc.phone_numbers.create(phone_number_sid=pn.sid)
        agent = raw.post("/_sim/channel-senders", data={"Sender": AGENT})
        assert agent.status_code == 201, agent.text
        self.svc.channel_senders.create(sid=agent.json()["sid"])

    def scenario(self, **scenario: Any) -> None:
        assert self.raw.post("/_sim/scenarios", json=scenario).status_code == 201

    def send(self, **extra: Any) -> str:
        return str(
            self.client.messages.create(
                to=HANDSET, messaging_service_sid=self.sid, body="hello", **extra
            ).sid
        )

    def callbacks(self, sid: str, last: str) -> list[tuple[str, str]]:
        """(status, From) of each status callback of ``sid``, once ``last`` has arrived."""
        found = self.receiver.wait_for(
            lambda rs: (
                [r for r in rs if r.path == "/status" and r.sid == sid]
                if any(r.path == "/status" and r.sid == sid and r.status == last for r in rs)
                else None
            ),
            what=f"the {last} callback of {sid}",
        )
        return [(r.status, r.params["From"]) for r in found]

    def choice(self, sid: str) -> dict[str, Any]:
        exchange = self.raw.get(f"/_sim/messages/{sid}").json()
        choice: dict[str, Any] = exchange["sender_choice"]
        assert choice["sender"] == exchange["message"]["from"]
        return choice


@pytest.fixture
def service(client: Any, raw: Any, receiver: TestReceiver) -> Service:
    return Service(client, raw, receiver)


@dataclass(frozen=True)
class Refused:
    name: str
    params: dict[str, Any]
    code: int
    pooled_agent: bool = True


REFUSALS = [
    Refused("without a service", {"from_": US_415, "fallback_from": OTHER}, 21666),
    Refused("beside From", {"from_": US_415, "service": True, "fallback_from": OTHER}, 21664),
    Refused("not the account's", {"service": True, "fallback_from": "+14155550166"}, 21665),
    Refused("an RCS sender", {"service": True, "fallback_from": AGENT}, 21665),
    Refused("a WhatsApp sender", {"service": True, "fallback_from": f"whatsapp:{US_415}"}, 21665),
    Refused("no RCS sender in the pool", {"service": True, "fallback_from": OTHER}, 21667,
            pooled_agent=False),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c.name)
def test_fallback_from_is_checked_as_twilio_does(
    case: Refused, client: Any, raw: Any, receiver: TestReceiver
) -> None:
    if case.pooled_agent:
        sid = Service(client, raw, receiver).sid
    else:
        sid = client.messaging.v1.services.create(friendly_name="sms only").sid
        number = client.incoming_phone_numbers.create(phone_number=OTHER)
        client.messaging.v1.services(sid).phone_numbers.create(phone_number_sid=number.sid)
    params = dict(case.params)
    if params.pop("service", False):
        params["messaging_service_sid"] = sid
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=HANDSET, body="hello", **params)
    assert (raised.value.status, raised.value.code) == (400, case.code)


def test_fallback_from_as_a_raw_form_parameter(
    service: Service, raw: Any, account_path: str
) -> None:
    """The wire name is ``FallbackFrom``; a phone number must be E.164 exactly."""
    path = f"{account_path}/Messages.json"
    sent = {"To": HANDSET, "MessagingServiceSid": service.sid, "Body": "hi"}
    loose = raw.post(path, data={**sent, "FallbackFrom": OTHER.lstrip("+")})
    assert loose.status_code == 400
    assert loose.json()["code"] == 21665
    assert loose.json()["more_info"] == "https://www.twilio.com/docs/errors/21665"
    taken = raw.post(path, data={**sent, "FallbackFrom": OTHER})
    assert taken.status_code == 201, taken.text
    assert taken.json()["status"] == "accepted"


def test_a_handset_without_rcs_gets_fallback_from(service: Service) -> None:
    service.scenario(name="old phone", to=HANDSET, handset={"rcs": False})
    sid = service.send(fallback_from=OTHER)
    assert service.callbacks(sid, "delivered") == [
        ("queued", OTHER), ("sent", OTHER), ("delivered", OTHER),
    ]  # fmt: skip
    assert service.choice(sid)["rule"] == "fallback_from"
    # Without FallbackFrom the pool's rules choose, as before.
    plain = service.send()
    assert service.callbacks(plain, "delivered")[-1] == ("delivered", US_415)
    assert service.choice(plain)["rule"] == "area_code_geomatch"


@pytest.mark.parametrize(
    ("outcome", "reported"),
    [
        # The RCS platform refuses the hand-off: the SMS goes out before anything was sent.
        ("failed", [("queued", AGENT), ("sent", US_415), ("delivered", US_415)]),
        # The RCS delivery receipt says undelivered: `sent` was RCS, delivery is by SMS.
        ("undelivered", [("queued", AGENT), ("sent", AGENT), ("delivered", US_415)]),
    ],
)
def test_an_rcs_failure_falls_back_to_sms(
    service: Service, client: Any, outcome: str, reported: list[tuple[str, str]]
) -> None:
    service.scenario(name="no rcs", **{"from": "rcs:*"}, outcome=outcome, error_code=30003)
    sid = service.send()
    assert service.callbacks(sid, "delivered") == reported
    message = client.messages(sid).fetch()
    assert (message.status, message.from_, message.error_code) == ("delivered", US_415, None)
    choice = service.choice(sid)
    assert choice["rule"] == "rcs_fallback"
    assert choice["detail"].startswith(f"the RCS attempt from {AGENT} failed (error 30003)")


def test_an_rcs_failure_falls_back_to_fallback_from(service: Service) -> None:
    service.scenario(name="no rcs", **{"from": "rcs:*"}, outcome="undelivered")
    sid = service.send(fallback_from=OTHER)
    assert service.callbacks(sid, "delivered")[-1] == ("delivered", OTHER)
    assert "fallback_from" in service.choice(sid)["detail"]


def test_an_rcs_failure_with_nothing_to_fall_back_to_stands(service: Service) -> None:
    service.svc.phone_numbers.list()[0].delete()  # the agent alone is left
    service.scenario(name="no rcs", **{"from": "rcs:*"}, outcome="undelivered", error_code=30003)
    sid = service.send()
    assert service.callbacks(sid, "undelivered")[-1] == ("undelivered", AGENT)
    message = service.client.messages(sid).fetch()
    assert (message.status, message.error_code) == ("undelivered", 30003)
    assert service.choice(sid)["rule"] == "rcs_first"
