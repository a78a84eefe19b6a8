"""The tutorial's order-status bot (examples/flask_sms), tested in-process with the plugin."""

from __future__ import annotations

import pytest
from app import HELP_REPLY, STATUS_REPLY, create_app


def test_status(switchboard):
    switchboard.number(create_app(auth_token=switchboard.auth_token), path="/sms")
    assert switchboard.text("STATUS").bodies == [STATUS_REPLY]


def test_anything_else_gets_the_help_text(switchboard):
    number = switchboard.number(create_app(auth_token=switchboard.auth_token), path="/sms")
    replies = switchboard.text("where is my parcel?", from_="+15555550177")
    assert replies.bodies == [HELP_REPLY]
    assert (replies[0].to, replies[0].from_) == ("+15555550177", number)
    assert switchboard.text(" status ").bodies == [STATUS_REPLY]  # case and spaces do not matter


def test_photos_are_acknowledged(switchboard):
    switchboard.number(create_app(auth_token=switchboard.auth_token), path="/sms")
    photos = ["https://example.com/box.jpg", "https://example.com/label.jpg"]
    assert switchboard.text("STATUS", media_urls=photos).bodies == [
        f"Thanks for the 2 photos! {STATUS_REPLY}"
    ]
    assert switchboard.text("", media_urls=photos[:1]).bodies == [
        f"Thanks for the 1 photo! {HELP_REPLY}"
    ]


def test_the_webhook_is_signed_and_the_reply_is_twiml(switchboard):
    switchboard.number(create_app(auth_token=switchboard.auth_token), path="/sms")
    switchboard.text("STATUS")
    [attempt] = switchboard.webhooks()
    assert attempt["request"]["headers"]["X-Twilio-Signature"]
    assert attempt["response"]["status"] == 200
    assert attempt["response"]["headers"]["content-type"].startswith("text/xml")


@pytest.mark.switchboard(allow_webhook_errors=True)
def test_a_wrong_auth_token_is_refused(switchboard):
    switchboard.number(create_app(auth_token="not-the-auth-token"), path="/sms")
    assert switchboard.text("STATUS").bodies == []
    [attempt] = switchboard.failed_webhooks()
    assert attempt["response"]["status"] == 403
    assert attempt["error_code"] == 11200


def test_unsigned_requests_are_refused():
    app = create_app(auth_token="secret")
    response = app.test_client().post("/sms", data={"Body": "STATUS", "NumMedia": "0"})
    assert response.status_code == 403


def test_the_auth_token_is_required(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN"):
        create_app()
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "from-the-environment")
    assert create_app().config["TWILIO_AUTH_TOKEN"] == "from-the-environment"
