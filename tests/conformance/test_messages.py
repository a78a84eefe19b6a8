"""Messages and their Media through the official SDK (SPEC §6.2-6.8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from switchboard.testing import TEST_ACCOUNT_SID

RECIPIENT = "+14155550199"
RECIPIENT_2 = "+14155550198"
NUMBER_B = "+14155550101"
MEDIA = ["https://example.com/cat.jpg", "https://example.com/dog.png"]
GSM_161 = "a" * 161


# --- Create ----------------------------------------------------------------------------------


def test_create_with_from_is_queued_outbound_api(client: Any, number: str) -> None:
    message = client.messages.create(to=RECIPIENT, from_=number, body="Hello there")

    assert message.sid.startswith("SM")
    assert len(message.sid) == 34
    assert message.account_sid == TEST_ACCOUNT_SID
    assert message.status == "queued"
    assert message.direction == "outbound-api"
    assert message.from_ == number
    assert message.to == RECIPIENT
    assert message.body == "Hello there"
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert message.price is None
    assert message.date_sent is None
    assert message.error_code is None
    assert message.error_message is None
    assert message.api_version == "2010-04-01"
    assert isinstance(message.date_created, datetime)  # RFC 2822, parsed by the SDK
    assert message.uri == f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/{message.sid}.json"
    assert message.subresource_uris["media"] == (
        f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/{message.sid}/Media.json"
    )


def test_create_raw_shape_counts_are_strings(raw: Any, account_path: str, number: str) -> None:
    response = raw.post(
        f"{account_path}/Messages.json", data={"To": RECIPIENT, "From": number, "Body": GSM_161}
    )

    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["num_segments"] == "2"
    assert data["num_media"] == "0"
    assert data["price"] is None
    assert data["date_sent"] is None
    assert data["status"] == "queued"
    assert data["direction"] == "outbound-api"
    assert data["sid"].startswith("SM")
    assert data["date_created"].endswith("+0000")


def test_create_with_media_is_mm_with_one_segment(
    client: Any, raw: Any, account_path: str, number: str
) -> None:
    message = client.messages.create(to=RECIPIENT, from_=number, body=GSM_161, media_url=MEDIA)
    assert message.sid.startswith("MM")
    assert message.num_media == "2"
    assert message.num_segments == "1"

    only_media = raw.post(
        f"{account_path}/Messages.json",
        data={"To": RECIPIENT, "From": number, "MediaUrl": MEDIA[0]},
    )
    assert only_media.status_code == 201
    data = only_media.json()
    assert data["sid"].startswith("MM")
    assert data["num_media"] == "1"
    assert data["num_segments"] == "1"
    assert data["body"] == ""


def test_create_with_messaging_service_is_accepted_without_from(
    client: Any, raw: Any, account_path: str, pool_service: Any
) -> None:
    message = client.messages.create(
        to=RECIPIENT, messaging_service_sid=pool_service.sid, body="via service"
    )
    assert message.status == "accepted"
    assert message.from_ is None
    assert message.messaging_service_sid == pool_service.sid
    assert message.direction == "outbound-api"

    data = raw.post(
        f"{account_path}/Messages.json",
        data={"To": RECIPIENT, "MessagingServiceSid": pool_service.sid, "Body": "raw"},
    ).json()
    assert data["status"] == "accepted"
    assert data["from"] is None
    assert data["num_segments"] == "0"  # no sender chosen yet (OAI num_segments description)


def test_create_with_service_and_pool_from_pins_the_sender(
    client: Any, number: str, pool_service: Any
) -> None:
    message = client.messages.create(
        to=RECIPIENT, from_=number, messaging_service_sid=pool_service.sid, body="pinned"
    )
    assert message.from_ == number
    assert message.messaging_service_sid == pool_service.sid


def test_create_scheduled(client: Any, pool_service: Any) -> None:
    send_at = datetime.now(UTC) + timedelta(minutes=10)
    message = client.messages.create(
        to=RECIPIENT,
        messaging_service_sid=pool_service.sid,
        body="later",
        send_at=send_at,
        schedule_type="fixed",
    )
    assert message.status == "scheduled"
    assert message.date_sent is None
    assert client.messages(message.sid).fetch().status == "scheduled"


def test_create_alphanumeric_sender_needs_no_number(client: Any) -> None:
    message = client.messages.create(to=RECIPIENT, from_="Switchboard", body="hi")
    assert message.from_ == "Switchboard"
    assert message.status == "queued"


# --- Fetch and list --------------------------------------------------------------------------


def test_fetch_returns_the_created_message(client: Any, number: str) -> None:
    created = client.messages.create(to=RECIPIENT, from_=number, body="fetch me")
    fetched = client.messages(created.sid).fetch()

    for name in ("sid", "account_sid", "to", "from_", "body", "direction", "num_segments", "uri"):
        assert getattr(fetched, name) == getattr(created, name), name
    assert fetched.date_created == created.date_created


def test_list_filters_to_and_from(client: Any, number: str) -> None:
    client.incoming_phone_numbers.create(phone_number=NUMBER_B)
    a1 = client.messages.create(to=RECIPIENT, from_=number, body="1")
    a2 = client.messages.create(to=RECIPIENT_2, from_=number, body="2")
    b1 = client.messages.create(to=RECIPIENT, from_=NUMBER_B, body="3")

    assert [m.sid for m in client.messages.list()] == [b1.sid, a2.sid, a1.sid]
    assert [m.sid for m in client.messages.list(to=RECIPIENT)] == [b1.sid, a1.sid]
    assert [m.sid for m in client.messages.list(from_=number)] == [a2.sid, a1.sid]
    assert [m.sid for m in client.messages.list(to=RECIPIENT, from_=NUMBER_B)] == [b1.sid]
    assert client.messages.list(to="+14155550000") == []


def test_list_date_sent_filters(client: Any, number: str, recorder: Any) -> None:
    first = client.messages.create(to=RECIPIENT, from_=number, body="1")
    second = client.messages.create(to=RECIPIENT, from_=number, body="2")
    day = first.date_created.replace(hour=0, minute=0, second=0, microsecond=0)
    both = {first.sid, second.sid}

    def sids(**filters: Any) -> set[str]:
        return {m.sid for m in client.messages.list(**filters)}

    assert sids(date_sent=day) == both
    assert sids(date_sent=day - timedelta(days=1)) == set()
    assert sids(date_sent_after=day - timedelta(days=1)) == both
    assert sids(date_sent_after=day + timedelta(days=1)) == set()
    assert sids(date_sent_before=day + timedelta(days=1)) == both
    assert sids(date_sent_before=day - timedelta(days=1)) == set()
    # The day-only form from Twilio's docs; DateSent< is "on or before" that day.
    assert sids(date_sent=day.strftime("%Y-%m-%d")) == both
    assert sids(date_sent_before=day.strftime("%Y-%m-%d")) == both
    assert sids(date_sent_after=day.strftime("%Y-%m-%d")) == both

    # The last day there is: the day after it cannot be computed, so there is no upper bound.
    assert sids(date_sent="9999-12-31") == set()
    assert sids(date_sent_before="9999-12-31") == both

    # The SDK names the filters literally DateSent< and DateSent>.
    urls = [ex.url for ex in recorder.exchanges if ex.method == "GET"]
    assert any("DateSent%3C=" in url for url in urls)
    assert any("DateSent%3E=" in url for url in urls)


def test_list_accepts_the_spec_date_formats(raw: Any, account_path: str, number: str) -> None:
    raw.post(f"{account_path}/Messages.json", data={"To": RECIPIENT, "From": number, "Body": "x"})
    for value in (
        "2019-06-11",
        "2019-06-11T22:05:25Z",
        "06/11/2019 22:05:25 MST",
        "2019-06-11 22:05:25.000",
        "Wed, 19 Jun 2019 22:04:00 -0000",
    ):
        response = raw.get(f"{account_path}/Messages.json", params={"DateSent>": value})
        assert response.status_code == 200, value
        assert len(response.json()["messages"]) == 1, value


# --- Update ----------------------------------------------------------------------------------


def test_update_with_empty_body_redacts(client: Any, number: str) -> None:
    created = client.messages.create(to=RECIPIENT, from_=number, body="secret stuff")
    redacted = client.messages(created.sid).update(body="")

    assert redacted.body == ""
    assert redacted.sid == created.sid
    assert redacted.to == created.to
    assert redacted.from_ == created.from_
    assert redacted.num_segments == created.num_segments
    assert client.messages(created.sid).fetch().body == ""


def test_cancel_a_scheduled_message(client: Any, pool_service: Any) -> None:
    scheduled = client.messages.create(
        to=RECIPIENT,
        messaging_service_sid=pool_service.sid,
        body="never",
        send_at=datetime.now(UTC) + timedelta(minutes=10),
        schedule_type="fixed",
    )
    canceled = client.messages(scheduled.sid).update(status="canceled")

    assert canceled.status == "canceled"
    assert client.messages(scheduled.sid).fetch().status == "canceled"


def test_canceling_a_queued_message_is_30409(client: Any, number: str, twilio_error: Any) -> None:
    queued = client.messages.create(to=RECIPIENT, from_=number, body="now")
    with twilio_error(30409, 400):
        client.messages(queued.sid).update(status="canceled")


# --- The carrier, delete ---------------------------------------------------------------------


def test_carrier_delivers_and_sets_date_sent_and_price(
    client: Any, number: str, wait_for_status: Any
) -> None:
    created = client.messages.create(to=RECIPIENT, from_=number, body="deliver me")
    delivered = wait_for_status(created.sid, "delivered")

    assert delivered.date_sent is not None
    assert isinstance(delivered.price, str)
    assert delivered.price.startswith("-")
    assert delivered.price_unit == "USD"
    assert delivered.error_code is None
    day = delivered.date_sent.replace(hour=0, minute=0, second=0, microsecond=0)
    assert [m.sid for m in client.messages.list(date_sent=day)] == [created.sid]


def test_delete_in_flight_is_20009_then_204_once_delivered(
    client: Any, raw: Any, account_path: str, number: str, wait_for_status: Any, twilio_error: Any
) -> None:
    created = client.messages.create(to=RECIPIENT, from_=number, body="delete me")
    with twilio_error(20009, (400, 409)):
        client.messages(created.sid).delete()

    wait_for_status(created.sid, "delivered")
    response = raw.delete(f"{account_path}/Messages/{created.sid}.json")
    assert response.status_code == 204
    assert response.content == b""
    with twilio_error(20404, 404):
        client.messages(created.sid).fetch()


def test_sdk_delete_returns_true(client: Any, number: str, wait_for_status: Any) -> None:
    created = client.messages.create(to=RECIPIENT, from_=number, body="bye")
    wait_for_status(created.sid, "delivered")
    assert client.messages(created.sid).delete() is True
    assert client.messages.list() == []


def test_delete_a_canceled_message(client: Any, pool_service: Any) -> None:
    scheduled = client.messages.create(
        to=RECIPIENT,
        messaging_service_sid=pool_service.sid,
        body="never",
        send_at=datetime.now(UTC) + timedelta(minutes=10),
        schedule_type="fixed",
    )
    client.messages(scheduled.sid).update(status="canceled")
    assert client.messages(scheduled.sid).delete() is True


# --- Media -----------------------------------------------------------------------------------


def test_media_list_fetch_delete(client: Any, number: str, twilio_error: Any) -> None:
    message = client.messages.create(to=RECIPIENT, from_=number, body="pics", media_url=MEDIA)
    media = client.messages(message.sid).media.list()

    assert len(media) == 2
    assert {m.content_type for m in media} == {"image/jpeg", "image/png"}
    for item in media:
        assert item.sid.startswith("ME")
        assert item.parent_sid == message.sid
        assert item.account_sid == TEST_ACCOUNT_SID
        assert item.uri == (
            f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/{message.sid}/Media/{item.sid}.json"
        )
        fetched = client.messages(message.sid).media(item.sid).fetch()
        assert fetched.sid == item.sid
        assert fetched.content_type == item.content_type

    assert client.messages(message.sid).media(media[0].sid).delete() is True
    assert [m.sid for m in client.messages(message.sid).media.list()] == [media[1].sid]
    with twilio_error(20404, 404):
        client.messages(message.sid).media(media[0].sid).fetch()


def test_media_list_raw_key_is_media_list(raw: Any, account_path: str, number: str) -> None:
    sid = raw.post(
        f"{account_path}/Messages.json",
        data={"To": RECIPIENT, "From": number, "MediaUrl": MEDIA},
    ).json()["sid"]
    data = raw.get(f"{account_path}/Messages/{sid}/Media.json").json()
    assert len(data["media_list"]) == 2
    assert data["next_page_uri"] is None


def test_media_content_url_redirects_to_the_source(
    client: Any, make_raw: Any, account_path: str, number: str
) -> None:
    message = client.messages.create(to=RECIPIENT, from_=number, media_url=MEDIA)
    media = client.messages(message.sid).media.list()
    by_type = {m.content_type: m for m in media}
    jpeg = by_type["image/jpeg"]
    content_url = f"{account_path}/Messages/{message.sid}/Media/{jpeg.sid}"

    for http in (make_raw(), make_raw(auth=None)):  # public on a loopback bind, like Twilio
        response = http.get(content_url, follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == MEDIA[0]


def test_media_of_an_unknown_message_is_20404(client: Any, page_error: Any) -> None:
    with page_error(20404, 404):
        client.messages("SM" + "0" * 32).media.list()


@pytest.mark.parametrize(
    "query",
    [
        {"DateSent": "9999-12-31T23:59:59"},
        {"DateSent": "9999-12-31"},
        {"DateSent<": "9999-12-31T23:59:59.999999Z"},
        {"DateSent<": "9999-12-31"},
        {"DateSent>": "0001-01-01T00:00:00+01:00"},
        {"DateSent<": "9999-12-31T23:59:59-01:00"},
    ],
)
def test_date_filters_at_the_ends_of_time(
    raw: Any, account_path: str, number: str, query: dict[str, str]
) -> None:
    """A filter's upper bound one day (or one microsecond) after 9999-12-31 overflowed: a 500."""
    raw.post(
        f"{account_path}/Messages.json", data={"To": "+14155550199", "From": number, "Body": "x"}
    )
    response = raw.get(f"{account_path}/Messages.json", params=query)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        expected = 1 if "DateSent>" in query or "DateSent<" in query else 0
        assert len(response.json()["messages"]) == expected
