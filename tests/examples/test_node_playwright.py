"""The Node example (examples/node-playwright) runs against a real switchboard: Playwright for
Node drives Debian's Chromium through a sign-in page, and reads the texted code from the
assertion API (``GET /_sim/messages`` with ``Wait``).

Node, npm and Chromium are the test's requirements. Without one of them it is skipped locally
and fails in CI (``CI`` set), as the PostgreSQL and browser tests do. ``npm install`` runs in
the example folder when its ``node_modules`` lacks ``playwright-core`` (the registry must be
reachable then); ``playwright install`` is never needed: the example launches the system's
Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, live_server, sdk_client

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "node-playwright"
OUR_NUMBER = "+15005550006"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def unavailable(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so the Node example must run", pytrace=False)
    pytest.skip(reason)


def chromium() -> str:
    path = os.environ.get("SWITCHBOARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        unavailable(f"no Chromium at {path} (apt-get install chromium)")
    return path


def node_and_packages() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("node and npm are needed to run examples/node-playwright")
    if not (EXAMPLE / "node_modules" / "playwright-core" / "package.json").exists():
        installed = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"],
            cwd=EXAMPLE, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if installed.returncode != 0:
            unavailable(f"npm install failed in {EXAMPLE}: {installed.stderr[-2000:]}")
    return node


def test_node_playwright_example_signs_in_with_the_texted_code() -> None:
    node = node_and_packages()
    browser = chromium()
    with live_server() as server:
        sdk_client(server).incoming_phone_numbers.create(phone_number=OUR_NUMBER)
        env = {
            **os.environ,
            "SWITCHBOARD_URL": server.base_url,
            "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "SWITCHBOARD_FROM": OUR_NUMBER,
            "CHROMIUM": browser,
        }
        run = subprocess.run(
            [node, "--test"], cwd=EXAMPLE, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
    assert run.returncode == 0, f"node --test failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert "# pass 3" in run.stdout, run.stdout[-3000:]
    assert "# fail 0" in run.stdout, run.stdout[-3000:]
