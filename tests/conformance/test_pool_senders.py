"""A Messaging Service's ShortCodes, AlphaSenders, DestinationAlphaSenders and ChannelSenders,
and the account's short codes (2010 SMS/ShortCodes), through the official SDK (SPEC §18.2).

Every response is validated against Twilio's OpenAPI by the conformance recorder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from switchboard.testing import TEST_ACCOUNT_SID


def _short_code(raw: Any, code: str = "12345", **more: str) -> dict[str, Any]:
    response = raw.post("/_sim/short-codes", data={"ShortCode": code, **more})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _channel_sender(raw: Any, sender: str) -> str:
    response = raw.post("/_sim/channel-senders", data={"Sender": sender})
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


def test_provision_list_fetch_and_update_short_codes(client: Any, raw: Any) -> None:
    provisioned = _short_code(raw, "12345")
    assert provisioned["sid"].startswith("SC")
    assert len(provisioned["sid"]) == 34
    assert provisioned["short_code"] == "12345"
    assert provisioned["account_sid"] == TEST_ACCOUNT_SID
    assert provisioned["sms_url"] is None
    _short_code(raw, "654321")

    codes = client.api.account.short_codes
    assert sorted(c.short_code for c in codes.list()) == ["12345", "654321"]
    assert [c.short_code for c in codes.list(short_code="123*5")] == ["12345"]
    fetched = codes(provisioned["sid"]).fetch()
    assert fetched.friendly_name == "12345"  # by default, the short code itself
    assert isinstance(fetched.date_created, datetime)  # RFC 2822, parsed by the SDK

    updated = codes(provisioned["sid"]).update(
        friendly_name="Alerts", sms_url="https://app.example.com/sc", sms_method="GET"
    )
    assert (updated.friendly_name, updated.sms_url, updated.sms_method) == (
        "Alerts",
        "https://app.example.com/sc",
        "GET",
    )
    assert codes(provisioned["sid"]).fetch().sms_url == "https://app.example.com/sc"


def test_short_code_provisioning_errors(raw: Any, client: Any, twilio_error: Any) -> None:
    for bad in ("1234", "1234567", "12a45", ""):
        response = raw.post("/_sim/short-codes", data={"ShortCode": bad})
        assert response.status_code == 400, bad
        assert response.json()["code"] == 20001
    _short_code(raw, "22222")
    taken = raw.post("/_sim/short-codes", data={"ShortCode": "22222"})
    assert taken.status_code == 409
    with twilio_error(20404, 404):
        client.api.account.short_codes("SC" + "0" * 32).fetch()


def test_service_short_codes(client: Any, raw: Any, twilio_error: Any) -> None:
    code = _short_code(raw, "12345")
    service = client.messaging.v1.services.create(friendly_name="codes")
    pool = client.messaging.v1.services(service.sid).short_codes

    entry = pool.create(short_code_sid=code["sid"])
    assert (entry.sid, entry.short_code, entry.country_code) == (code["sid"], "12345", "US")
    assert entry.service_sid == service.sid
    assert entry.url == f"{service.url}/ShortCodes/{code['sid']}"
    assert [e.sid for e in pool.list()] == [code["sid"]]
    assert pool(code["sid"]).fetch().short_code == "12345"
    with twilio_error(21710, 409):
        pool.create(short_code_sid=code["sid"])
    other = client.messaging.v1.services.create(friendly_name="other")
    with twilio_error(21712, 409):
        client.messaging.v1.services(other.sid).short_codes.create(short_code_sid=code["sid"])
    with twilio_error(21421, 400):
        pool.create(short_code_sid="SC" + "0" * 32)  # not the account's
    with twilio_error(21421, 400):
        pool.create(short_code_sid="PN" + "0" * 32)

    assert pool(code["sid"]).delete() is True
    assert pool.list() == []
    # Leaving the service does not release it from the account.
    assert client.api.account.short_codes(code["sid"]).fetch().short_code == "12345"
    with twilio_error(20404, 404):
        pool(code["sid"]).fetch()


def test_alpha_senders(client: Any, twilio_error: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="alpha")
    alphas = client.messaging.v1.services(service.sid).alpha_senders

    alpha = alphas.create(alpha_sender="Acme Inc")
    assert alpha.sid.startswith("AI")
    assert len(alpha.sid) == 34
    assert (alpha.alpha_sender, alpha.capabilities) == ("Acme Inc", ["SMS"])
    assert alpha.url == f"{service.url}/AlphaSenders/{alpha.sid}"
    assert [a.sid for a in alphas.list()] == [alpha.sid]
    assert alphas(alpha.sid).fetch().alpha_sender == "Acme Inc"
    with twilio_error(20001, 409):  # one per service: delete it before adding another
        alphas.create(alpha_sender="Other")
    for bad in ("12345", "TwelveChars1", "Acme!"):
        with twilio_error(20001, 400):
            alphas.create(alpha_sender=bad)
    assert alphas(alpha.sid).delete() is True
    assert alphas.create(alpha_sender="Other").alpha_sender == "Other"
    with twilio_error(20404, 404):
        alphas(alpha.sid).fetch()


def test_destination_alpha_senders(client: Any, twilio_error: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="dest")
    alphas = client.messaging.v1.services(service.sid).destination_alpha_senders

    france = alphas.create(alpha_sender="AcmeFR", iso_country_code="FR")
    everywhere = alphas.create(alpha_sender="Acme")
    assert france.iso_country_code == "FR"
    assert everywhere.iso_country_code is None
    assert france.url == f"{service.url}/DestinationAlphaSenders/{france.sid}"
    assert [a.sid for a in alphas.list(iso_country_code="FR")] == [france.sid]
    assert {a.sid for a in alphas.list()} == {france.sid, everywhere.sid}
    with twilio_error(20001, 409):
        alphas.create(alpha_sender="AcmeFR2", iso_country_code="FR")
    with twilio_error(20001, 400):
        alphas.create(alpha_sender="AcmeXX", iso_country_code="France")
    assert alphas(france.sid).delete() is True
    assert [a.sid for a in alphas.list()] == [everywhere.sid]
    # The AlphaSenders sub-resource does not list destination alpha senders.
    assert client.messaging.v1.services(service.sid).alpha_senders.list() == []


def test_channel_senders(client: Any, raw: Any, twilio_error: Any) -> None:
    whatsapp = _channel_sender(raw, "whatsapp:+14155550111")
    rcs = _channel_sender(raw, "rcs:acme_agent")
    assert whatsapp.startswith("XE")
    assert rcs.startswith("XE")
    service = client.messaging.v1.services.create(friendly_name="channels")
    senders = client.messaging.v1.services(service.sid).channel_senders

    entry = senders.create(sid=whatsapp)
    assert (entry.sender, entry.sender_type, entry.country_code) == (
        "whatsapp:+14155550111",
        "WhatsApp",
        "US",
    )
    assert entry.messaging_service_sid == service.sid
    assert senders.create(sid=rcs).sender_type == "RCS"
    assert {s.sid for s in senders.list()} == {whatsapp, rcs}
    assert senders(whatsapp).fetch().sender == "whatsapp:+14155550111"
    with twilio_error(21710, 409):
        senders.create(sid=whatsapp)
    with twilio_error(21421, 400):
        senders.create(sid="XE" + "0" * 32)
    assert senders(whatsapp).delete() is True
    assert [s.sid for s in senders.list()] == [rcs]

    bad = raw.post("/_sim/channel-senders", data={"Sender": "+14155550111"})
    assert bad.status_code == 400


def test_a_subaccount_cannot_use_the_main_accounts_senders(
    client: Any, raw: Any, make_client: Any, twilio_error: Any, page_error: Any
) -> None:
    code = _short_code(raw, "12345")
    sub = client.api.accounts.create(friendly_name="tenant")
    tenant = make_client(sub.sid, sub.auth_token)
    service = tenant.messaging.v1.services.create(friendly_name="tenant")
    with twilio_error(21421, 400):
        tenant.messaging.v1.services(service.sid).short_codes.create(short_code_sid=code["sid"])
    assert tenant.api.account.short_codes.list() == []
    with twilio_error(20404, 404):
        tenant.api.account.short_codes(code["sid"]).fetch()
    main = client.messaging.v1.services.create(friendly_name="main")
    with page_error(20404, 404):  # nor see its services' pools
        tenant.messaging.v1.services(main.sid).short_codes.list()


def test_a_short_code_or_channel_sender_of_the_account_is_a_valid_from(
    client: Any, raw: Any, make_client: Any, twilio_error: Any, wait_for_status: Any
) -> None:
    _short_code(raw, "12345")
    _channel_sender(raw, "whatsapp:+14155550111")
    sms = client.messages.create(to="+14155550199", from_="12345", body="code")
    assert sms.from_ == "12345"
    wait_for_status(sms.sid)
    # The user writes first: a free-form WhatsApp message needs the customer service window.
    opened = raw.post(
        "/_sim/inbound",
        data={"From": "whatsapp:+14155550199", "To": "whatsapp:+14155550111", "Body": "hi"},
    )
    assert opened.status_code == 201, opened.text
    whatsapp = client.messages.create(
        to="whatsapp:+14155550199", from_="whatsapp:+14155550111", body="wa"
    )
    wait_for_status(whatsapp.sid)
    sub = client.api.accounts.create(friendly_name="tenant")
    tenant = make_client(sub.sid, sub.auth_token)
    with twilio_error(21606, 400):  # another account's short code
        tenant.messages.create(to="+14155550199", from_="12345", body="no")
