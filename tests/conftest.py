"""Shared fixtures: a live switchboard server and an official-SDK client pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard.testing import LiveServer, live_server, sdk_client

pytest_plugins = ["pytester"]

# Both rewrite the SDK's host ("127.0.0.1" -> "127.us1.0.1"); tests must never inherit them.
for _name in ("TWILIO_EDGE", "TWILIO_REGION"):
    os.environ.pop(_name, None)


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with live_server() as running:
        yield running


@pytest.fixture
def client(server: LiveServer) -> Any:
    return sdk_client(server)
