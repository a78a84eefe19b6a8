"""The indexed router picks the route Starlette's full scan picks, for every route of the app."""

from __future__ import annotations

import re

import pytest
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from switchboard.api.router import IndexedRouter
from switchboard.app import create_app
from switchboard.config import Config

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH")


def starlette_choice(routes: list[BaseRoute], scope: Scope) -> tuple[BaseRoute, Scope] | None:
    """Starlette's Router.app: every route in order, the first full match, else the first
    partial one."""
    partial = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            return route, child_scope
        if match is Match.PARTIAL and partial is None:
            partial = route, child_scope
    return partial


def paths(routes: list[BaseRoute]) -> set[str]:
    """Each route's path with its parameters filled in, and near misses of it."""
    found = {"/", "/nowhere", "/_sim", "/_sim/", "/v1", "/2010-04-01/Accounts.json/"}
    for route in routes:
        assert isinstance(route, Route)
        filled = re.sub(r"{[^}]+}", "AC0123", route.path)
        found |= {filled, filled + "/", filled.rstrip("/") + "/extra", filled.upper()}
    return found


@pytest.mark.parametrize("twilio_hosts", [False, True])
def test_every_request_goes_where_starlette_would_send_it(twilio_hosts: bool) -> None:
    app = create_app(Config(database=":memory:", twilio_hosts=twilio_hosts))
    router = app.router
    assert isinstance(router, IndexedRouter)
    checked = 0
    for path in sorted(paths(router.routes)):
        for method in METHODS:
            scope: Scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            expected = starlette_choice(router.routes, scope)
            chosen = router.choose(scope)
            assert (chosen and chosen[0]) is (expected and expected[0]), (method, path)
            assert (chosen and chosen[1]) == (expected and expected[1]), (method, path)
            checked += expected is not None
    assert checked > len(router.routes)  # the paths above reach every route
