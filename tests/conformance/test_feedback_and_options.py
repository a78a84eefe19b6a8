"""Message Feedback (SPEC §21.1) and the create parameters that change what a fetch returns
(SPEC §6.2: SendAsMms, ContentRetention, AddressRetention, Attempt, RiskCheck, TrafficType,
ProvideFeedback), through the official SDK."""

from __future__ import annotations

from typing import Any

from switchboard.testing import TEST_ACCOUNT_SID

RECIPIENT = "+14155550199"


def test_feedback_through_the_sdk(client: Any, number: str, raw: Any, account_path: str) -> None:
    message = client.messages.create(
        to=RECIPIENT, from_=number, body="Your code is 123456", provide_feedback=True
    )
    uri = f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/{message.sid}/Feedback.json"
    assert message.subresource_uris["feedback"] == uri

    feedback = client.messages(message.sid).feedback.create(outcome="unconfirmed")
    assert (feedback.account_sid, feedback.message_sid) == (TEST_ACCOUNT_SID, message.sid)
    assert feedback.outcome == "unconfirmed"
    assert feedback.uri == uri
    assert feedback.date_created is not None

    again = client.messages(message.sid).feedback.create(outcome="confirmed")
    assert again.outcome == "confirmed"
    assert again.date_created == feedback.date_created  # the same feedback, a new outcome

    answer = raw.post(f"{account_path}/Messages/{message.sid}/Feedback.json", data={})
    assert answer.status_code == 200  # not 201
    assert answer.json()["outcome"] == "confirmed"  # no Outcome: the call confirms


def test_feedback_errors(
    client: Any, number: str, raw: Any, account_path: str, twilio_error: Any
) -> None:
    message = client.messages.create(to=RECIPIENT, from_=number, body="hi")
    with twilio_error(20404, 404):
        client.messages("SM" + "0" * 32).feedback.create(outcome="confirmed")
    with twilio_error(21000, 400):
        client.messages(message.sid).feedback.create(outcome="delayed")


def test_send_as_mms_without_media_is_one_mms(client: Any, number: str) -> None:
    body = "a" * 161  # two SMS parts
    message = client.messages.create(to=RECIPIENT, from_=number, body=body, send_as_mms=True)
    assert message.sid.startswith("MM")
    assert message.num_segments == "1"
    assert message.num_media == "0"
    plain = client.messages.create(to=RECIPIENT, from_=number, body=body, send_as_mms=False)
    assert (plain.sid[:2], plain.num_segments) == ("SM", "2")


def test_retention_hides_body_and_recipient_once_delivered(
    client: Any, number: str, wait_for_status: Any
) -> None:
    message = client.messages.create(
        to=RECIPIENT,
        from_=number,
        body="secret",
        content_retention="discard",
        address_retention="obfuscate",
    )
    assert (message.body, message.to) == ("secret", RECIPIENT)  # still on its way
    done = wait_for_status(message.sid)
    assert done.body == ""
    assert done.to == "+1415555XXXX"
    kept = client.messages.create(
        to=RECIPIENT, from_=number, body="kept", content_retention="retain"
    )
    kept = wait_for_status(kept.sid)
    assert (kept.body, kept.to) == ("kept", RECIPIENT)


def test_attempt_risk_check_and_traffic_type_are_checked(
    client: Any, number: str, twilio_error: Any
) -> None:
    message = client.messages.create(
        to=RECIPIENT, from_=number, body="ok", attempt=2, risk_check="disable", traffic_type="free"
    )
    assert message.status == "queued"
    for bad in (
        {"attempt": 0},
        {"risk_check": "off"},
        {"traffic_type": "paid"},
        {"content_retention": "forget"},
        {"address_retention": "hide"},
        {"send_as_mms": "maybe"},
        {"provide_feedback": "maybe"},
    ):
        with twilio_error(21000, 400):
            client.messages.create(to=RECIPIENT, from_=number, body="x", **bad)
