"""Twilio's error codes as the SDK surfaces them: TwilioRestException .code and .status (§6.9).

List reads are the one place the SDK raises the base TwilioException instead (see the
``page_error`` fixture); everything else must arrive as TwilioRestException.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

NUMBER_A = "+14155550100"
RECIPIENT = "+14155550199"
UNKNOWN_SM = "SM" + "0" * 32
UNKNOWN_MG = "MG" + "0" * 32
MEDIA = "https://example.com/cat.jpg"

# kwargs for messages.create (From is NUMBER_A, owned, unless overridden) -> (code, HTTP status)
CREATE_ERRORS = {
    "empty To": ({"to": ""}, 21604, 400),
    "invalid To": ({"to": "not-a-number"}, 21211, 400),
    "national To": ({"to": "4155550199"}, 21211, 400),
    # Numbers are checked against the numbering plans (libphonenumber): issue 13's two numbers.
    "To in area code 000": ({"to": "+10005550000"}, 21211, 400),
    "short code To": ({"to": "12345"}, 21211, 400),
    "To in an unassigned area code": ({"to": "+19995550100"}, 21211, 400),
    "landline To": ({"to": "+33142685300"}, 21614, 400),
    "invalid From": ({"from_": "+1-bad-!"}, 21212, 400),
    "From in area code 000": ({"from_": "+10005550000"}, 21212, 400),
    "From not owned": ({"from_": "+14155550111"}, 21606, 400),
    "no Body or MediaUrl": ({"body": None}, 21602, 400),
    "empty Body": ({"body": ""}, 21602, 400),
    "Body of 1601": ({"body": "a" * 1601}, 21617, 400),
    "11 media": ({"media_url": [f"https://example.com/{i}.jpg" for i in range(11)]}, 21623, 400),
    "media not a URL": ({"media_url": ["not a url"]}, 21620, 400),
    "media ftp": ({"media_url": ["ftp://example.com/a.jpg"]}, 21620, 400),
    "StatusCallback not a URL": ({"status_callback": "nope"}, 21609, 400),
    "StatusCallback underscore host": (
        {"status_callback": "https://bad_host.example.com/cb"},
        21609,
        400,
    ),
    "ValidityPeriod 0": ({"validity_period": 0}, 21624, 400),
    "ValidityPeriod 40000": ({"validity_period": 40000}, 21624, 400),
    "unknown service": ({"messaging_service_sid": UNKNOWN_MG}, 21701, 400),
    "malformed service": ({"messaging_service_sid": "MGnope"}, 21701, 400),
    "SendAt without a service": (
        {"send_at": datetime.now(UTC) + timedelta(minutes=10), "schedule_type": "fixed"},
        35118,
        400,
    ),
}


@pytest.mark.parametrize(("overrides", "code", "status"), CREATE_ERRORS.values(), ids=CREATE_ERRORS)
def test_create_message_errors(
    client: Any, number: str, twilio_error: Any, overrides: dict[str, Any], code: int, status: int
) -> None:
    kwargs: dict[str, Any] = {"to": RECIPIENT, "from_": number, "body": "hello", **overrides}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    with twilio_error(code, status):
        client.messages.create(**kwargs)
    assert client.messages.list() == []


@pytest.mark.parametrize("to", ["+10005550000", "12345"])
def test_invalid_to_names_the_number(client: Any, number: str, twilio_error: Any, to: str) -> None:
    with twilio_error(21211, 400) as caught:
        client.messages.create(to=to, from_=number, body="hello")
    assert caught.value.msg.endswith(f"The 'To' number {to} is not a valid phone number.")


@pytest.mark.parametrize("to", ["+15555550100", "+15005550006", "+447700900123", "+18005550100"])
def test_fictional_and_toll_free_to_are_accepted(client: Any, number: str, to: str) -> None:
    assert client.messages.create(to=to, from_=number, body="hello").to == to


def test_missing_to_raw_is_21604(raw: Any, account_path: str, number: str) -> None:
    response = raw.post(f"{account_path}/Messages.json", data={"From": number, "Body": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "code": 21604,
        "message": "A 'To' phone number is required.",
        "more_info": "https://www.twilio.com/docs/errors/21604",
        "status": 400,
    }


def test_no_from_and_no_service_is_21603(client: Any, twilio_error: Any) -> None:
    with twilio_error(21603, 400):
        client.messages.create(to=RECIPIENT, body="from nobody")


def test_service_send_without_content_is_21619(
    client: Any, pool_service: Any, twilio_error: Any
) -> None:
    with twilio_error(21619, 400):
        client.messages.create(to=RECIPIENT, messaging_service_sid=pool_service.sid)


def test_body_of_1600_is_accepted(client: Any, number: str) -> None:
    message = client.messages.create(to=RECIPIENT, from_=number, body="a" * 1600)
    assert message.num_segments == "11"


def test_ten_media_are_accepted(client: Any, number: str) -> None:
    urls = [f"https://example.com/{i}.jpg" for i in range(10)]
    assert client.messages.create(to=RECIPIENT, from_=number, media_url=urls).num_media == "10"


def test_validity_period_bounds_are_accepted(client: Any, number: str) -> None:
    for period in (1, 36000):
        message = client.messages.create(
            to=RECIPIENT, from_=number, body="x", validity_period=period
        )
        assert message.status == "queued"


def test_unknown_message_is_20404_naming_the_path(
    client: Any, raw: Any, account_path: str, twilio_error: Any
) -> None:
    with twilio_error(20404, 404) as caught:
        client.messages(UNKNOWN_SM).fetch()
    path = f"{account_path}/Messages/{UNKNOWN_SM}.json"
    assert path in caught.value.msg

    response = raw.get(path)
    assert response.status_code == 404
    assert response.json() == {
        "code": 20404,
        "message": f"The requested resource {path} was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    with twilio_error(20404, 404):
        client.messages(UNKNOWN_SM).update(body="")
    with twilio_error(20404, 404):
        client.messages(UNKNOWN_SM).delete()


def test_another_accounts_message_is_20404(
    client: Any, make_client: Any, number: str, twilio_error: Any
) -> None:
    sub = client.api.accounts.create(friendly_name="tenant")
    sub_client = make_client(sub.sid, sub.auth_token)
    sub_client.incoming_phone_numbers.create(phone_number="+14155550102")
    theirs = sub_client.messages.create(to=RECIPIENT, from_="+14155550102", body="theirs")

    # By SID under one's own account: not found (the parent must name the subaccount).
    with twilio_error(20404, 404):
        client.messages(theirs.sid).fetch()
    with twilio_error(20404, 404):
        client.messages(theirs.sid).update(body="")
    mine = client.messages.create(to=RECIPIENT, from_=number, body="mine")
    with twilio_error(20404, 404):
        sub_client.messages(mine.sid).fetch()
    with twilio_error(20404, 404):
        sub_client.messages(mine.sid).delete()


def test_wrong_password_is_20003_with_a_basic_challenge(
    make_client: Any, make_raw: Any, account_path: str, twilio_error: Any
) -> None:
    with twilio_error(20003, 401):
        make_client(TEST_ACCOUNT_SID, "wrong-token").api.account.fetch()
    with twilio_error(20003, 401):
        make_client(TEST_ACCOUNT_SID, "wrong-token").messages.create(
            to=RECIPIENT, from_=NUMBER_A, body="x"
        )

    for http in (make_raw(auth=(TEST_ACCOUNT_SID, "wrong-token")), make_raw(auth=None)):
        for method, path in (
            ("GET", f"{account_path}/Messages.json"),
            ("POST", f"{account_path}/Messages.json"),
            ("GET", "/v1/Services"),
        ):
            response = http.request(method, path)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'
            assert response.json() == {
                "code": 20003,
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            }


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Bearer " + TEST_AUTH_TOKEN,
        "Basic "
        + base64.b64encode(f"{TEST_ACCOUNT_SID.lower()}:{TEST_AUTH_TOKEN}".encode()).decode(),
    ],
)
def test_malformed_authorization_is_20003(
    make_raw: Any, account_path: str, authorization: str
) -> None:
    response = make_raw(auth=None).get(
        f"{account_path}/Messages.json", headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert response.json()["code"] == 20003
    assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'


def test_non_ascii_authorization_is_20003(make_raw: Any, account_path: str) -> None:
    """Header bytes beyond ASCII (obs-text) reach the app as Latin-1 text, which base64
    decoding rejects with a plain ValueError: that was a 500."""
    response = make_raw(auth=None).get(
        f"{account_path}/Messages.json", headers={"Authorization": b"Basic \xff\xfe\xfd"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == 20003


def test_page_size_over_1000_is_20007(client: Any, page_error: Any, raw: Any) -> None:
    with page_error(20007, 400):
        client.messages.page(page_size=1001)
    with page_error(20007, 400):
        client.messaging.v1.services.page(page_size=1001)
    assert raw.get("/v1/Services", params={"PageSize": 1000}).status_code == 200


def test_bad_page_token_is_21481(client: Any, page_error: Any) -> None:
    with page_error(21481, 400):
        client.messages.page(page_token="garbage")
    with page_error(21481, 400):
        client.messages.page(page_token="PA" + UNKNOWN_SM)
    with page_error(21481, 400):
        client.incoming_phone_numbers.page(page_token="nonsense")
    with page_error(21481, 400):
        client.messaging.v1.services.page(page_token="PAnonsense")


def test_invalid_update_status_and_body(client: Any, number: str, twilio_error: Any) -> None:
    message = client.messages.create(to=RECIPIENT, from_=number, body="x")
    with pytest.raises(TwilioRestException) as caught:
        client.messages(message.sid).update(status="sent")
    assert caught.value.status == 400  # only "canceled" is in message_enum_update_status
    with pytest.raises(TwilioRestException) as caught:
        client.messages(message.sid).update(body="rewritten")
    assert caught.value.status == 400  # a body can only be redacted


def test_unknown_route_and_method(raw: Any, account_path: str) -> None:
    missing = raw.get(f"{account_path}/Nope.json")
    assert missing.status_code == 404
    assert missing.json()["code"] == 20404
    not_allowed = raw.put(f"{account_path}/Messages.json")
    assert not_allowed.status_code == 405
    assert not_allowed.json()["code"] == 20004
