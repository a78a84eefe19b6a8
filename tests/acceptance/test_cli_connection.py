"""How the client commands find the server and the credentials (options before or after the
command, the environment, the database) and what they say when they cannot."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli_helpers import API, CREDENTIALS, NUMBER, PLAIN_ENV, run_cli
from switchboard.cli.main import cli
from switchboard.testing import TEST_ACCOUNT_SID, free_port


def test_every_command_has_help() -> None:
    runner = CliRunner()
    commands = [["numbers", "list"], ["numbers", "add"], ["numbers", "update"],
                ["numbers", "remove"], ["messages", "list"], ["messages", "show"],
                ["messages", "wait"], ["webhooks", "list"], ["webhooks", "show"],
                ["webhooks", "replay"], ["webhooks", "wait"], ["reset"], ["load"],
                ["short-codes", "add"], ["short-codes", "list"], ["events"],
                ["content", "approve"], ["content", "reject"], ["env"]]  # fmt: skip
    for command in commands:
        result = runner.invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert "--url" in result.output, command
        assert "--account-sid" in result.output, command
        assert "\x1b[" not in result.output


def test_usage_and_connection_errors_are_readable() -> None:
    runner = CliRunner()
    nowhere = ["--url", f"http://127.0.0.1:{free_port()}", *CREDENTIALS]
    unreachable = runner.invoke(cli, ["webhooks", "list", *nowhere])
    assert unreachable.exit_code == 1
    assert "cannot reach switchboard" in unreachable.output
    nothing = runner.invoke(cli, ["numbers", "update", NUMBER, *nowhere])
    assert nothing.exit_code == 2
    assert "nothing to change" in nothing.output
    no_env = {"SWITCHBOARD_ACCOUNT_SID": "", "SWITCHBOARD_AUTH_TOKEN": ""}
    missing = runner.invoke(
        cli, ["messages", "list", "--database", "/nonexistent/switchboard.db"], env=no_env
    )
    assert missing.exit_code == 2
    assert "no credentials" in missing.output


def test_connection_options_go_before_or_after_the_command(server_process: Any) -> None:
    server = server_process.start()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
    connection = ["--url", server.url, *CREDENTIALS]
    nowhere = f"http://127.0.0.1:{free_port()}"
    # Somewhere the credentials are not stored, with the environment pointing nowhere: only
    # the options given count.
    elsewhere = {
        "SWITCHBOARD_URL": nowhere,
        "SWITCHBOARD_ACCOUNT_SID": "",
        "SWITCHBOARD_AUTH_TOKEN": "",
        "SWITCHBOARD_DATABASE": "/nonexistent.db",
    }

    before = run_cli(*connection, "numbers", "list", env=elsewhere)
    assert before.returncode == 0, before.stderr
    assert NUMBER in before.stdout
    after = run_cli("numbers", "list", *connection, env=elsewhere)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    split = run_cli("--url", server.url, "messages", "list", *CREDENTIALS, env=elsewhere)
    assert split.returncode == 0, split.stderr

    # Given at both places, the value after the command wins.
    url_after_wins = run_cli("--url", nowhere, "numbers", "list", *connection, env=elsewhere)
    assert url_after_wins.returncode == 0, url_after_wins.stderr
    assert NUMBER in url_after_wins.stdout
    token_after_wins = run_cli(*connection, "numbers", "list", "--auth-token", "wrong")
    assert token_after_wins.returncode == 1
    assert "error 20003" in token_after_wins.stderr
    unreachable = run_cli(*connection, "webhooks", "list", "--url", nowhere)
    assert unreachable.returncode == 1
    assert f"cannot reach switchboard at {nowhere}" in unreachable.stderr


def serve_once(database: Path, account_sid: str, auth_token: str) -> None:
    """Run ``switchboard serve`` on ``database`` until it has announced itself (so the database
    holds a main account with these credentials), then stop it."""
    env = {
        **PLAIN_ENV,
        "SWITCHBOARD_ACCOUNT_SID": account_sid,
        "SWITCHBOARD_AUTH_TOKEN": auth_token,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "serve", "--port", "0", "--database", str(database)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.strip().startswith("Database"):
                break
        else:
            pytest.fail("switchboard serve exited before announcing itself")
    finally:
        process.terminate()
        process.communicate(timeout=30)


NO_CREDENTIALS_ENV = {"SWITCHBOARD_ACCOUNT_SID": "", "SWITCHBOARD_AUTH_TOKEN": ""}


def test_unreadable_stored_credentials_say_why_and_where(tmp_path: Path) -> None:
    def listing(database: Path) -> subprocess.CompletedProcess[str]:
        url = f"http://127.0.0.1:{free_port()}"  # never reached: the credentials come first
        return run_cli("numbers", "list", "--url", url, "--database", str(database),
                       env=NO_CREDENTIALS_ENV)  # fmt: skip

    missing = listing(tmp_path / "missing.db")
    assert missing.returncode == 2
    assert f"no credentials: there is no database at {tmp_path / 'missing.db'}" in missing.stderr

    folder = listing(tmp_path)
    assert folder.returncode == 1
    assert f"the database {tmp_path} is not a file" in folder.stderr

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database, just bytes " * 100)
    not_sqlite = listing(garbage)
    assert not_sqlite.returncode == 1
    assert f"cannot open the database file {garbage}: file is not a database" in not_sqlite.stderr

    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    not_ours = listing(other)
    assert not_ours.returncode == 1
    assert f"{other} is not a switchboard database" in not_ours.stderr
    with contextlib.closing(sqlite3.connect(other)) as connection:  # and it was left alone
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    assert tables == ["notes"]

    empty = tmp_path / "empty.db"
    assert run_cli("db", "migrate", "--database", str(empty)).returncode == 0
    no_account = listing(empty)
    assert no_account.returncode == 2
    assert f"the database {empty} holds no main account" in no_account.stderr


def test_rejected_credentials_say_where_they_came_from(server_process: Any, tmp_path: Path) -> None:
    server = server_process.start()
    nothing_stored = {**NO_CREDENTIALS_ENV, "SWITCHBOARD_DATABASE": str(tmp_path / "none.db")}

    flags = run_cli("numbers", "list", "--url", server.url, "--account-sid", TEST_ACCOUNT_SID,
                    "--auth-token", "wrong", env=nothing_stored)  # fmt: skip
    assert flags.returncode == 1
    assert "error 20003" in flags.stderr
    assert "the credentials came from --account-sid and --auth-token" in flags.stderr

    variables = run_cli("numbers", "list", "--url", server.url, env={
        **nothing_stored, "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "SWITCHBOARD_AUTH_TOKEN": "wrong",
    })  # fmt: skip
    assert variables.returncode == 1
    assert (
        "the credentials came from SWITCHBOARD_ACCOUNT_SID and SWITCHBOARD_AUTH_TOKEN"
        in variables.stderr
    )

    elsewhere = tmp_path / "elsewhere.db"  # another server's database: another main account
    serve_once(elsewhere, "AC" + "2" * 32, "another-auth-token-0123456789abcd")
    stored = run_cli("numbers", "list", "--url", server.url, "--database", str(elsewhere),
                     env=NO_CREDENTIALS_ENV)  # fmt: skip
    assert stored.returncode == 1
    assert "error 20003" in stored.stderr
    assert f"the credentials came from the main account stored in {elsewhere}" in stored.stderr


def test_an_unreachable_server_suggests_starting_one() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = run_cli("messages", "list", "--url", nowhere, *CREDENTIALS)
    assert result.returncode == 1
    assert f"cannot reach switchboard at {nowhere}" in result.stderr
    assert "switchboard serve" in result.stderr


def test_database_before_serve_is_the_database_served(spawn_server: Any, tmp_path: Path) -> None:
    database = tmp_path / "given-before.db"
    server = spawn_server(tmp_path / "given-after.db")
    server.command = lambda *more: [  # type: ignore[method-assign]
        sys.executable, "-m", "switchboard", "--database", str(database), "serve",
        "--port", str(server.port), *more,
    ]  # fmt: skip
    server.start()
    assert database.is_file()
    with server.http() as http:
        http.post(f"{API}/IncomingPhoneNumbers.json", data={"PhoneNumber": NUMBER})
    # The client commands find the credentials in the same database, given the same way.
    listed = run_cli("--database", str(database), "numbers", "list", "--url", server.url,
                     env=NO_CREDENTIALS_ENV)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert NUMBER in listed.stdout
    migrated = run_cli("--database", str(tmp_path / "migrated.db"), "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "migrated.db").is_file()

    misplaced = run_cli("--url", server.url, "serve", "--port", "0")
    assert misplaced.returncode == 2
    assert "--url is for the client commands, not serve" in misplaced.stderr
