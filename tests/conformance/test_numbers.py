"""IncomingPhoneNumbers through the official SDK (SPEC §7.1)."""

from __future__ import annotations

from typing import Any

from switchboard.testing import TEST_ACCOUNT_SID

NUMBER_A = "+14155550100"
NUMBER_B = "+14155550101"


def test_create_with_phone_number(client: Any) -> None:
    number = client.incoming_phone_numbers.create(
        phone_number=NUMBER_A, sms_url="https://app.example.com/sms"
    )

    assert number.sid.startswith("PN")
    assert len(number.sid) == 34
    assert number.account_sid == TEST_ACCOUNT_SID
    assert number.phone_number == NUMBER_A
    assert number.friendly_name == "(415) 555-0100"
    assert number.sms_url == "https://app.example.com/sms"
    assert number.sms_method == "POST"
    assert number.sms_fallback_method == "POST"
    assert number.capabilities["sms"] is True
    assert number.capabilities["mms"] is True
    assert number.api_version == "2010-04-01"
    assert number.uri == (
        f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers/{number.sid}.json"
    )


def test_create_normalizes_a_formatted_number(client: Any) -> None:
    number = client.incoming_phone_numbers.create(phone_number="+1 (415) 555-0100")
    assert number.phone_number == NUMBER_A


def test_create_with_area_code(client: Any) -> None:
    first = client.incoming_phone_numbers.create(area_code="415")
    second = client.incoming_phone_numbers.create(area_code="415")

    for number in (first, second):
        assert number.phone_number.startswith("+1415")
        assert len(number.phone_number) == 12
    assert first.phone_number != second.phone_number


def test_list_and_filter_by_phone_number(client: Any) -> None:
    a = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    b = client.incoming_phone_numbers.create(phone_number=NUMBER_B, friendly_name="Support")

    assert {n.sid for n in client.incoming_phone_numbers.list()} == {a.sid, b.sid}
    assert [n.sid for n in client.incoming_phone_numbers.list(phone_number=NUMBER_A)] == [a.sid]
    assert [n.sid for n in client.incoming_phone_numbers.list(friendly_name="Support")] == [b.sid]
    assert client.incoming_phone_numbers.list(phone_number="+14155550177") == []


def test_fetch(client: Any) -> None:
    created = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    fetched = client.incoming_phone_numbers(created.sid).fetch()
    assert fetched.sid == created.sid
    assert fetched.phone_number == NUMBER_A
    assert fetched.date_created == created.date_created


def test_update_messaging_configuration(client: Any) -> None:
    created = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    updated = client.incoming_phone_numbers(created.sid).update(
        sms_url="https://app.example.com/in",
        sms_method="GET",
        sms_fallback_url="https://app.example.com/fallback",
        sms_fallback_method="GET",
        status_callback="https://app.example.com/status",
        status_callback_method="GET",
        friendly_name="Main line",
    )

    for record in (updated, client.incoming_phone_numbers(created.sid).fetch()):
        assert record.sms_url == "https://app.example.com/in"
        assert record.sms_method == "GET"
        assert record.sms_fallback_url == "https://app.example.com/fallback"
        assert record.sms_fallback_method == "GET"
        assert record.status_callback == "https://app.example.com/status"
        assert record.status_callback_method == "GET"
        assert record.friendly_name == "Main line"
        assert record.phone_number == NUMBER_A


def test_update_leaves_unnamed_fields_alone(client: Any) -> None:
    created = client.incoming_phone_numbers.create(
        phone_number=NUMBER_A, sms_url="https://app.example.com/in"
    )
    updated = client.incoming_phone_numbers(created.sid).update(friendly_name="Renamed")
    assert updated.sms_url == "https://app.example.com/in"
    assert updated.friendly_name == "Renamed"


def test_delete(client: Any, raw: Any, account_path: str, twilio_error: Any) -> None:
    created = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    assert client.incoming_phone_numbers(created.sid).delete() is True
    assert client.incoming_phone_numbers.list() == []
    with twilio_error(20404, 404):
        client.incoming_phone_numbers(created.sid).fetch()

    # The number is free again, and a raw DELETE answers 204 with no body.
    again = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    response = raw.delete(f"{account_path}/IncomingPhoneNumbers/{again.sid}.json")
    assert response.status_code == 204
    assert response.content == b""


def test_number_already_taken_is_21422(client: Any, make_client: Any, twilio_error: Any) -> None:
    client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    with twilio_error(21422, 400):
        client.incoming_phone_numbers.create(phone_number=NUMBER_A)

    sub = client.api.accounts.create(friendly_name="other tenant")
    with twilio_error(21422, 400):
        make_client(sub.sid, sub.auth_token).incoming_phone_numbers.create(phone_number=NUMBER_A)


def test_bad_sms_method_is_21403(client: Any, twilio_error: Any) -> None:
    created = client.incoming_phone_numbers.create(phone_number=NUMBER_A)
    with twilio_error(21403, 400):
        client.incoming_phone_numbers(created.sid).update(sms_method="PUT")
    with twilio_error(21403, 400):
        client.incoming_phone_numbers.create(phone_number=NUMBER_B, sms_fallback_method="FETCH")
    assert client.incoming_phone_numbers(created.sid).fetch().sms_method == "POST"


def test_invalid_phone_number_is_21421(client: Any, twilio_error: Any) -> None:
    with twilio_error(21421, 400):
        client.incoming_phone_numbers.create(phone_number="not a number")
    with twilio_error(21421, 400):
        client.incoming_phone_numbers.create(area_code="12")
    with twilio_error(21421, 400):
        client.incoming_phone_numbers.create(phone_number="+10005550000")  # area code 000


def test_an_area_code_that_does_not_exist_has_no_numbers(client: Any, twilio_error: Any) -> None:
    with twilio_error(21452, 400):
        client.incoming_phone_numbers.create(area_code="999")
    assert client.incoming_phone_numbers.create(area_code="555").phone_number == "+15555550100"


def test_unknown_number_sid_is_20404(client: Any, twilio_error: Any) -> None:
    with twilio_error(20404, 404):
        client.incoming_phone_numbers("PN" + "0" * 32).fetch()
    with twilio_error(20404, 404):
        client.incoming_phone_numbers("PN" + "0" * 32).update(friendly_name="x")
    with twilio_error(20404, 404):
        client.incoming_phone_numbers("PN" + "0" * 32).delete()


def test_purchase_magic_values_of_test_credentials(client: Any, twilio_error: Any) -> None:
    """SPEC §21.2: the magic numbers and area code of a number purchase."""
    with twilio_error(21422, 400):
        client.incoming_phone_numbers.create(phone_number="+15005550000")
    with twilio_error(21421, 400):
        client.incoming_phone_numbers.create(phone_number="+15005550001")
    with twilio_error(21452, 400):
        client.incoming_phone_numbers.create(area_code="533")
    bought = client.incoming_phone_numbers.create(phone_number="+15005550006")
    assert bought.phone_number == "+15005550006"
    assert bought.friendly_name == "(500) 555-0006"
