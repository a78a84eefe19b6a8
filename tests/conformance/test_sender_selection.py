"""Sender selection by a Messaging Service, through the REST API (SPEC §18, docs/services.md).

Each table is played in order against one service: a step changes the pool or the handsets, or
sends a message and checks, from the status callback that arrives over HTTP, which sender the
service chose, and from the simulator's exchange which rule chose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from switchboard.receiver import TestReceiver

US_415 = "+14155550100"
US_212 = "+12125550100"
GB = "+447700900123"
PICTURE = "https://example.com/cat.gif"


@dataclass(frozen=True)
class Send:
    to: str
    sender: str | None  # None: any sender, as long as the rule matches
    rule: str
    media: bool = False


@dataclass(frozen=True)
class Pool:
    """Add (``+``) or remove (``-``) a phone number of the pool."""

    change: str
    number: str


class World:
    """One Messaging Service whose status callbacks go to the receiver."""

    def __init__(self, client: Any, raw: Any, receiver: TestReceiver) -> None:
        self.client, self.raw, self.receiver = client, raw, receiver
        self.service = client.messaging.v1.services.create(
            friendly_name="selection", status_callback=receiver.url("/status")
        )
        self.svc = client.messaging.v1.services(self.service.sid)
        self.numbers: dict[str, str] = {}

    def pool(self, step: Pool) -> None:
        if step.number not in self.numbers:
            self.numbers[step.number] = self.client.incoming_phone_numbers.create(
                phone_number=step.number
            ).sid
        sid = self.numbers[step.number]
        if step.change == "+":
            self.svc.phone_numbers.create(phone_number_sid=sid)
        else:
            assert self.svc.phone_numbers(sid).delete() is True

    def send(self, step: Send) -> dict[str, Any]:
        extra = {"media_url": [PICTURE]} if step.media else {}
        message = self.client.messages.create(
            to=step.to, messaging_service_sid=self.service.sid, body="hello", **extra
        )
        # The status callbacks arrive over HTTP with the chosen sender as From.
        callbacks = self.receiver.wait_for(
            lambda rs: [r for r in rs if r.path == "/status" and r.sid == message.sid
                        and r.status == "delivered"] or None,
            what=f"the delivered callback of {message.sid}",
        )  # fmt: skip
        sender = callbacks[0].params["From"]
        exchange = self.raw.get(f"/_sim/messages/{message.sid}").json()
        choice = exchange["sender_choice"]
        assert choice is not None
        assert choice["sender"] == sender
        if step.sender is not None:
            assert sender == step.sender, (step, choice)
        assert choice["rule"] == step.rule, (step, choice)
        assert exchange["message"]["from"] == sender
        return exchange


def play(world: World, steps: list[Any]) -> None:
    for step in steps:
        if isinstance(step, Pool):
            world.pool(step)
        else:
            world.send(step)


@pytest.fixture
def world(client: Any, raw: Any, receiver: TestReceiver) -> World:
    return World(client, raw, receiver)


def test_geomatch_sticky_and_pool_changes(world: World) -> None:
    world.svc.destination_alpha_senders.create(alpha_sender="Acme", iso_country_code="FR")
    play(
        world,
        [
            Pool("+", US_415),
            Pool("+", GB),
            Send("+14155550199", US_415, "area_code_geomatch"),
            Send("+447700900456", GB, "country_geomatch"),
            Send("+33612345678", "Acme", "destination_alpha_sender"),
            # No 212 number yet: a US number of the pool, remembered for this recipient.
            Send("+12125550199", US_415, "area_code_geomatch"),
            Pool("+", US_212),
            Send("+12125550199", US_415, "sticky_sender"),  # sticky beats geomatch
            Send("+12125550142", US_212, "area_code_geomatch"),  # a new recipient
            Pool("-", US_415),  # its mappings leave with it
            Send("+12125550199", US_212, "area_code_geomatch"),
            Pool("+", US_415),
            Send("+12125550199", US_212, "sticky_sender"),  # the new mapping
            Send("+14155550199", US_415, "area_code_geomatch"),  # the old one was dropped
        ],
    )


def test_sticky_sender_off_and_area_code_geomatch_off(world: World) -> None:
    world.svc.update(sticky_sender=False, area_code_geomatch=False)
    play(
        world,
        [
            Pool("+", US_212),
            Send("+14155550199", US_212, "country_geomatch"),
            Pool("+", US_415),
            # No mapping was kept, and without Area Code Geomatch both US numbers are equal.
            Send("+14155550199", None, "country_geomatch"),
        ],
    )


def test_a_local_sender_breaks_sticky_mappings_from_international_numbers(world: World) -> None:
    play(
        world,
        [
            Pool("+", US_415),
            Send("+447700900456", US_415, "us_number"),
            Send("+447700900456", US_415, "sticky_sender"),
            Pool("+", GB),
            Send("+447700900456", GB, "country_geomatch"),
        ],
    )


def test_short_code_alpha_sender_and_fallback_to_long_code(world: World, raw: Any) -> None:
    code = raw.post("/_sim/short-codes", data={"ShortCode": "55555"}).json()["sid"]
    world.svc.short_codes.create(short_code_sid=code)
    world.svc.alpha_senders.create(alpha_sender="Acme")
    play(
        world,
        [
            Pool("+", US_415),
            Send("+14155550199", "55555", "short_code"),
            Send("+4915112345678", "Acme", "alpha_sender"),  # DE accepts alphanumeric IDs
        ],
    )
    world.svc.update(sticky_sender=False)
    world.svc.alpha_senders.list()[0].delete()
    exchange = world.send(Send("+4915112345678", US_415, "us_number"))
    assert "fallback to long code" in exchange["sender_choice"]["detail"]


def test_mms_to_a_landline_goes_as_sms_with_a_link(world: World, raw: Any, client: Any) -> None:
    landline = {"name": "landline", "to": "+14155550123", "handset": {"landline": True}}
    assert raw.post("/_sim/scenarios", json=landline).status_code == 201
    world.pool(Pool("+", US_415))
    exchange = world.send(Send("+14155550123", US_415, "area_code_geomatch", media=True))
    assert exchange["sender_choice"]["mms_converted"] is True
    message = client.messages(exchange["message"]["sid"]).fetch()
    assert message.body == f"hello\n{PICTURE}"
    # A mobile still gets the MMS as it was sent.
    mobile = world.send(Send("+14155550199", US_415, "area_code_geomatch", media=True))
    assert mobile["sender_choice"]["mms_converted"] is False
    assert client.messages(mobile["message"]["sid"]).fetch().body == "hello"


def test_channel_senders_whatsapp_and_rcs_first(world: World, raw: Any) -> None:
    whatsapp = raw.post("/_sim/channel-senders", data={"Sender": "whatsapp:+14155550111"})
    rcs = raw.post("/_sim/channel-senders", data={"Sender": "rcs:acme_agent"})
    world.svc.channel_senders.create(sid=whatsapp.json()["sid"])
    # The user writes first: a free-form WhatsApp message needs the customer service window.
    opened = raw.post(
        "/_sim/inbound",
        data={"From": "whatsapp:+14155550199", "To": "whatsapp:+14155550111", "Body": "hi"},
    )
    assert opened.status_code == 201, opened.text
    no_rcs = {"name": "no rcs", "to": "+14155550142", "handset": {"rcs": False}}
    assert raw.post("/_sim/scenarios", json=no_rcs).status_code == 201
    play(
        world,
        [
            Pool("+", US_415),
            Send("whatsapp:+14155550199", "whatsapp:+14155550111", "area_code_geomatch"),
            Send("+14155550199", US_415, "area_code_geomatch"),
        ],
    )
    world.svc.channel_senders.create(sid=rcs.json()["sid"])
    play(
        world,
        [
            Send("+14155550123", "rcs:acme_agent", "rcs_first"),
            # A handset that cannot take RCS gets SMS from the pool's other senders.
            Send("+14155550142", US_415, "area_code_geomatch"),
        ],
    )


def test_inbound_to_a_short_code_or_channel_sender_reaches_the_service(
    world: World, raw: Any, client: Any
) -> None:
    """The service's inbound URL answers for its short codes and channel senders too, and a
    TwiML reply goes out from the address the handset texted."""
    inbound = world.receiver.route("/inbound", "<Response><Message>Got it</Message></Response>")
    world.svc.update(inbound_request_url=inbound)
    code = raw.post("/_sim/short-codes", data={"ShortCode": "55555"}).json()["sid"]
    world.svc.short_codes.create(short_code_sid=code)
    whatsapp = raw.post("/_sim/channel-senders", data={"Sender": "whatsapp:+14155550111"})
    world.svc.channel_senders.create(sid=whatsapp.json()["sid"])

    for handset, texted in (("+14155550199", "55555"), ("whatsapp:+14155550199",
                                                          "whatsapp:+14155550111")):  # fmt: skip
        sent = raw.post("/_sim/inbound", data={"From": handset, "To": texted, "Body": "hi"})
        assert sent.status_code == 201, sent.text
        sid = sent.json()["sid"]
        request = world.receiver.wait_for(
            lambda rs, sid=sid: [r for r in rs if r.sid == sid] or None,
            what=f"the incoming webhook for {texted}",
        )[0]
        assert request.path == "/inbound"
        assert request.params["To"] == texted
        assert request.params["MessagingServiceSid"] == world.service.sid
        reply = raw.get("/_sim/messages", params={"To": handset, "Wait": "5"}).json()
        assert [m["from"] for m in reply["messages"]] == [texted]
        raw.post("/_sim/reset", data={"KeepNumbers": "true"})

    # Without a service, the short code's own SmsUrl answers.
    world.svc.short_codes(code).delete()
    own = world.receiver.route("/short-code")
    client.api.account.short_codes(code).update(sms_url=own)
    sent = raw.post("/_sim/inbound", data={"From": "+14155550199", "To": "55555", "Body": "x"})
    assert sent.status_code == 201
    world.receiver.wait("/short-code")
