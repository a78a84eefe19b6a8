"""The 2010-04-01 API's dates: RFC 2822 in GMT, as email.utils writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from switchboard.api.render import rfc2822

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)


@given(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES)
)
def test_rfc2822_is_email_utils_in_gmt(moment: datetime) -> None:
    # The formatted second is memoised: the same second in another zone, or with other
    # microseconds, must still give its own text.
    expected = format_datetime(moment.astimezone(UTC)).replace("-0000", "+0000")
    assert rfc2822(moment) == expected
    assert rfc2822(moment.replace(microsecond=999_999)) == expected


def test_rfc2822_of_none_is_none() -> None:
    assert rfc2822(None) is None


def test_rfc2822_example() -> None:
    assert (
        rfc2822(datetime(2023, 8, 24, 5, 1, 45, 999_999, UTC)) == "Thu, 24 Aug 2023 05:01:45 +0000"
    )
