"""The simulator service over a real in-memory SQLite store: who sees what, how a handset's
request becomes an inbound message, and the exchange read model. No sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from switchboard.compose import compose
from switchboard.config import Config
from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import WebhookAttempt
from switchboard.services.accounts import Principal
from switchboard.services.container import Services
from switchboard.services.handset import Part, Upload, handset_message
from switchboard.services.inbound import InboundMedia
from switchboard.services.simulator import ClockChange

MAIN_NUMBER = "+15005550006"
SUB_NUMBER = "+15005550007"
HANDSET = "+15555550123"


@dataclass
class World:
    services: Services
    main: Principal
    key: Principal  # an API key of the main account
    sub: Principal  # a subaccount's own credentials
    other: Principal  # another subaccount


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with compose(Config(database=":memory:", deliver=False)) as system:
        yield await _populated(system.services)


async def _populated(services: Services) -> World:
    accounts = services.accounts
    main, _ = await accounts.bootstrap_main_account(None, None)
    key = await accounts.create_key(main, "ci")
    sub = await accounts.create_subaccount(Principal(main), "tenant")
    other = await accounts.create_subaccount(Principal(main), "neighbour")
    await services.numbers.create(main, {"PhoneNumber": MAIN_NUMBER, "SmsUrl": "http://app/sms"})
    await services.numbers.create(sub, {"PhoneNumber": SUB_NUMBER, "SmsUrl": "http://sub/sms"})
    return World(services, Principal(main), Principal(main, key), Principal(sub), Principal(other))


def texts(**fields: str) -> list[Part]:
    return list(fields.items())


# Scope.


async def test_account_credentials_see_their_subaccounts_and_keys_only_their_account(
    world: World,
) -> None:
    simulator = world.services.simulator
    main, sub, other = (p.account.sid for p in (world.main, world.sub, world.other))
    scope = await simulator.scope(world.main)
    assert scope.account_sids[0] == main  # its own first
    assert set(scope.account_sids) == {main, sub, other}
    assert (await simulator.scope(world.key)).account_sids == (main,)
    assert (await simulator.scope(world.sub)).account_sids == (sub,)


async def test_a_message_outside_the_scope_is_not_found(world: World) -> None:
    simulator = world.services.simulator
    sent = await simulator.send_inbound(world.sub, texts(From=HANDSET, To=SUB_NUMBER, Body="hi"))
    for outsider in (world.other, world.key):
        scope = await simulator.scope(outsider)
        with pytest.raises(NotFound):
            await simulator.exchange(scope, sent.sid)
        assert await simulator.attempts(scope, message_sid=sent.sid) == []
    assert (await simulator.exchange(await simulator.scope(world.main), sent.sid)).message == sent


async def test_a_key_cannot_text_a_subaccounts_number_but_the_main_credentials_can(
    world: World,
) -> None:
    simulator = world.services.simulator
    with pytest.raises(TwilioError) as refused:
        await simulator.send_inbound(world.key, texts(From=HANDSET, To=SUB_NUMBER))
    assert refused.value.code == 21211
    sent = await simulator.send_inbound(world.main, texts(From=HANDSET, To=SUB_NUMBER))
    assert sent.account_sid == world.sub.account.sid


# Inbound parsing.


def test_handset_message_reads_fields_media_and_extras() -> None:
    inbound = handset_message(
        [
            ("From", f"  {HANDSET} "),
            ("To", MAIN_NUMBER),
            ("Body", "  keep my spaces "),
            ("Media", Upload("", None, b"")),  # an empty file input: not a medium
            ("Media", Upload("cat.png", "image/png", b"png")),
            ("MediaUrl", "https://x.test/a.jpg"),
            ("MediaUrl", " "),  # blank: absent, yet it keeps the pairing below in step
            ("MediaUrl", "https://x.test/b"),
            ("MediaContentType", ""),
            ("MediaContentType", "text/plain"),
            ("MediaContentType", "video/mp4"),
            ("ProfileName", " Ada "),
            ("Latitude", "  "),
            ("Unrelated", "not passed through"),
        ]
    )
    assert inbound.from_ == HANDSET
    assert inbound.to == MAIN_NUMBER
    assert inbound.body == "  keep my spaces "
    assert list(inbound.media) == [
        InboundMedia(content_type="image/png", content=b"png"),
        InboundMedia(url="https://x.test/a.jpg"),
        InboundMedia(content_type="video/mp4", url="https://x.test/b"),
    ]
    assert inbound.extras == {"ProfileName": "Ada"}


def test_handset_message_takes_the_first_value_and_defaults_to_empty() -> None:
    inbound = handset_message([("From", HANDSET), ("From", "+15555550999")])
    assert (inbound.from_, inbound.to, inbound.body, list(inbound.media)) == (HANDSET, "", "", [])


# The exchange read model.


async def test_exchange_of_an_inbound_message(world: World) -> None:
    simulator = world.services.simulator
    parts: list[Part] = [
        *texts(From=HANDSET, To=MAIN_NUMBER, Body="hello"),
        ("Media", Upload("a.txt", "text/plain", b"abc")),
    ]
    sent = await simulator.send_inbound(world.main, parts)
    exchange = await simulator.exchange(await simulator.scope(world.main), sent.sid)
    assert exchange.message.sid == sent.sid
    assert [event.status for event in exchange.timeline] == ["received"]
    assert [(m.content_type, m.size) for m in exchange.media] == [("text/plain", 3)]
    assert (exchange.attempts, exchange.replies) == ([], [])
    # No process delivers here: the incoming webhook's job waits.
    assert exchange.webhook_pending is True


# Simulator-wide changes.


async def test_only_the_main_accounts_own_credentials_change_simulator_wide_state(
    world: World,
) -> None:
    simulator = world.services.simulator
    read: list[str] = []

    async def change() -> ClockChange:
        read.append("clock")
        return ClockChange(frozen=True)

    async def keep() -> bool:
        read.append("reset")
        return True

    for refused in (world.key, world.sub):
        for attempt in (simulator.move_clock(refused, change), simulator.reset(refused, keep)):
            with pytest.raises(TwilioError) as error:
                await attempt
            assert error.value.code == 20403
    assert read == []  # a refused caller's request is not even read
    assert (await simulator.move_clock(world.main, change)).frozen is True
    assert await simulator.reset(world.main, keep) is True


async def test_scenarios_are_the_callers_own_or_the_shared_ones(world: World) -> None:
    simulator = world.services.simulator
    rule = {"name": "all fail", "outcome": "failed", "error_code": 30007}

    async def document() -> object:
        return rule

    with pytest.raises(TwilioError):
        await simulator.add_scenario(world.key, document)
    assert await simulator.add_scenario(world.sub, document) == [rule]
    assert await simulator.scenarios(world.main) == []  # the shared rules are untouched
    assert await simulator.scenarios(world.sub) == [rule]


async def test_replay_is_scoped_and_recorded(world: World) -> None:
    services = world.services
    simulator = services.simulator
    recorded = WebhookAttempt(
        sid="NO" + "1" * 32,
        account_sid=world.sub.account.sid,
        message_sid=None,
        kind="incoming",
        attempt=1,
        url="http://127.0.0.1:9/sms",  # nothing listens on the discard port
        method="POST",
        request_headers={},
        request_body="Body=hi",
        date_created=services.runtime.clock.now(),
        duration_ms=1.0,
    )
    await services.runtime.store.insert_attempts([recorded])
    with pytest.raises(NotFound):  # not the key's account
        await simulator.replay(await simulator.scope(world.key), recorded.sid)
    replayed = await simulator.replay(await simulator.scope(world.main), recorded.sid)
    assert replayed
    assert {a.kind for a in replayed} == {"replay"}
    assert all(a.url == recorded.url and a.error_code is not None for a in replayed)
    stored = await simulator.attempts(await simulator.scope(world.main), limit=100)
    assert {a.sid for a in replayed} <= {a.sid for a in stored}


async def routes(services: Services, principal: Principal) -> dict[str, tuple[str, str] | None]:
    """Each number of ``principal``'s scope: where its inbound webhook goes, and by whose URL."""
    simulator = services.simulator
    overview = await simulator.overview(await simulator.scope(principal))
    return {
        view.number.phone_number: (view.route.url, view.route.source) if view.route else None
        for view in overview.numbers
    }


async def test_overview_routes_each_number(world: World) -> None:
    services = world.services
    main = world.main.account
    service = await services.messaging_services.create(
        main, {"FriendlyName": "Support", "InboundRequestUrl": "http://svc/in"}
    )
    number = await services.numbers.create(main, {"PhoneNumber": "+15005550008"})
    assert (await routes(services, world.key))["+15005550008"] is None  # no URL: no webhook
    await services.messaging_services.add_number(main, service.sid, number.sid)

    assert await routes(services, world.main) == {
        MAIN_NUMBER: ("http://app/sms", "number"),
        "+15005550008": ("http://svc/in", "service"),
        SUB_NUMBER: ("http://sub/sms", "number"),
    }
    overview = await services.simulator.overview(await services.simulator.scope(world.main))
    pools = [(v.service.sid, [address for _, address, _ in v.pool]) for v in overview.services]
    assert pools == [(service.sid, ["+15005550008"])]

    await services.messaging_services.update(
        main, service.sid, {"UseInboundWebhookOnNumber": "true"}
    )
    assert (await routes(services, world.main))["+15005550008"] is None  # defers to the number
