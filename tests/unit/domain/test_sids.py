"""SIDs: two-letter prefix + 32 lower-case hex, from injected randomness."""

from __future__ import annotations

import random

import pytest

from switchboard.domain.sids import (
    MESSAGE_PREFIXES,
    SidFactory,
    SidPrefix,
    is_canonical_sid,
    is_sid,
    make_sid,
    sid_prefix,
)


def test_make_sid_uses_the_injected_bytes() -> None:
    assert make_sid(SidPrefix.MESSAGE, lambda n: bytes(range(n))) == (
        "SM000102030405060708090a0b0c0d0e0f"
    )


def test_factory_is_reproducible_with_a_seed() -> None:
    first = SidFactory(random.Random(7).randbytes)
    second = SidFactory(random.Random(7).randbytes)
    assert [first("SM") for _ in range(3)] == [second("SM") for _ in range(3)]


@pytest.mark.parametrize("prefix", list(SidPrefix))
def test_every_prefix_makes_canonical_sids(prefix: SidPrefix) -> None:
    sid = SidFactory(random.Random(1).randbytes)(prefix)
    assert len(sid) == 34
    assert is_canonical_sid(sid)
    assert is_sid(sid, prefix)
    assert sid_prefix(sid) == prefix.value


def test_a_sid_with_a_time_begins_with_it() -> None:
    sid = make_sid(SidPrefix.MESSAGE, lambda n: bytes(range(n)), at_ms=0x019AF2C3D4E5)
    assert sid == "SM019af2c3d4e500010203040506070809"
    assert is_canonical_sid(sid)


def test_a_clocked_factory_makes_sids_in_the_order_of_their_times() -> None:
    """What keeps the store's indexes growing at one end: a later SID sorts after an earlier
    one, whatever the random digits, and two in the same millisecond still differ."""
    times = iter([1_764_950_400_000, 1_764_950_400_000, 1_764_950_400_001, 1_800_000_000_000])
    factory = SidFactory(random.Random(3).randbytes, clock_ms=lambda: next(times))
    made = [factory(SidPrefix.MESSAGE) for _ in range(4)]
    assert all(is_sid(sid, SidPrefix.MESSAGE) and is_canonical_sid(sid) for sid in made)
    assert made[0] != made[1]
    assert made[0][:14] == made[1][:14] == "SM019aef3ddc00"
    assert made[1] < made[2] < made[3]
    assert made[0] < made[2]


def test_a_factory_takes_a_clock_or_per_prefix_sources_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        SidFactory(bytes, per_prefix=lambda prefix: bytes, clock_ms=lambda: 0)


@pytest.mark.parametrize("at_ms", [-1, 16**12])
def test_a_time_outside_twelve_hex_digits_is_refused(at_ms: int) -> None:
    with pytest.raises(ValueError, match="time"):
        make_sid("SM", lambda n: bytes(n), at_ms=at_ms)


def test_randomness_must_give_sixteen_bytes() -> None:
    with pytest.raises(ValueError, match="16 random bytes"):
        make_sid("SM", lambda n: b"short")


def test_unknown_prefix_is_rejected() -> None:
    with pytest.raises(ValueError, match="ZZ"):
        make_sid("ZZ", lambda n: bytes(n))


@pytest.mark.parametrize(
    ("value", "valid", "canonical"),
    [
        ("SM0123456789abcdef0123456789abcdef", True, True),
        ("SM0123456789ABCDEF0123456789ABCDEF", True, False),  # the spec accepts either case
        ("SM0123456789abcdef0123456789abcde", False, False),  # 31 hex digits
        ("sm0123456789abcdef0123456789abcdef", False, False),
        ("SM0123456789abcdef0123456789abcdeg", False, False),
        ("", False, False),
    ],
)
def test_validation(value: str, valid: bool, canonical: bool) -> None:
    assert is_sid(value) is valid
    assert is_canonical_sid(value) is canonical


def test_prefix_filters() -> None:
    sms = "SM0123456789abcdef0123456789abcdef"
    mms = "MM0123456789abcdef0123456789abcdef"
    assert is_sid(sms, MESSAGE_PREFIXES)
    assert is_sid(mms, MESSAGE_PREFIXES)
    assert not is_sid(sms, SidPrefix.ACCOUNT)
    with pytest.raises(ValueError, match="not a SID"):
        sid_prefix("nope")
