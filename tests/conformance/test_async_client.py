"""The SDK's asyncio client (AsyncTwilioHttpClient, aiohttp) against the same server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

from switchboard.testing import TEST_ACCOUNT_SID

NUMBER_A = "+14155550100"
RECIPIENT = "+14155550199"

# twilio 9.13's AsyncTwilioHttpClient passes aiohttp.BasicAuth / auth=, deprecated since aiohttp
# 3.14: the SDK's problem, not the server's (the suite runs with warnings as errors).
pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


@pytest.fixture
async def aclient(make_async_client: Callable[..., Any]) -> AsyncIterator[Any]:
    sdk, http_client = make_async_client()
    yield sdk
    await http_client.close()  # AsyncTwilioHttpClient.close() closes its aiohttp session


async def test_create_and_list_messages_across_pages(aclient: Any) -> None:
    await aclient.incoming_phone_numbers.create_async(phone_number=NUMBER_A)
    sent = [
        (await aclient.messages.create_async(to=RECIPIENT, from_=NUMBER_A, body=f"m{i}")).sid
        for i in range(7)
    ]

    listed = await aclient.messages.list_async(page_size=3)
    assert [m.sid for m in listed] == sent[::-1]

    first = await aclient.messages.page_async(page_size=3)
    second = await first.next_page_async()
    third = await second.next_page_async()
    assert [len(list(p)) for p in (first, second, third)] == [3, 3, 1]
    assert await third.next_page_async() is None


async def test_message_lifecycle(aclient: Any) -> None:
    await aclient.incoming_phone_numbers.create_async(phone_number=NUMBER_A)
    created = await aclient.messages.create_async(
        to=RECIPIENT, from_=NUMBER_A, body="async", media_url=["https://example.com/a.png"]
    )
    assert created.status == "queued"
    assert created.sid.startswith("MM")
    assert created.num_media == "1"

    fetched = await aclient.messages(created.sid).fetch_async()
    assert fetched.body == "async"
    media = await aclient.messages(created.sid).media.list_async()
    assert [m.content_type for m in media] == ["image/png"]
    redacted = await aclient.messages(created.sid).update_async(body="")
    assert redacted.body == ""


async def test_services_create_list_and_pool(aclient: Any) -> None:
    number = await aclient.incoming_phone_numbers.create_async(phone_number=NUMBER_A)
    created = [
        (await aclient.messaging.v1.services.create_async(friendly_name=f"s{i}")).sid
        for i in range(7)
    ]
    listed = await aclient.messaging.v1.services.list_async(page_size=3)
    assert [s.sid for s in listed] == created

    service = aclient.messaging.v1.services(created[0])
    await service.phone_numbers.create_async(phone_number_sid=number.sid)
    assert [e.sid for e in await service.phone_numbers.list_async()] == [number.sid]
    sent = await aclient.messages.create_async(
        to=RECIPIENT, messaging_service_sid=created[0], body="pooled"
    )
    assert sent.status == "accepted"
    assert await aclient.messaging.v1.services(created[1]).delete_async() is True


async def test_accounts_and_keys(aclient: Any) -> None:
    account = await aclient.api.accounts(TEST_ACCOUNT_SID).fetch_async()
    assert account.sid == TEST_ACCOUNT_SID
    sub = await aclient.api.accounts.create_async(friendly_name="async tenant")
    assert sub.owner_account_sid == TEST_ACCOUNT_SID
    key = await aclient.new_keys.create_async(friendly_name="async key")
    assert [k.sid for k in await aclient.keys.list_async()] == [key.sid]
    assert await aclient.keys(key.sid).delete_async() is True


async def test_errors_surface_the_same_way(
    aclient: Any, make_async_client: Callable[..., Any]
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        await aclient.messages.create_async(to="", from_=NUMBER_A, body="x")
    assert (caught.value.code, caught.value.status) == (21604, 400)

    with pytest.raises(TwilioRestException) as caught:
        await aclient.messages("SM" + "0" * 32).fetch_async()
    assert (caught.value.code, caught.value.status) == (20404, 404)

    with pytest.raises(TwilioException) as page_failure:
        await aclient.messages.page_async(page_size=1001)
    assert page_failure.value.args[1].status_code == 400

    wrong, http_client = make_async_client(TEST_ACCOUNT_SID, "wrong-token")
    try:
        with pytest.raises(TwilioRestException) as caught:
            await wrong.api.account.fetch_async()
        assert (caught.value.code, caught.value.status) == (20003, 401)
    finally:
        await http_client.close()


async def test_a_connection_idle_past_five_seconds_still_carries_the_next_request(
    aclient: Any,
) -> None:
    """The SDK's aiohttp session keeps an idle connection 15 s. A server that closed it after
    5 s (uvicorn's default) would fail the next POST with "server disconnected" whenever the
    app's event loop read the close late; switchboard keeps idle connections longer."""
    await aclient.incoming_phone_numbers.create_async(phone_number=NUMBER_A)
    # The app's loop is busy (blocked) past 5 s: a close would arrive and not yet be read.
    time.sleep(5.5)  # noqa: ASYNC251 (blocking the loop is the point)
    created = await aclient.messages.create_async(to=RECIPIENT, from_=NUMBER_A, body="later")
    assert created.status == "queued"
