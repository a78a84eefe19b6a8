"""Accounts, subaccounts and API keys; Basic auth with either credential (SPEC §6.1)."""

from __future__ import annotations

from typing import Any

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

NUMBER_A = "+14155550100"
NUMBER_B = "+14155550101"
RECIPIENT = "+14155550199"


# --- Accounts --------------------------------------------------------------------------------


def test_fetch_the_main_account(client: Any) -> None:
    account = client.api.accounts(TEST_ACCOUNT_SID).fetch()

    assert account.sid == TEST_ACCOUNT_SID
    assert account.auth_token == TEST_AUTH_TOKEN
    assert account.owner_account_sid == TEST_ACCOUNT_SID
    assert account.status == "active"
    assert account.uri == f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}.json"
    assert account.subresource_uris["messages"] == (
        f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json"
    )
    assert client.api.account.fetch().sid == TEST_ACCOUNT_SID


def test_update_the_account_friendly_name(client: Any) -> None:
    updated = client.api.accounts(TEST_ACCOUNT_SID).update(friendly_name="Renamed")
    assert updated.friendly_name == "Renamed"
    assert client.api.accounts(TEST_ACCOUNT_SID).fetch().friendly_name == "Renamed"
    assert updated.status == "active"


def test_create_and_list_subaccounts(client: Any) -> None:
    one = client.api.accounts.create(friendly_name="tenant one")
    two = client.api.accounts.create(friendly_name="tenant two")

    for sub in (one, two):
        assert sub.sid.startswith("AC")
        assert sub.sid != TEST_ACCOUNT_SID
        assert sub.owner_account_sid == TEST_ACCOUNT_SID
        assert sub.status == "active"
        assert sub.auth_token
        assert sub.auth_token != TEST_AUTH_TOKEN
    assert one.auth_token != two.auth_token

    listed = {a.sid for a in client.api.accounts.list()}
    assert {TEST_ACCOUNT_SID, one.sid, two.sid} <= listed
    assert [a.sid for a in client.api.accounts.list(friendly_name="tenant two")] == [two.sid]


def test_subaccount_credentials_are_isolated(
    client: Any, make_client: Any, number: str, twilio_error: Any, page_error: Any
) -> None:
    parent_message = client.messages.create(to=RECIPIENT, from_=number, body="parent's")
    sub = client.api.accounts.create(friendly_name="tenant")
    sub_client = make_client(sub.sid, sub.auth_token)

    assert sub_client.messages.list() == []
    with twilio_error(20404, 404):
        sub_client.messages(parent_message.sid).fetch()
    with page_error(20404, 404):
        sub_client.api.accounts(TEST_ACCOUNT_SID).messages.list()
    with twilio_error(20404, 404):
        sub_client.api.accounts(TEST_ACCOUNT_SID).fetch()
    # A subaccount's token is not the parent's, and vice versa.
    with page_error(20003, 401):
        make_client(TEST_ACCOUNT_SID, sub.auth_token).messages.list()
    with twilio_error(20003, 401):
        make_client(sub.sid, TEST_AUTH_TOKEN).api.account.fetch()
    # The sender number belongs to the parent: the subaccount cannot send from it.
    with twilio_error(21606, 400):
        sub_client.messages.create(to=RECIPIENT, from_=number, body="not mine")


def test_parent_reaches_subaccount_resources(client: Any, make_client: Any) -> None:
    sub = client.api.accounts.create(friendly_name="tenant")
    as_parent = client.api.accounts(sub.sid)

    number = as_parent.incoming_phone_numbers.create(phone_number=NUMBER_B)
    assert number.account_sid == sub.sid
    message = as_parent.messages.create(to=RECIPIENT, from_=NUMBER_B, body="for the tenant")
    assert message.account_sid == sub.sid
    assert [m.sid for m in as_parent.messages.list()] == [message.sid]
    assert as_parent.messages(message.sid).fetch().body == "for the tenant"
    assert as_parent.fetch().friendly_name == "tenant"

    # The subaccount sees it with its own credentials; the parent's own list does not.
    sub_client = make_client(sub.sid, sub.auth_token)
    assert [m.sid for m in sub_client.messages.list()] == [message.sid]
    assert client.messages.list() == []


