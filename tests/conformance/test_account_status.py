"""Account status (SPEC §20): who a suspended or closed account is, and who may change it.

Every surface that takes credentials (2010 API, /v1, /_sim) refuses a suspended account with
10001 (403) and a closed one with 20003 (401); only the parent changes a subaccount's status;
the main account can be neither suspended nor closed.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import httpx
import pytest

from switchboard.config import Config
from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Account
from switchboard.services.accounts import Principal
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer, free_port

NUMBER_B = "+14155550101"
NUMBER_C = "+14155550102"
RECIPIENT = "+14155550199"


@pytest.fixture
def tenant(client: Any, make_client: Any) -> Any:
    """A subaccount owning NUMBER_B, with an API key: (account, token client, key client)."""
    sub = client.api.accounts.create(friendly_name="tenant")
    client.api.accounts(sub.sid).incoming_phone_numbers.create(phone_number=NUMBER_B)
    sub_client = make_client(sub.sid, sub.auth_token)
    key = sub_client.new_keys.create(friendly_name="tenant key")
    return sub, sub_client, make_client(key.sid, key.secret, sub.sid)


def _refused_everywhere(
    sdk: Any, raw: httpx.Client, code: int, status: int, twilio_error: Any, page_error: Any
) -> None:
    with twilio_error(code, status):
        sdk.messages.create(to=RECIPIENT, from_=NUMBER_B, body="while suspended")
    with twilio_error(code, status):
        sdk.incoming_phone_numbers.create(phone_number=NUMBER_C)
    with page_error(code, status):
        sdk.messages.list()
    with page_error(code, status):
        sdk.messaging.v1.services.list()
    with twilio_error(code, status):
        sdk.messaging.v1.services.create(friendly_name="while suspended")
    with twilio_error(code, status):
        sdk.api.account.fetch()
    for response in (
        raw.get("/_sim/webhooks"),
        raw.post("/_sim/inbound", data={"From": RECIPIENT, "To": NUMBER_B, "Body": "hi"}),
    ):
        assert response.status_code == status, response.text
        assert response.json()["code"] == code


def test_a_suspended_subaccount_is_refused_on_every_surface(
    client: Any, tenant: Any, make_raw: Any, twilio_error: Any, page_error: Any
) -> None:
    sub, sub_client, key_client = tenant
    # Both credentials work (and are now in the auth cache) before the suspension.
    assert sub_client.messages.create(to=RECIPIENT, from_=NUMBER_B, body="before").sid
    assert key_client.messages.list()

    suspended = client.api.accounts(sub.sid).update(status="suspended")
    assert suspended.status == "suspended"

    _refused_everywhere(
        sub_client, make_raw((sub.sid, sub.auth_token)), 10001, 403, twilio_error, page_error
    )
    key_sid, key_secret = key_client.username, key_client.password
    _refused_everywhere(
        key_client, make_raw((key_sid, key_secret)), 10001, 403, twilio_error, page_error
    )


def test_a_suspended_subaccount_cannot_reactivate_itself(
    client: Any, tenant: Any, twilio_error: Any
) -> None:
    sub, sub_client, _ = tenant
    client.api.accounts(sub.sid).update(status="suspended")

    with twilio_error(10001, 403):
        sub_client.api.accounts(sub.sid).update(status="active")
    assert client.api.accounts(sub.sid).fetch().status == "suspended"


def test_only_the_parent_changes_a_subaccounts_status(
    client: Any, tenant: Any, make_client: Any, twilio_error: Any
) -> None:
    sub, sub_client, key_client = tenant
    sibling = client.api.accounts.create(friendly_name="sibling")

    for status in ("suspended", "closed", "active"):
        with twilio_error(20403, 403):
            sub_client.api.accounts(sub.sid).update(status=status)
    with twilio_error(20404, 404):
        sub_client.api.accounts(sibling.sid).update(status="suspended")
    with twilio_error(20003, 401):  # API keys manage no accounts at all
        key_client.api.accounts(sub.sid).update(status="suspended")
    # The subaccount may still rename itself.
    assert sub_client.api.accounts(sub.sid).update(friendly_name="renamed").status == "active"
    assert client.api.accounts(sibling.sid).fetch().status == "active"


def test_the_parent_manages_a_suspended_subaccount_and_reactivates_it(
    client: Any, tenant: Any, twilio_error: Any
) -> None:
    sub, sub_client, key_client = tenant
    sent = client.api.accounts(sub.sid).messages.create(
        to=RECIPIENT, from_=NUMBER_B, body="the parent's send"
    )
    client.api.accounts(sub.sid).update(status="suspended")

    as_parent = client.api.accounts(sub.sid)
    assert as_parent.fetch().status == "suspended"
    assert [m.sid for m in as_parent.messages.list()] == [sent.sid]
    assert [n.phone_number for n in as_parent.incoming_phone_numbers.list()] == [NUMBER_B]
    assert sub.sid in {a.sid for a in client.api.accounts.list(status="suspended")}

    assert as_parent.update(status="active").status == "active"
    # Access comes back with the very next request, for the token and the key alike.
    assert [m.sid for m in sub_client.messages.list()] == [sent.sid]
    assert [m.sid for m in key_client.messages.list()] == [sent.sid]
    assert sub_client.messages.create(to=RECIPIENT, from_=NUMBER_B, body="back").sid


def test_the_main_account_cannot_be_suspended_or_closed(
    client: Any, make_client: Any, raw: httpx.Client, account_path: str, twilio_error: Any
) -> None:
    for status in ("closed", "suspended"):
        with twilio_error(20403, 403):
            client.api.accounts(TEST_ACCOUNT_SID).update(status=status)
    # A raw form post too (the fuzzer's way in), with a name change riding along: all refused.
    refused = raw.post(f"{account_path}.json", data={"Status": "closed", "FriendlyName": "x"})
    assert refused.status_code == 403
    assert refused.json()["code"] == 20403

    main = make_client().api.accounts(TEST_ACCOUNT_SID).fetch()
    assert main.status == "active"
    assert main.friendly_name != "x"
    renamed = client.api.accounts(TEST_ACCOUNT_SID).update(friendly_name="Still mine")
    assert (renamed.friendly_name, renamed.status) == ("Still mine", "active")
    assert client.api.accounts(TEST_ACCOUNT_SID).update(status="active").status == "active"


def test_a_closed_subaccount_stays_closed(
    client: Any, tenant: Any, make_raw: Any, twilio_error: Any, page_error: Any
) -> None:
    sub, sub_client, key_client = tenant
    assert client.api.accounts(sub.sid).update(status="closed").status == "closed"

    for status in ("active", "suspended"):
        with twilio_error(21479, 400):
            client.api.accounts(sub.sid).update(status=status)
    assert client.api.accounts(sub.sid).fetch().status == "closed"
    # Its credentials are no credentials at all.
    _refused_everywhere(
        sub_client, make_raw((sub.sid, sub.auth_token)), 20003, 401, twilio_error, page_error
    )
    key_sid, key_secret = key_client.username, key_client.password
    _refused_everywhere(
        key_client, make_raw((key_sid, key_secret)), 20003, 401, twilio_error, page_error
    )


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_the_parent_cannot_send_or_inject_for_an_inactive_subaccount(
    client: Any, tenant: Any, raw: httpx.Client, twilio_error: Any, status: str
) -> None:
    """Twilio refuses a request for an inactive account at once (10001), rather than
    accepting the message and failing it later with 30002."""
    sub, _, _ = tenant
    client.api.accounts(sub.sid).update(status=status)
    as_parent = client.api.accounts(sub.sid)

    with twilio_error(10001, 403):
        as_parent.messages.create(to=RECIPIENT, from_=NUMBER_B, body="for the tenant")
    injected = raw.post("/_sim/inbound", data={"From": RECIPIENT, "To": NUMBER_B, "Body": "hi"})
    assert injected.status_code == 403, injected.text
    assert injected.json()["code"] == 10001
    assert as_parent.messages.list() == []


def test_the_parent_sends_and_injects_again_once_the_subaccount_is_reactivated(
    client: Any, tenant: Any, raw: httpx.Client
) -> None:
    sub, _, _ = tenant
    as_parent = client.api.accounts(sub.sid)
    as_parent.update(status="suspended")
    as_parent.update(status="active")

    sent = as_parent.messages.create(to=RECIPIENT, from_=NUMBER_B, body="for the tenant")
    assert sent.status == "queued"
    injected = raw.post("/_sim/inbound", data={"From": RECIPIENT, "To": NUMBER_B, "Body": "hi"})
    assert injected.status_code == 201, injected.text
    assert injected.json()["account_sid"] == sub.sid


def test_a_message_queued_before_the_suspension_fails_with_30002(
    client: Any, tenant: Any, raw: httpx.Client, wait_for_status: Any
) -> None:
    sub, sub_client, _ = tenant
    slow = {"name": "slow hand-off", "from": NUMBER_B, "delays": {"sending": 3600}}
    assert raw.post("/_sim/scenarios", json=slow).status_code == 201
    queued = sub_client.messages.create(to=RECIPIENT, from_=NUMBER_B, body="queued")
    assert queued.status == "queued"

    client.api.accounts(sub.sid).update(status="suspended")
    assert raw.post("/_sim/clock", data={"Advance": "3601"}).status_code == 200

    as_parent = client.api.accounts(sub.sid)
    failed = wait_for_status(queued.sid, "failed", sdk=as_parent)
    assert failed.error_code == 30002
    assert failed.date_sent is None


# --- Start-up --------------------------------------------------------------------------------


def _start(database: str) -> LiveServer:
    config = Config(
        database=database,
        account_sid=TEST_ACCOUNT_SID,
        auth_token=TEST_AUTH_TOKEN,
        port=free_port(),
    )
    return LiveServer(config).start()


def test_start_up_reactivates_a_main_account_left_closed(
    tmp_path: Any, make_raw: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Older versions let the API close the main account, locking its owner out for good."""
    database = str(tmp_path / "locked-out.sqlite")
    first = _start(database)
    try:
        services = first.app.state.services
        main = first.call(services.runtime.store.get_account(TEST_ACCOUNT_SID))
        assert isinstance(main, Account)
        first.call(
            services.runtime.store.update_account(dataclasses.replace(main, status="closed"))
        )
    finally:
        first.stop()

    caplog.set_level(logging.WARNING, logger="switchboard.accounts")
    second = _start(database)
    try:
        with httpx.Client(
            base_url=second.base_url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
        ) as http:
            fetched = http.get(f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}.json")
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["status"] == "active"
    finally:
        second.stop()
    assert any("reactivating" in r.getMessage() for r in caplog.records)


def test_a_suspended_parent_cannot_change_a_subaccounts_status(
    server: LiveServer, client: Any
) -> None:
    """21476. Unreachable over HTTP (a suspended parent's credentials are refused first, and the
    main account cannot be suspended), so the rule is checked on the service itself."""
    sub = client.api.accounts.create(friendly_name="tenant")
    accounts = server.app.state.services.accounts
    stored = server.call(accounts.account(sub.sid))
    suspended_parent = dataclasses.replace(server.account, status="suspended")

    with pytest.raises(TwilioError) as refused:
        server.call(accounts.update_account(Principal(suspended_parent), stored, None, "closed"))
    assert refused.value.code == 21476
    assert client.api.accounts(sub.sid).fetch().status == "active"
