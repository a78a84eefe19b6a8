"""The ``switchboard`` pytest fixture (registered through the ``pytest11`` entry point).

    def test_echo(switchboard):
        switchboard.number(my_flask_app)            # or an ASGI app, or "http://..."
        assert switchboard.text("hi").bodies == ["You said: hi"]

Each test gets its own in-process switchboard (fresh in-memory store, virtual clock). At teardown
the test fails if any webhook to the app errored, unless marked
``@pytest.mark.switchboard(allow_webhook_errors=True)``. Loop protection (error 14107) is off:
the frozen clock makes every reply of a test simultaneous; ``loop_protection=True`` in the
marker turns it on. ``content_approval="manual"`` leaves WhatsApp approval requests
``received`` until the test calls ``switchboard.approve(sid)`` (docs/whatsapp.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from switchboard.config import DEFAULTS, PLUGIN_LOOP_PROTECTION

if TYPE_CHECKING:
    from switchboard.testing import Switchboard

MARKER = (
    "switchboard(allow_webhook_errors=False, loop_protection=False, content_approval='auto'): "
    "options for the switchboard fixture"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


def _describe(attempt: dict[str, Any]) -> str:
    response = attempt["response"]
    return (
        f"webhook {attempt['kind']} {attempt['method']} {attempt['url']} failed with error "
        f"{attempt['error_code']}: {attempt['error_detail']}\n"
        f"  request body: {attempt['request']['body'][:500]}\n"
        f"  response: {response['status']} {json.dumps(response['headers'])[:300]}\n"
        f"  {response['body'][:1000]}"
    )


@pytest.fixture
def switchboard(request: pytest.FixtureRequest) -> Iterator[Switchboard]:
    from switchboard.testing import Switchboard

    marker = request.node.get_closest_marker("switchboard")
    options = marker.kwargs if marker else {}
    allow_errors = bool(options.get("allow_webhook_errors", False))
    with Switchboard.running(
        loop_protection=bool(options.get("loop_protection", PLUGIN_LOOP_PROTECTION)),
        content_approval=str(options.get("content_approval", DEFAULTS.content_approval)),
    ) as harness:
        yield harness
        if not allow_errors:
            failures = harness.failed_webhooks()
            if failures:
                pytest.fail(
                    "switchboard: webhooks to your app failed during the test\n"
                    + "\n".join(_describe(attempt) for attempt in failures),
                    pytrace=False,
                )