def test_closed_subaccount_cannot_authenticate(
    client: Any, make_client: Any, twilio_error: Any
) -> None:
    sub = client.api.accounts.create(friendly_name="closing")
    closed = client.api.accounts(sub.sid).update(status="closed")
    assert closed.status == "closed"
    with twilio_error(20003, 401):
        make_client(sub.sid, sub.auth_token).api.account.fetch()


# --- API keys --------------------------------------------------------------------------------


def test_keys_create_list_fetch_update_delete(client: Any, twilio_error: Any) -> None:
    key = client.new_keys.create(friendly_name="ci")

    assert key.sid.startswith("SK")
    assert len(key.sid) == 34
    assert key.friendly_name == "ci"
    assert key.secret
    other = client.new_keys.create(friendly_name="deploy")

    assert {k.sid for k in client.keys.list()} == {key.sid, other.sid}
    fetched = client.keys(key.sid).fetch()
    assert fetched.friendly_name == "ci"

    updated = client.keys(key.sid).update(friendly_name="ci-renamed")
    assert updated.friendly_name == "ci-renamed"
    assert client.keys(key.sid).fetch().friendly_name == "ci-renamed"

    assert client.keys(key.sid).delete() is True
    assert [k.sid for k in client.keys.list()] == [other.sid]
    with twilio_error(20404, 404):
        client.keys(key.sid).fetch()


def test_key_secret_is_only_returned_on_create(raw: Any, account_path: str) -> None:
    created = raw.post(f"{account_path}/Keys.json", data={"FriendlyName": "once"})
    assert created.status_code == 201
    assert created.json()["secret"]
    sid = created.json()["sid"]
    assert "secret" not in raw.get(f"{account_path}/Keys/{sid}.json").json()
    assert all("secret" not in k for k in raw.get(f"{account_path}/Keys.json").json()["keys"])


def test_api_key_authenticates_like_the_auth_token(
    client: Any, make_client: Any, number: str
) -> None:
    key = client.new_keys.create(friendly_name="app")
    with_key = make_client(key.sid, key.secret, TEST_ACCOUNT_SID)

    sent = with_key.messages.create(to=RECIPIENT, from_=number, body="signed with a key")
    assert sent.account_sid == TEST_ACCOUNT_SID
    assert [m.sid for m in client.messages.list()] == [sent.sid]
    assert [m.sid for m in with_key.messages.list()] == [sent.sid]
    assert with_key.messages(sent.sid).fetch().body == "signed with a key"
    assert with_key.incoming_phone_numbers.list()[0].phone_number == number
    service = with_key.messaging.v1.services.create(friendly_name="made with a key")
    assert service.account_sid == TEST_ACCOUNT_SID


def test_bad_key_credentials_are_20003(client: Any, make_client: Any, twilio_error: Any) -> None:
    key = client.new_keys.create(friendly_name="app")
    with twilio_error(20003, 401):
        make_client(key.sid, key.secret + "x", TEST_ACCOUNT_SID).api.account.fetch()

    client.keys(key.sid).delete()
    with twilio_error(20003, 401):
        make_client(key.sid, key.secret, TEST_ACCOUNT_SID).api.account.fetch()


def test_api_key_cannot_manage_keys_or_reach_subaccounts(
    client: Any, make_client: Any, twilio_error: Any, page_error: Any
) -> None:
    """Like Twilio's Standard keys: no /Accounts or /Keys resources, own account only."""
    key = client.new_keys.create(friendly_name="standard")
    sub = client.api.accounts.create(friendly_name="tenant")
    with_key = make_client(key.sid, key.secret, TEST_ACCOUNT_SID)

    with twilio_error(20003, 401):
        with_key.new_keys.create(friendly_name="escalate")
    with page_error(20003, 401):
        with_key.keys.list()
    with page_error(20404, 404):
        with_key.api.accounts(sub.sid).messages.list()


def test_subaccount_keys_are_the_subaccounts(
    client: Any, make_client: Any, twilio_error: Any
) -> None:
    sub = client.api.accounts.create(friendly_name="tenant")
    sub_client = make_client(sub.sid, sub.auth_token)
    key = sub_client.new_keys.create(friendly_name="tenant key")

    assert client.keys.list() == []
    with twilio_error(20404, 404):
        client.keys(key.sid).fetch()
    with_key = make_client(key.sid, key.secret, sub.sid)
    assert with_key.messages.list() == []
    with twilio_error(20404, 404):
        make_client(key.sid, key.secret, TEST_ACCOUNT_SID).api.accounts(TEST_ACCOUNT_SID).fetch()
