"""Starlette's router, asked only about the routes a request's path could match.

Starlette tries each route in order until one matches: ``POST /_sim/inbound`` was tried against
the dashboard's routes, the health check and the first control routes (24 regular-expression
matches a request) before its own. :class:`IndexedRouter` groups the routes by their path's
first segment (``_sim``, ``2010-04-01``, ``v1``, ``_dashboard``...) and tries, in the same order,
only the group of the request's first segment plus the routes whose first segment is a
parameter. A route outside the group cannot match the path, so the route chosen, the 405 for a
known path with another method and the path parameters are Starlette's own; a request that
matches nothing in its group (a 404, a trailing-slash redirect) takes Starlette's full scan.
The groups are made once, from the routes the router is built with (the app adds none later).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") else ""


def _group_of(route: BaseRoute) -> str | None:
    """The first segment every path the route matches starts with (None: any path)."""
    if not isinstance(route, Route) or _first_segment(route.path).startswith("{"):
        return None
    return _first_segment(route.path)


class IndexedRouter(Router):
    def __init__(self, routes: Sequence[BaseRoute], **options: Any) -> None:
        super().__init__(routes, **options)
        keyed = [(route, _group_of(route)) for route in self.routes]
        self._anywhere = [route for route, key in keyed if key is None]
        self._groups = {
            group: [route for route, key in keyed if key in (group, None)]
            for group in {key for _, key in keyed if key is not None}
        }

    def choose(self, scope: Scope) -> tuple[BaseRoute, Scope] | None:
        """The route Starlette's scan would pick for an HTTP request and its child scope: the
        first full match, else the first partial one (another method: a 405); None if none."""
        chosen: tuple[BaseRoute, Scope] | None = None
        for route in self._groups.get(_first_segment(scope["path"]), self._anywhere):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return route, child_scope
            if match is Match.PARTIAL and chosen is None:
                chosen = route, child_scope
        return chosen

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = None
        if scope["type"] == "http" and not scope.get("root_path"):
            chosen = self.choose(scope)
        if chosen is None:  # not HTTP, a 404 or a trailing-slash redirect: Starlette's scan
            await super().app(scope, receive, send)
            return
        route, child_scope = chosen
        scope.setdefault("router", self)
        scope["route"] = route
        scope.update(child_scope)
        await route.handle(scope, receive, send)
