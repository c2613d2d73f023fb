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
from app.core.limits import RouteQuery
from app.core.notify import Notifier
from app.errors import Forbidden, Unauthorized


class KeyCache(Protocol):
    def forget(self, key_id: str) -> None: ...


class MetricsText(Protocol):
    async def render(self, conn: AsyncConnection, now: datetime) -> bytes: ...


class Streams(Protocol):
    """The subjects event streams follow (``app.ops.watch.Watches``)."""

    def join(self, key: tuple[str, str, str], seen: Any) -> Any: ...

    def leave(self, key: tuple[str, str, str], followed: Any) -> None: ...


class Services(Protocol):
    """What routes use of ``app.runtime.Runtime``."""

    settings: Settings
    clock: Clock
    db: Database
    notifier: Notifier
    keys: KeyCache
    metrics: MetricsText
    watches: Streams


async def get_runtime(request: Request) -> Services:
    runtime: Services = request.app.state.runtime
    return runtime


def _caller(request: Request) -> Caller:
    caller = scope_caller(request.scope)
    if caller is None:  # only a route outside /v1 could get here, and none of those asks for a caller
        raise Unauthorized("an API key is required: Authorization: Bearer rdv_…")
    return caller


async def get_caller(request: Request) -> Caller:
    """The caller the caller middleware resolved, once, for this request (see ``CallerMiddleware``)."""
    return _caller(request)


CallerDep = Annotated[Caller, Depends(get_caller)]


def _query_names(dependant: Any) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


def query_names(routers: Iterable[APIRouter]) -> list[RouteQuery]:
    """For each route of the routers, in the order they are tried: its path pattern, its methods and the
    query parameters it takes. Computed once, when the app is built; the input edge refuses a query
    parameter the route a request reaches does not take (a misspelt filter must not be ignored)."""
    return [
        (route.path_regex, frozenset(route.methods or ()), _query_names(route.dependant))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


# The dependencies below read the scope themselves rather than depend on ``get_caller``: each level of
# dependency costs FastAPI a solve per request.


async def get_namespace(request: Request) -> str:
    """The caller's namespace (a read key that writes was refused before the route)."""
    return _caller(request).namespace


async def get_admin(request: Request) -> Caller:
    caller = _caller(request)
    if not caller.can("admin"):
        raise Forbidden("this needs an admin key")
    return caller


async def get_secret_reader(request: Request) -> Caller:
    caller = _caller(request)
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
