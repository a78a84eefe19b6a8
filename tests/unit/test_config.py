"""Config: the defaults in one place, and settings that cannot work refused at construction."""

from __future__ import annotations

import inspect

import pytest

from switchboard.config import DEFAULTS, Config, ConfigError
from switchboard.outbox import Dispatcher


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lease_seconds": 0.0}, "a lease of 0 s cannot be held"),
        ({"webhook_concurrency": 0}, "the webhook concurrency must be at least 1"),
        ({"workers": 0}, "at least one worker process is needed"),
        ({"port": 70000}, "port 70000 is not between 0 and 65535"),
    ],
)
def test_a_setting_that_cannot_work_is_a_config_error(change: dict[str, object], reason: str):
    with pytest.raises(ConfigError, match=reason):
        Config(**change)  # type: ignore[arg-type]


def test_the_dispatcher_defaults_are_the_configs() -> None:
    defaults = inspect.signature(Dispatcher).parameters
    assert defaults["lease_seconds"].default == DEFAULTS.lease_seconds
    assert defaults["concurrency"].default == DEFAULTS.webhook_concurrency


def test_a_config_survives_the_trip_to_worker_processes() -> None:
    config = Config(database="x.db", seed=3, lease_seconds=5.0)
    assert Config.from_env(config.to_env()) == config
