"""Twilio's loop protection for TwiML replies (SPEC §4.5, error 14107).

Twilio keeps a counter per conversation: the first reply sets it to 1, each next reply sent
less than 30 s after the previous one adds 1, a gap of 30 s or more starts it again. When it
would pass 30, the reply and every further one in the next 30 s are stored ``failed`` with
14107 (not charged): a runaway exchange between two bots stops on its own.

The counter is not kept anywhere: it is read back from the replies already stored (a store
query, so every process sharing the database sees the same conversation). Two facts about the
rule make a short history enough:

* A hold starts at the reply that would have been the 31st, so it lies after the newest reply
  that went; the hold is in force while ``now`` is within 30 s of the first held reply after
  the newest one that went.
* A hold lasts 30 s, so the replies that went before and after it are at least 30 s apart: the
  current run is read from the replies that went alone, and needs at most the newest 30.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

LOOP_ERROR = 14107
MAX_RUN = 30  # replies in one run; the next one is held
GAP = timedelta(seconds=30)  # a run goes on while consecutive replies are closer than this
HOLD = timedelta(seconds=30)  # how long a conversation is held once its run passed MAX_RUN


@dataclass(frozen=True, slots=True)
class PastReply:
    """An earlier reply of the conversation: when it was created, and whether it was held."""

    at: datetime
    held: bool = False


def loop_refusal(history: Iterable[PastReply], now: datetime) -> int | None:
    """14107 if a reply created at ``now`` is held, else None.

    ``history`` holds at least the newest :data:`MAX_RUN` replies of the conversation that
    went, and the held ones after the newest of them (any order; more does no harm)."""
    replies = list(history)
    went = sorted((reply.at for reply in replies if not reply.held), reverse=True)
    newest = went[0] if went else None
    held = [reply.at for reply in replies if reply.held and (newest is None or reply.at >= newest)]
    if held:
        return LOOP_ERROR if now < min(held) + HOLD else None
    run = went[:MAX_RUN]
    in_one_run = all(later - earlier < GAP for later, earlier in pairwise(run))
    if len(run) == MAX_RUN and in_one_run and now - run[0] < GAP:
        return LOOP_ERROR
    return None
