"""Property-based fuzzing of the REST API and ``/_sim``: never a 5xx, always Twilio's errors.

Every generated example (fuzz_cases.py) is one raw HTTP/1.1 request (fuzz_wire.py).
Each response must be below 500; every 4xx must be Twilio's error JSON (``code`` int,
``message``, ``more_info``, ``status`` equal to the HTTP status); 2xx bodies of the Twilio
surface must match the OpenAPI schemas (the conftest's checker: 204 empty, 3xx and media bytes
exempt). After every example ``/healthz`` must answer within :data:`HEALTH_DEADLINE` seconds,
and after the run the main account must still send a message through the official SDK.

The CI run is ``derandomize=True``: the same examples every run, so a failure reproduces exactly
and the run time is stable; ``bench/fuzz.py`` draws from the same strategies with a random seed
and many more examples (docs/reliability.md).

The cases the fuzzing first found as 500s or lock-outs (closing the main account, a huge
``Page``, a hostile clock change) are also sent one by one as regression tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_cases import OPERATIONS, REST_CASES, SIM_CASES, SIM_OPERATIONS, Case, Ref
from fuzz_wire import (
    HEALTH_DEADLINE,
    Reply,
    Request,
    Wire,
    World,
    basic,
    is_overlong_target,
    mutates,
    render,
)
from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, LiveServer

# --- The checks ------------------------------------------------------------------------------


@dataclass
class Outcome:
    statuses: dict[int, int] = field(default_factory=dict)
    slowest_health: float = 0.0


def exercise(
    case: Case, world: World, problems_of: Callable[[Request, Reply], list[str]], outcome: Outcome
) -> list[str]:
    """Send one case and a health check; the problems seen."""
    if world.stale:
        world.build()
    request = render(case, world)
    reply = world.wire.send(request.method, request.target, request.headers, request.body)
    outcome.statuses[reply.status] = outcome.statuses.get(reply.status, 0) + 1
    problems = problems_of(request, reply)
    if mutates(case, reply):
        world.stale = True
    health = world.wire.send("GET", "/healthz", [], b"")
    outcome.slowest_health = max(outcome.slowest_health, health.seconds)
    if health.status != 200 or health.seconds > HEALTH_DEADLINE:
        problems.append(f"/healthz answered {health.status} after {health.seconds:.1f} s")
    return problems


@pytest.fixture
def wire(server: LiveServer) -> Iterator[Wire]:
    connection = Wire(int(server.base_url.rsplit(":", 1)[1]))
    yield connection
    connection.close()


@pytest.fixture
def judge(openapi: Any, make_exchange: Any) -> Callable[[Request, Reply], list[str]]:
    """No 5xx, and the conftest's OpenAPI/error-JSON checks on every response."""

    def problems(request: Request, reply: Reply) -> list[str]:
        if is_overlong_target(request, reply):
            return []
        found = []
        if reply.status >= 500:
            found.append(f"{request.method} {request.target[:200]} -> {reply.status}")
        text_body = reply.body.decode("utf-8", "replace")
        exchange = make_exchange(
            request.method, request.path, reply.status, text_body, reply.content_type
        )
        found += openapi.problems(exchange)
        return found

    return problems


FUZZ_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def run_fuzz(
    strategy: st.SearchStrategy[Case],
    examples: int,
    world: World,
    judge: Callable[[Request, Reply], list[str]],
) -> Outcome:
    outcome = Outcome()

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(case=strategy)
    def fuzz(case: Case) -> None:
        problems = exercise(case, world, judge, outcome)
        assert not problems, "\n".join(problems)

    fuzz()
    print("statuses", sorted(outcome.statuses.items()), "slowest /healthz", outcome.slowest_health)
    return outcome


pytestmark = pytest.mark.no_schema_check  # every response is checked as it arrives


def test_fuzz_rest_api(wire: Wire, judge: Any, client: Any) -> None:
    world = World(wire)
    outcome = run_fuzz(REST_CASES, 700, world, judge)
    assert sum(outcome.statuses.values()) > 500, outcome  # most cases were really sent
    world.build()  # numbers may have been deleted: a fresh one to send from
    message = client.messages.create(
        to="+14155550123", from_=world.sids[("phone", "main")], body="still here"
    )
    assert message.status == "queued"


def test_fuzz_sim(wire: Wire, judge: Any, client: Any) -> None:
    world = World(wire)
    outcome = run_fuzz(SIM_CASES, 250, world, judge)
    assert sum(outcome.statuses.values()) > 150, outcome
    world.build()
    message = client.messages.create(
        to="+14155550123", from_=world.sids[("phone", "main")], body="still here"
    )
    assert message.status == "queued"


OPS = {op.name: op for op in OPERATIONS + SIM_OPERATIONS}
MAIN_PATH = (("AccountSid", Ref("account", "main")),)
REPRODUCERS = {
    "main account closed": Case(
        OPS["UpdateAccount"],
        (("Sid", Ref("account", "main")),),
        (("Status", "closed"),),
        "form",
        "main",
    ),
    "huge Page": Case(OPS["ListMessage"], MAIN_PATH, (("Page", str(2**63)),), "form", "main"),
    "hostile Advance": Case(OPS["SimUpdateClock"], (), (("Advance", "1e308"),), "form", "main"),
    "clock Set to 9999": Case(
        OPS["SimUpdateClock"], (), (("Set", "9999-12-31T23:59:59Z"),), "form", "main"
    ),
}


@pytest.mark.parametrize("name", REPRODUCERS)
def test_former_crashers_answer_4xx_and_leave_the_server_usable(
    wire: Wire, judge: Any, name: str
) -> None:
    """Cases the fuzzing first found as 500s or lock-outs, sent on their own: each is now a
    Twilio-format 4xx, and the main account still works afterwards."""
    case = REPRODUCERS[name]
    world = World(wire)
    world.build()
    request = render(case, world)
    reply = wire.send(request.method, request.target, request.headers, request.body)
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert judge(request, reply) == []
    main = basic(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)
    after = wire.send("POST", "/2010-04-01/Accounts.json", [(b"Authorization", main)], b"")
    assert after.status == 201, after.body[:300]
