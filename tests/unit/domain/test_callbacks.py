"""Webhook and status-callback parameters (SPEC §1.4, §5.4)."""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.domain.callbacks import inbound_params, raw_dlr_done_date, status_params
from switchboard.domain.lifecycle import MessageStatus
from switchboard.domain.models import Direction, Message

NOW = datetime(2026, 7, 17, 12, 6, tzinfo=UTC)
AC = "AC" + "0" * 32


def message(**kwargs: object) -> Message:
    base: dict[str, object] = {
        "sid": "SM" + "1" * 32,
        "account_sid": AC,
        "direction": Direction.INBOUND,
        "from_": "+14155551234",
        "to": "+15005550006",
        "body": "Hello world!",
        "status": "received",
        "num_segments": 1,
        "num_media": 0,
        "date_created": NOW,
        "date_updated": NOW,
    }
    base.update(kwargs)
    base["status"] = MessageStatus(str(base["status"]))
    return Message(**base)  # type: ignore[arg-type]


def test_inbound_sms_parameters() -> None:
    params = inbound_params(message(), [])
    assert params["MessageSid"] == params["SmsSid"] == params["SmsMessageSid"]
    assert params["SmsStatus"] == "received"
    assert params["ApiVersion"] == "2010-04-01"
    assert params["NumMedia"] == "0"
    assert params["FromCity"] == "SAN FRANCISCO"
    assert params["FromState"] == "CA"
    assert "MessagingServiceSid" not in params


def test_inbound_whatsapp_with_media_and_extras() -> None:
    inbound = message(
        sid="MM" + "1" * 32,
        from_="whatsapp:+14155551234",
        to="whatsapp:+15005550006",
        messaging_service_sid="MG" + "2" * 32,
        extra={"ProfileName": "Ada", "Latitude": "51.5", "NotForwarded": "x"},
    )
    params = inbound_params(inbound, [("https://s/m0", "image/png"), ("https://s/m1", "image/gif")])
    assert params["NumMedia"] == "2"
    assert params["MediaUrl1"] == "https://s/m1"
    assert params["MediaContentType0"] == "image/png"
    assert params["ProfileName"] == "Ada"
    assert params["Latitude"] == "51.5"
    assert "NotForwarded" not in params
    assert "FromCity" not in params  # no geography on WhatsApp
    assert params["MessagingServiceSid"] == "MG" + "2" * 32


def test_status_callback_parameters() -> None:
    delivered = message(direction=Direction.OUTBOUND_API, status="delivered")
    params = status_params(delivered, NOW)
    assert params["MessageStatus"] == params["SmsStatus"] == "delivered"
    assert params["RawDlrDoneDate"] == raw_dlr_done_date(NOW) == "2607171206"
    assert "ErrorCode" not in params
    failed = message(status="undelivered", error_code=30003)
    assert status_params(failed, NOW)["ErrorCode"] == "30003"


def test_whatsapp_status_callbacks_carry_channel_fields() -> None:
    read = message(to="whatsapp:+15005550006", status="read")
    params = status_params(read, NOW)
    assert params["ChannelPrefix"] == "whatsapp"
    assert params["ChannelToAddress"] == "+15005550006"
    assert params["EventType"] == "READ"
    assert "RawDlrDoneDate" not in params
