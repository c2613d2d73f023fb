"""Request dependencies, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from app.config import Settings
from app.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


async def get_namespace(request: Request) -> str:
    """The caller's namespace. Until API keys exist every caller is in the default namespace."""
    namespace: str = request.app.state.runtime.settings.default_namespace
    return namespace


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NamespaceDep = Annotated[str, Depends(get_namespace)]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="Page size")]
CursorQuery = Annotated[str | None, Query(max_length=2000, description="next_cursor of the previous page")]
WaitQuery = Annotated[
    float | None, Query(ge=0, le=60, description="Long-poll: seconds to wait for the resolution (at most 60)")
]
