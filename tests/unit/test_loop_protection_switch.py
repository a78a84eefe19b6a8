"""``serve`` and ``worker`` turn loop protection on by default (Config's default) and off with
``--no-loop-protection`` or ``SWITCHBOARD_LOOP_PROTECTION=0``; nothing is started here: the
server and the worker are replaced by functions that record the Config they were given."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from switchboard import app as app_module
from switchboard import worker as worker_module
from switchboard.cli.main import cli
from switchboard.config import DEFAULTS, PLUGIN_LOOP_PROTECTION


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The configs the commands would have run with."""
    configs: list[Any] = []

    def create_app(config: Any, **_: Any) -> None:
        configs.append(config)

    async def run_worker(config: Any, stop: Any, **_: Any) -> None:
        configs.append(config)

    monkeypatch.setattr(app_module, "create_app", create_app)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setattr(worker_module, "run_worker", run_worker)
    monkeypatch.delenv("SWITCHBOARD_LOOP_PROTECTION", raising=False)
    return configs


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker"]])
@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, True),
        (["--no-loop-protection"], {}, False),
        (["--loop-protection"], {"SWITCHBOARD_LOOP_PROTECTION": "0"}, True),
        ([], {"SWITCHBOARD_LOOP_PROTECTION": "false"}, False),
    ],
)
def test_loop_protection_switch(
    started: list[Any], tmp_path: Any, command: list[str], args: list[str], env: dict[str, str],
    expected: bool,
) -> None:  # fmt: skip
    database = ["--database", str(tmp_path / "db.sqlite")]
    result = CliRunner().invoke(cli, [*command, *database, *args], env=env)
    assert result.exit_code == 0, result.output
    [config] = started
    assert config.loop_protection is expected


def test_the_defaults() -> None:
    assert DEFAULTS.loop_protection is True  # serve and worker: as Twilio
    assert PLUGIN_LOOP_PROTECTION is False  # the pytest plugin's frozen clock
