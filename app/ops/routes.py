"""/healthz and /readyz."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.deps import RuntimeDep
from app.migrate import head_revision

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None


@router.get("/healthz", operation_id="healthz")
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", operation_id="readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(rt: RuntimeDep) -> Health | JSONResponse:
    """The database answers and its schema is at the migrations' head."""
    try:
        async with rt.db.read() as conn:
            current = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception as exc:
        body = Health(status="unavailable", detail=f"database: {type(exc).__name__}")
        return JSONResponse(body.model_dump(), status_code=503)
    head = head_revision()
    if current != head:
        body = Health(status="unavailable", detail=f"schema at {current}, migrations head is {head}")
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ok")
