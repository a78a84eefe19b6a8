"""The Store contract, what the rules applied to a conversation read: opt-outs, the reply
history that loop protection counts, the last inbound message (WhatsApp's session window), and
the carrier scenarios.

Every test runs against every backend (see conftest.py).
"""

from __future__ import annotations

from typing import Any

from switchboard.domain.models import Direction
from switchboard.ports import Store

Records = Any  # conftest.Records (test modules cannot import conftest)


async def test_opt_outs(store: Store, make: Records) -> None:
    acc, sender, handset = make.sid("AC"), "+14155550100", "+14155550199"
    assert not await store.is_opted_out(acc, sender, handset)
    assert await store.set_opt_out(acc, sender, handset, True, make.at(1))
    assert not await store.set_opt_out(acc, sender, handset, True, make.at(2))  # already out
    assert await store.is_opted_out(acc, sender, handset)
    assert not await store.is_opted_out(acc, sender, "+14155550198")
    assert not await store.is_opted_out(make.sid("AC"), sender, handset)
    assert await store.set_opt_out(acc, sender, handset, False, make.at(3))
    assert not await store.set_opt_out(acc, sender, handset, False, make.at(4))
    assert not await store.is_opted_out(acc, sender, handset)

    await store.set_opt_out(acc, sender, handset, True, make.at(5))
    await store.reset()
    assert await store.is_opted_out(acc, sender, handset)  # opt-outs belong with the numbers
    await store.reset(keep_numbers=False)
    assert not await store.is_opted_out(acc, sender, handset)


async def test_reply_history_of_a_conversation(store: Store, make: Records) -> None:
    """Loop protection's read: the newest replies one number sent another that went, and the
    first held after them; other directions, other pairs and older holds stay out."""
    acc, ours, theirs = make.sid("AC"), "+14155550100", "+14155550199"
    assert await store.reply_history(ours, theirs, 30) == []

    async def reply(micros: int, *, held: bool = False, **changes: Any) -> None:
        fields: dict[str, Any] = {"direction": Direction.OUTBOUND_REPLY, "from_": ours,
                                  "to": theirs, "date_created": make.at(micros)}  # fmt: skip
        if held:
            fields |= {"status": "failed", "error_code": 14107}
        await store.insert_message(make.message(acc, **(fields | changes)))

    await reply(1, held=True)  # an old hold, before the replies that went since
    for micros in (10, 20, 30):
        await reply(micros)
    await reply(25, error_code=21610, status="failed")  # refused otherwise: it counts as one
    await reply(40, held=True)
    await reply(50, held=True)
    await reply(60, from_=theirs, to=ours)  # the other direction
    await reply(70, to="+14155550198")  # another handset
    await reply(80, direction=Direction.OUTBOUND_API)  # not a reply
    await reply(90, direction=Direction.INBOUND, from_=theirs, to=ours)

    history = await store.reply_history(ours, theirs, 3)
    assert sorted((p.at, p.held) for p in history) == [
        (make.at(20), False), (make.at(25), False), (make.at(30), False), (make.at(40), True),
    ]  # fmt: skip


async def test_scenarios(store: Store) -> None:
    assert await store.list_scenarios() == []
    rules = [{"to": "+14155550199", "error": 30003}, {"match": {"body": "x"}, "delay": 1.5}]
    await store.replace_scenarios(rules)
    assert await store.list_scenarios() == rules
    await store.replace_scenarios(rules[1:])
    assert await store.list_scenarios() == rules[1:]
    await store.reset()
    assert await store.list_scenarios() == []


async def test_last_inbound_of_a_conversation(store: Store, make: Records) -> None:
    acc = make.account()
    user, ours = "whatsapp:+15555550123", "whatsapp:+15005550006"
    assert await store.last_inbound(acc.sid, user, ours) is None
    for n, (direction, from_, to) in enumerate([
        (Direction.INBOUND, user, ours),
        (Direction.INBOUND, user, ours),
        (Direction.OUTBOUND_API, ours, user),
        (Direction.INBOUND, "whatsapp:+15555550999", ours),
    ]):  # fmt: skip
        message = make.message(
            acc.sid, direction=direction, from_=from_, to=to, date_created=make.at(n * 10)
        )
        await store.insert_message(message)
    assert await store.last_inbound(acc.sid, user, ours) == make.at(10)
    assert await store.last_inbound(make.sid("AC"), user, ours) is None
