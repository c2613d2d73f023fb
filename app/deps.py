"""Request dependencies, declared once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request

from app.access.auth import Caller, scope_caller
from app.config import Settings
from app.errors import Forbidden, Invalid, Unauthorized
from app.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


async def get_caller(request: Request) -> Caller:
    """The caller the caller middleware resolved, once, for this request (see ``CallerMiddleware``)."""
    caller = scope_caller(request.scope)
    if caller is None:  # only a route outside /v1 could get here, and none of those asks for a caller
        raise Unauthorized("an API key is required: Authorization: Bearer rdv_…")
    return caller


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
