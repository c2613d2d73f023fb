"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from app.deps import RuntimeDep
from app.errors import responses
from app.migrate import head_revision

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}, **responses(422)},
)
async def metrics(rt: RuntimeDep) -> Response:
    """Prometheus metrics of this process (counters since it started; gauges read from the database)."""
    async with rt.db.read() as conn:
        text = await rt.metrics.render(conn, rt.clock.now())
    return Response(text, media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", operation_id="healthz", responses=responses(422))
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=Health,
    responses={503: {"model": Health}, **responses(422)},
)
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
