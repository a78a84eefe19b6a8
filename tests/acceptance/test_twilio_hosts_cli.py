"""The commands around the Twilio-hosts mode: ``switchboard ca``, ``switchboard env`` and the
``serve`` options that go with ``--twilio-hosts``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from switchboard.cli.main import cli


def test_ca_prints_its_certificate_path_and_pem(tmp_path: Path) -> None:
    database = str(tmp_path / "sb.db")
    shown = CliRunner().invoke(cli, ["ca", "--database", database])
    assert shown.exit_code == 0, shown.output
    path = Path(shown.output.strip())
    assert path == tmp_path / "switchboard-ca" / "ca.pem"
    pem = CliRunner().invoke(cli, ["ca", "--database", database, "--pem"])
    assert pem.exit_code == 0
    assert pem.output == path.read_text()
    assert "PRIVATE" not in pem.output
    # Made once: asking again shows the same certificate.
    assert CliRunner().invoke(cli, ["ca", "--database", database, "--pem"]).output == pem.output


def test_ca_refuses_a_key_others_can_read(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    assert CliRunner().invoke(cli, ["ca", "--ca-dir", str(folder)]).exit_code == 0
    (folder / "ca-key.pem").chmod(0o640)
    refused = CliRunner().invoke(cli, ["ca", "--ca-dir", str(folder)])
    assert refused.exit_code == 3
    assert "can be read by other users" in refused.output


def test_proxy_options_need_twilio_hosts(tmp_path: Path) -> None:
    database = str(tmp_path / "sb.db")
    for option in (["--proxy-port", "9999"], ["--tls-port", "9998"], ["--ca-dir", "x"]):
        run = CliRunner().invoke(cli, ["serve", "--database", database, *option])
        assert run.exit_code == 2
        assert f"{option[0]} goes with --twilio-hosts" in run.output
    both = CliRunner().invoke(cli, ["serve", "--database", database, "--twilio-hosts",
                                    "--workers", "2"])  # fmt: skip
    assert both.exit_code == 2
    assert "--twilio-hosts runs in one server process" in both.output


def test_env_says_when_the_mode_is_off(server_process: Any) -> None:
    server_process.start()
    with server_process.http() as http:
        answer = http.get("/_sim/twilio-hosts")
    assert answer.status_code == 404
    assert "switchboard serve --twilio-hosts" in answer.json()["message"]
    run = subprocess.run(
        [sys.executable, "-m", "switchboard", "env", "--sdk", "python", "--url",
         server_process.url],
        env=server_process.env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    assert "switchboard serve --twilio-hosts" in run.stderr


def test_a_busy_proxy_port_stops_the_start(spawn_server: Any) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        process = spawn_server(None, "--twilio-hosts", "--proxy-port", port)
        run = process.run_to_exit()
    assert run.returncode == 1
    assert "address already in use" in run.stderr
