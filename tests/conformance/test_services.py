"""Messaging v1 Services and their PhoneNumbers (sender pool) through the official SDK (§7.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from switchboard.testing import TEST_ACCOUNT_SID

NUMBER_A = "+14155550100"
NUMBER_B = "+14155550101"
SETTINGS = {
    "inbound_request_url": "https://app.example.com/inbound",
    "inbound_method": "GET",
    "fallback_url": "https://app.example.com/fallback",
    "fallback_method": "GET",
    "status_callback": "https://app.example.com/status",
    "use_inbound_webhook_on_number": True,
    "sticky_sender": False,
}


def _assert_settings(service: Any, settings: dict[str, Any]) -> None:
    for name, value in settings.items():
        assert getattr(service, name) == value, name


def test_create_with_webhook_settings(client: Any, server: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="Alerts", **SETTINGS)

    assert service.sid.startswith("MG")
    assert len(service.sid) == 34
    assert service.account_sid == TEST_ACCOUNT_SID
    assert service.friendly_name == "Alerts"
    _assert_settings(service, SETTINGS)
    assert isinstance(service.date_created, datetime)  # ISO 8601, parsed by the SDK
    assert service.url == f"{server.base_url}/v1/Services/{service.sid}"
    assert service.links["phone_numbers"] == f"{service.url}/PhoneNumbers"


def test_create_defaults(raw: Any) -> None:
    response = raw.post("/v1/Services", data={"FriendlyName": "Defaults"})
    assert response.status_code == 201
    data = response.json()
    assert data["inbound_method"] == "POST"
    assert data["fallback_method"] == "POST"
    assert data["validity_period"] == 36000
    assert isinstance(data["sticky_sender"], bool)
    assert isinstance(data["use_inbound_webhook_on_number"], bool)
    assert data["date_created"].endswith("Z")


def test_list_fetch_update_delete(client: Any, twilio_error: Any) -> None:
    services = client.messaging.v1.services
    first = services.create(friendly_name="one")
    second = services.create(friendly_name="two", **SETTINGS)

    assert {s.sid for s in services.list()} == {first.sid, second.sid}
    fetched = services(second.sid).fetch()
    assert fetched.friendly_name == "two"
    _assert_settings(fetched, SETTINGS)

    changed = {
        "inbound_request_url": "https://app.example.com/v2/inbound",
        "inbound_method": "POST",
        "fallback_url": "https://app.example.com/v2/fallback",
        "fallback_method": "POST",
        "status_callback": "https://app.example.com/v2/status",
        "use_inbound_webhook_on_number": False,
        "sticky_sender": True,
    }
    updated = services(second.sid).update(friendly_name="renamed", **changed)
    assert updated.friendly_name == "renamed"
    _assert_settings(updated, changed)
    _assert_settings(services(second.sid).fetch(), changed)

    assert services(first.sid).delete() is True
    assert [s.sid for s in services.list()] == [second.sid]
    with twilio_error(20404, 404):
        services(first.sid).fetch()


def test_update_leaves_unnamed_fields_alone(client: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="keep", **SETTINGS)
    updated = client.messaging.v1.services(service.sid).update(friendly_name="kept")
    _assert_settings(updated, SETTINGS)


def test_delete_raw_is_204_without_body(raw: Any) -> None:
    sid = raw.post("/v1/Services", data={"FriendlyName": "gone"}).json()["sid"]
    response = raw.delete(f"/v1/Services/{sid}")
    assert response.status_code == 204
    assert response.content == b""


def test_unknown_service_is_20404(client: Any, twilio_error: Any) -> None:
    unknown = client.messaging.v1.services("MG" + "0" * 32)
    with twilio_error(20404, 404):
        unknown.fetch()
    with twilio_error(20404, 404):
        unknown.update(friendly_name="x")
    with twilio_error(20404, 404):
        unknown.delete()


def test_services_are_per_account(client: Any, make_client: Any, twilio_error: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="main's")
    sub = client.api.accounts.create(friendly_name="tenant")
    sub_client = make_client(sub.sid, sub.auth_token)

    assert sub_client.messaging.v1.services.list() == []
    with twilio_error(20404, 404):
        sub_client.messaging.v1.services(service.sid).fetch()


def test_phone_numbers_add_list_fetch_remove(client: Any, twilio_error: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="pool")
    a = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    b = client.incoming_phone_numbers.create(phone_number=NUMBER_B)
    pool = client.messaging.v1.services(service.sid).phone_numbers

    added = pool.create(phone_number_sid=a.sid)
    assert added.sid == a.sid
    assert added.phone_number == NUMBER_A
    assert added.service_sid == service.sid
    assert added.account_sid == TEST_ACCOUNT_SID
    assert added.country_code == "US"
    pool.create(phone_number_sid=b.sid)

    assert {entry.sid for entry in pool.list()} == {a.sid, b.sid}
    fetched = pool(a.sid).fetch()
    assert fetched.phone_number == NUMBER_A

    assert pool(a.sid).delete() is True
    assert [entry.sid for entry in pool.list()] == [b.sid]
    with twilio_error(20404, 404):
        pool(a.sid).fetch()
    # Leaving the pool does not release the number from the account.
    assert client.incoming_phone_numbers(a.sid).fetch().phone_number == NUMBER_A


def test_a_number_belongs_to_one_pool(client: Any, twilio_error: Any) -> None:
    first = client.messaging.v1.services.create(friendly_name="first")
    second = client.messaging.v1.services.create(friendly_name="second")
    number = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    client.messaging.v1.services(first.sid).phone_numbers.create(phone_number_sid=number.sid)

    with twilio_error(21710, (400, 409)):
        client.messaging.v1.services(first.sid).phone_numbers.create(phone_number_sid=number.sid)
    with twilio_error(21712, (400, 409)):
        client.messaging.v1.services(second.sid).phone_numbers.create(phone_number_sid=number.sid)


def test_pool_needs_an_owned_number(client: Any, twilio_error: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="pool")
    with twilio_error(21421, 400):
        client.messaging.v1.services(service.sid).phone_numbers.create(
            phone_number_sid="PN" + "0" * 32
        )


def test_bad_inbound_method_is_21403(client: Any, twilio_error: Any) -> None:
    with twilio_error(21403, 400):
        client.messaging.v1.services.create(friendly_name="x", inbound_method="PATCH")
