"""Request dependencies, declared once. Routes reach the app's runtime through ``Services``, the part of it
they use, so no domain imports the composition root (``app.runtime``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from app.core.caller import Caller, scope_caller
from app.core.clock import Clock
from app.core.db import Database
from app.core.notify import Notifier
from app.core.problem import field_error
from app.errors import Forbidden, Invalid, Unauthorized


class KeyCache(Protocol):
    def forget(self, key_id: str) -> None: ...


class MetricsText(Protocol):
    async def render(self, conn: AsyncConnection, now: datetime) -> bytes: ...


class Services(Protocol):
    """What routes use of ``app.runtime.Runtime``."""

    settings: Settings
    clock: Clock
    db: Database
    notifier: Notifier
    keys: KeyCache
    metrics: MetricsText


async def get_runtime(request: Request) -> Services:
    runtime: Services = request.app.state.runtime
    return runtime


async def get_caller(request: Request) -> Caller:
    """The caller the caller middleware resolved, once, for this request (see ``CallerMiddleware``)."""
    caller = scope_caller(request.scope)
    if caller is None:  # only a route outside /v1 could get here, and none of those asks for a caller
        raise Unauthorized("an API key is required: Authorization: Bearer rdv_…")
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def _query_names(dependant: Any) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


def query_names(routers: Iterable[APIRouter]) -> dict[tuple[str, str], frozenset[str]]:
    """For each (method, path template) of the routers, the query parameters its route takes: computed once,
    when the app is built, and kept on the app (``app.state.query_names``)."""
    names: dict[tuple[str, str], frozenset[str]] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods or ():
                    names[(method, route.path)] = _query_names(route.dependant)
    return names


async def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not take is a 422 (a misspelt filter must not be ignored)."""
    path = getattr(request.scope.get("route"), "path", None)
    allowed = request.app.state.query_names.get((request.method, path))
    if allowed is None:
        return
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise Invalid(
            f"unknown query parameters: {', '.join(unknown)}",
            errors=[field_error(name, "this route takes no such parameter", "query") for name in unknown],
        )


async def get_namespace(caller: CallerDep) -> str:
    """The caller's namespace (a read key that writes was refused before the route)."""
    return caller.namespace


async def get_admin(caller: CallerDep) -> Caller:
    if not caller.can("admin"):
        raise Forbidden("this needs an admin key")
    return caller


async def get_secret_reader(caller: CallerDep) -> Caller:
    if not caller.can("write"):
        raise Forbidden("reading the signing secret needs a write or admin key")
    return caller


RuntimeDep = Annotated[Services, Depends(get_runtime)]
NamespaceDep = Annotated[str, Depends(get_namespace)]
AdminDep = Annotated[Caller, Depends(get_admin)]
SecretReaderDep = Annotated[Caller, Depends(get_secret_reader)]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Page size")]
CursorQuery = Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")]
WaitQuery = Annotated[
    float | None, Query(ge=0, le=60, description="Long-poll: seconds to wait for the resolution (at most 60)")
]
