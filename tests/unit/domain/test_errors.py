"""The error catalogue: every code with its message, HTTP status and docs link."""

from __future__ import annotations

import pytest

from switchboard.domain.errors import CATALOGUE, NotFound, TwilioError, describe


def test_every_entry_is_consistent() -> None:
    for code, spec in CATALOGUE.items():
        assert spec.code == code
        assert spec.message
        assert 400 <= spec.http_status < 600
        assert spec.more_info == f"https://www.twilio.com/docs/errors/{code}"


def test_rest_error_json_has_twilios_four_fields() -> None:
    error = TwilioError(21211, "The 'To' number +1 is not a valid phone number.")
    assert error.to_json() == {
        "code": 21211,
        "message": "The 'To' number +1 is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    }


@pytest.mark.parametrize(
    ("code", "status"), [(20003, 401), (20404, 404), (21617, 400), (20007, 400), (20009, 409)]
)
def test_http_status_per_code(code: int, status: int) -> None:
    assert TwilioError(code).http_status == status


def test_overrides_and_defaults() -> None:
    assert TwilioError(21602).message == "Message body is required."
    assert TwilioError(21701, http_status=400).http_status == 400
    assert NotFound().code == 20404
    assert describe(30003).message == "Unreachable destination handset"
    with pytest.raises(KeyError):
        TwilioError(99999)
