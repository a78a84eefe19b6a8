"""The server's SID source (compose.sid_factory): time-ordered, unless a seed asks for the
same SIDs on every run."""

from __future__ import annotations

import time

from switchboard.compose import sid_factory
from switchboard.config import Config
from switchboard.domain.sids import SidPrefix, is_canonical_sid
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN


def _config(seed: int | None = None) -> Config:
    return Config(
        database=":memory:", account_sid=TEST_ACCOUNT_SID, auth_token=TEST_AUTH_TOKEN, seed=seed
    )


def test_a_server_sid_begins_with_the_wall_clock_time() -> None:
    new_sid = sid_factory(_config())
    before = time.time_ns() // 1_000_000
    made = [new_sid(SidPrefix.MESSAGE) for _ in range(50)]
    after = time.time_ns() // 1_000_000
    assert all(is_canonical_sid(sid) for sid in made)
    assert len(set(made)) == len(made)
    assert all(before <= int(sid[2:14], 16) <= after for sid in made)
    assert [sid[2:14] for sid in made] == sorted(sid[2:14] for sid in made)


def test_a_seeded_server_makes_the_same_sids_on_every_run() -> None:
    first, second = sid_factory(_config(seed=11)), sid_factory(_config(seed=11))
    assert [first(SidPrefix.MESSAGE) for _ in range(5)] == [
        second(SidPrefix.MESSAGE) for _ in range(5)
    ]
