"""/v1/watch: server-sent events for one gather, run or wait while a page (the console) shows it. The
server looks at the subject every WATCH_INTERVAL and sends ``change`` when what a reader sees of it moved
(its counters, its status, its callbacks; a run's history), so it works the same on every replica without a
message bus. The first event comes at once; a comment keeps an idle stream open; the stream ends after
WATCH_SECONDS (the client connects again)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.problem import field_error
from app.deliveries.models import deliveries
from app.deps import NamespaceDep, RuntimeDep
from app.errors import Invalid, NotFound, responses
from app.gathers.models import gathers
from app.waits import reads as wait_reads
from app.workflows.run_models import run_history, runs

router = APIRouter(tags=["ops"])
WATCH_INTERVAL = 0.5
WATCH_SECONDS = 300.0
KEEP_ALIVE = 15.0
Subject = Annotated[str | None, Query(max_length=200)]


async def _deliveries(conn: AsyncConnection, namespace: str, kind: str, subject: str) -> list[Any]:
    d = deliveries.c
    stmt = (
        sa.select(d.status, d.attempts)
        .where(d.namespace == namespace, d.subject_kind == kind, d.subject_id == subject)
        .order_by(d.id)
        .limit(50)
    )
    return [tuple(r) for r in (await conn.execute(stmt)).all()]


async def _seen(conn: AsyncConnection, namespace: str, kind: str, subject: str) -> Any:
    """What a reader sees of the subject, as a comparable value; NotFound when it does not exist."""
    if kind == "gather":
        g = gathers.c
        stmt = sa.select(g.status, g.total, g.done, g.succeeded, g.failed, g.sealed)
        row = (await conn.execute(stmt.where(g.namespace == namespace, g.id == subject))).first()
        if row is None:
            raise NotFound(f"gather {subject!r} does not exist")
        return [tuple(row), await _deliveries(conn, namespace, "gather", subject)]
    if kind == "run":
        r, h = runs.c, run_history.c
        found = sa.select(r.status).where(r.namespace == namespace, r.id == subject)
        row = (await conn.execute(found)).first()
        if row is None:
            raise NotFound(f"run {subject!r} does not exist")
        last = sa.select(h.id).where(h.namespace == namespace, h.run_id == subject).order_by(h.id.desc())
        latest = (await conn.execute(last.limit(1))).scalar()
        return [row.status, latest, await _deliveries(conn, namespace, "run", subject)]
    wait = await wait_reads.current(conn, namespace=namespace, group_key=subject)
    callbacks = await _deliveries(conn, namespace, "wait", wait["id"])
    return [wait["id"], wait["status"], wait["participant_count"], callbacks]


@router.get(
    "/v1/watch",
    operation_id="watch",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **responses(404, 422),
    },
)
async def watch(
    request: Request,
    rt: RuntimeDep,
    ns: NamespaceDep,
    gather: Subject = None,
    run: Subject = None,
    wait: Subject = None,
) -> StreamingResponse:
    """Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``):
    ``event: change`` at once and whenever what a read of it shows moves. For pages that stay open."""
    named = [(kind, value) for kind, value in (("gather", gather), ("run", run), ("wait", wait)) if value]
    if len(named) != 1:
        reason = "name exactly one of gather, run and wait"
        raise Invalid(reason, errors=[field_error("gather", reason, "query")])
    kind, subject = named[0]
    async with rt.db.read() as conn:
        first = await _seen(conn, ns, kind, subject)  # a 404 before the stream starts

    async def events() -> AsyncIterator[str]:
        seen, began = first, time.monotonic()
        quiet = began
        yield _event(kind, subject)
        while time.monotonic() - began < WATCH_SECONDS and not await request.is_disconnected():
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                async with rt.db.read() as conn:
                    now = await _seen(conn, ns, kind, subject)
            except NotFound:
                return
            if now != seen:
                seen, quiet = now, time.monotonic()
                yield _event(kind, subject)
            elif time.monotonic() - quiet > KEEP_ALIVE:
                quiet = time.monotonic()
                yield ": still here\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _event(kind: str, subject: str) -> str:
    return f"event: change\ndata: {json.dumps({kind: subject})}\n\n"
