"""Request dependencies, declared once."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from app.access.auth import Caller, bearer_token
from app.config import Settings
from app.core.requestctx import annotate
from app.errors import Forbidden, Invalid, TooManyRequests, Unauthorized
from app.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rendezvous"'}
READS = ("GET", "HEAD")


async def get_caller(request: Request) -> Caller:
    """The caller behind ``Authorization: Bearer rdv_…``. In dev mode a request without one is the
    default namespace's admin."""
    runtime: Runtime = request.app.state.runtime
    header = request.headers.get("authorization")
    if header is None:
        if runtime.settings.dev:
            return Caller(runtime.settings.default_namespace, "admin", None)
        raise Unauthorized("an API key is required: Authorization: Bearer rdv_…", headers=CHALLENGE)
    token = bearer_token(header)
    if token is None:
        raise Unauthorized("the Authorization header must be: Bearer rdv_…", headers=_invalid())
    caller = await runtime.keys.resolve(token)
    if caller is None:
        raise Unauthorized("the API key is not valid (unknown or revoked)", headers=_invalid())
    if runtime.limiter.enabled:
        wait = runtime.limiter.take(caller.key_id or caller.namespace)
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            raise TooManyRequests(
                f"rate limit exceeded; retry after {retry} s", headers={"Retry-After": retry}
            )
    annotate(namespace=caller.namespace, key_id=caller.key_id or "-")
    return caller


def _invalid() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="rendezvous", error="invalid_token"'}


CallerDep = Annotated[Caller, Depends(get_caller)]
_QUERY_NAMES: dict[int, set[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not take is a 422 (a misspelt filter must not be ignored)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = _QUERY_NAMES.get(id(route))
    if allowed is None:
        allowed = _QUERY_NAMES[id(route)] = _query_names(dependant)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise Invalid(
            f"unknown query parameters: {', '.join(unknown)}",
            errors=[
                {"field": name, "in": "query", "reason": "this route takes no such parameter"}
                for name in unknown
            ],
        )


async def get_namespace(request: Request, caller: CallerDep) -> str:
    """The caller's namespace; a read key may only read."""
    if request.method not in READS and not caller.can("write"):
        raise Forbidden("this API key may only read")
    return caller.namespace


async def get_admin(caller: CallerDep) -> Caller:
    if not caller.can("admin"):
        raise Forbidden("this needs an admin key")
    return caller


async def get_secret_reader(caller: CallerDep) -> Caller:
    if not caller.can("write"):
        raise Forbidden("reading the signing secret needs a write or admin key")
    return caller


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NamespaceDep = Annotated[str, Depends(get_namespace)]
AdminDep = Annotated[Caller, Depends(get_admin)]
SecretReaderDep = Annotated[Caller, Depends(get_secret_reader)]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Page size")]
CursorQuery = Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")]
WaitQuery = Annotated[
    float | None, Query(ge=0, le=60, description="Long-poll: seconds to wait for the resolution (at most 60)")
]
