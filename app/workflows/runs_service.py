"""Run writes: create, pause, resume, cancel, and the run deadlines the scheduler ends. Services flush, never
commit; each returns the run as the API shows it."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx
from app.core.ids import new_id
from app.core.problem import field_error
from app.errors import Conflict, Invalid, NotFound
from app.jobs import store
from app.jobs.models import ACTIVE, jobs
from app.workflows import reads, run_events, run_history
from app.workflows.dispatch import fill, grant_queued
from app.workflows.run_context import Ctx, add_transition, graph_of, load_ctx
from app.workflows.run_models import RUN_OPEN, RunRow, StepRow, run_items, run_steps, runs
from app.workflows.runs_end import end_run, enter_phase, start_step
from app.workflows.runs_reads import run_read
from app.workflows.runs_schemas import MAX_INPUT_BYTES, RunCancel, RunCreate, RunRead


def _digest(workflow: str, body: RunCreate) -> str:
    canonical = json.dumps([workflow, body.model_dump(mode="json", exclude={"id"})], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _existing(tx: Tx, namespace: str, run_id: str) -> RunRow | None:
    stmt = sa.select(runs).where(runs.c.namespace == namespace, runs.c.id == run_id)
    row = (await tx.conn.execute(stmt)).mappings().first()
    return cast(RunRow, dict(row)) if row is not None else None


def _check_input(body: RunCreate) -> None:
    size = len(json.dumps(body.input, separators=(",", ":")).encode())
    if size > MAX_INPUT_BYTES:
        reason = f"the input is {size} bytes of JSON; the limit is {MAX_INPUT_BYTES}"
        raise Invalid(reason, errors=[field_error("input", reason)])


async def create(tx: Tx, *, namespace: str, workflow: str, body: RunCreate) -> tuple[RunRead, bool]:
    """Start a run of the latest version (201), or return the same run for the same id and body (200)."""
    _check_input(body)
    run_id = body.id or new_id("run")
    digest = _digest(workflow, body)
    job = (await store.ensure_and_lock(tx, namespace, [run_id]))[run_id]
    existing = await _existing(tx, namespace, run_id)
    if existing is not None:
        if existing["body_hash"] != digest:
            raise Conflict(f"run {run_id!r} already exists with another body")
        return await run_read(tx.conn, existing), False
    if job["registered"] or job["status"] not in ACTIVE:
        raise Conflict(f"a job with the run's id {run_id!r} is already registered or finished")
    found = await reads.find_workflow(tx.conn, namespace=namespace, name=workflow)
    if found is None:
        raise NotFound(f"workflow {workflow!r} does not exist")
    if found["deleted_at"] is not None:
        raise Conflict(f"workflow {workflow!r} was deleted; it starts no new runs")
    graph = await graph_of(tx.conn, namespace, workflow, found["latest_version"])
    deadline = tx.now + timedelta(seconds=body.timeout_seconds) if body.timeout_seconds else None
    row: RunRow = {
        "namespace": namespace,
        "id": run_id,
        "workflow": workflow,
        "version": found["latest_version"],
        "status": "running",
        "input": body.input,
        "output": None,
        "error": None,
        "current_phase": None,
        "callback": body.callback.model_dump(mode="json") if body.callback else None,
        "failure_callback": body.failure_callback.model_dump(mode="json") if body.failure_callback else None,
        "events": list(body.events),
        "meta": body.metadata,
        "timeout_seconds": body.timeout_seconds,
        "deadline_at": deadline,
        "paused_at": None,
        "transitions": [],
        "transitions_truncated": False,
        "redrive_count": 0,
        "body_hash": digest,
        "created_at": tx.now,
        "updated_at": tx.now,
        "finished_at": None,
    }
    await tx.conn.execute(sa.insert(runs).values(row))
    await run_history.add(tx, row, "run.created", data={"workflow": workflow, "version": row["version"]})
    await tx.conn.execute(
        sa.update(jobs)
        .where(jobs.c.namespace == namespace, jobs.c.id == run_id)
        .values(registered=True, name=f"workflow:{workflow}", updated_at=tx.now)
    )
    counters = ("total", "succeeded", "failed", "in_flight", "retry_scheduled", "cancelled", "throttled")
    zero = dict.fromkeys(counters, 0)
    steps = [
        {"namespace": namespace, "run_id": run_id, "step": s.name, "kind": s.kind, "status": "waiting"}
        | zero
        | {"started_at": None, "finished_at": None}
        for s in graph.steps
    ]
    await tx.conn.execute(run_steps.insert(), steps)
    ctx = Ctx(dict(row), graph)  # type: ignore[arg-type]
    if graph.form == "phases":
        await enter_phase(tx, ctx, graph.entry[0])
    else:
        for name in graph.entry:
            await add_transition(tx, ctx, None, name, "start")
            await start_step(tx, ctx, graph.step(name))
    return await run_read(tx.conn, ctx.run), True


async def _locked(tx: Tx, namespace: str, run_id: str) -> Ctx:
    if await _existing(tx, namespace, run_id) is None:
        raise NotFound(f"run {run_id!r} does not exist")
    return await load_ctx(tx, namespace, run_id, lock=True)


def _set(ctx: Ctx, **values: Any) -> Any:
    r = runs.c
    ctx.run.update(cast(Any, values))
    return sa.update(runs).where(r.namespace == ctx.run["namespace"], r.id == ctx.run["id"]).values(**values)


async def pause(tx: Tx, *, namespace: str, run_id: str) -> RunRead:
    """Stop dispatching (reports of attempts in flight still apply); 409 unless running."""
    ctx = await _locked(tx, namespace, run_id)
    if ctx.run["status"] != "running":
        raise Conflict(f"run {run_id!r} is {ctx.run['status']}; only a running run can be paused")
    await tx.conn.execute(_set(ctx, status="paused", paused_at=tx.now, updated_at=tx.now))
    await add_transition(tx, ctx, ctx.run["current_phase"], "paused", "pause", history="run.paused")
    await run_events.run_moved(tx, ctx, "run.paused")
    return await run_read(tx.conn, ctx.run)


async def resume(tx: Tx, *, namespace: str, run_id: str) -> RunRead:
    """Dispatch what became ready while paused, overdue retries at once; 409 unless paused."""
    ctx = await _locked(tx, namespace, run_id)
    if ctx.run["status"] != "paused":
        raise Conflict(f"run {run_id!r} is {ctx.run['status']}; only a paused run can be resumed")
    await tx.conn.execute(_set(ctx, status="running", paused_at=None, updated_at=tx.now))
    await add_transition(
        tx, ctx, "paused", ctx.run["current_phase"] or "running", "resume", history="run.resumed"
    )
    await run_events.run_moved(tx, ctx, "run.resumed")
    i, s = run_items.c, run_steps.c
    mine = (i.namespace == namespace, i.run_id == run_id)
    overdue = sa.select(i.step, sa.func.count()).where(
        *mine, i.status == "retry_scheduled", i.due_at <= tx.now
    )
    for name, count in (await tx.conn.execute(overdue.group_by(i.step))).all():
        await tx.conn.execute(
            sa.update(run_items)
            .where(*mine, i.step == name, i.status == "retry_scheduled", i.due_at <= tx.now)
            .values(status="waiting", due_at=None)
        )
        await tx.conn.execute(
            sa.update(run_steps)
            .where(s.namespace == namespace, s.run_id == run_id, s.step == name)
            .values(retry_scheduled=s.retry_scheduled - count, wait_from=0)  # they go out first
        )
    running = sa.select(run_steps).where(s.namespace == namespace, s.run_id == run_id, s.status == "running")
    for row in (await tx.conn.execute(tx.for_update(running.order_by(s.step)))).mappings().all():
        await fill(tx, ctx, ctx.graph.step(row["step"]), cast(StepRow, dict(row)))
    await grant_queued(tx, ctx)  # items that waited on a throttle key take the slots free now
    return await run_read(tx.conn, ctx.run)


async def cancel(tx: Tx, *, namespace: str, run_id: str, body: RunCancel) -> RunRead:
    """Cancel a running or paused run: attempts in flight are cancelled and their handlers told. Again → the
    run; from another end → 409."""
    ctx = await _locked(tx, namespace, run_id)
    status = ctx.run["status"]
    if status not in RUN_OPEN:
        if status == "cancelled":
            return await run_read(tx.conn, ctx.run)
        raise Conflict(f"run {run_id!r} already ended as {status!r}")
    error = {"reason": body.reason or "run_cancelled"}
    await end_run(tx, ctx, "cancelled", error=error, reason=body.reason or "run_cancelled")
    return await run_read(tx.conn, ctx.run)


async def expire_due(tx: Tx, *, limit: int) -> int:
    """End runs past their deadline as ``timed_out``, cancelling what is in flight."""
    r = runs.c
    stmt = tx.due(sa.select(r.namespace, r.id).where(r.status.in_(RUN_OPEN)), r.deadline_at, limit=limit)
    due = (await tx.conn.execute(stmt)).all()
    for namespace, run_id in due:
        ctx = await load_ctx(tx, namespace, run_id, lock=True)
        error = {"reason": "timeout", "detail": "the run passed its timeout_seconds"}
        await end_run(tx, ctx, "timed_out", error=error, reason="run_timed_out")
    return len(due)


async def purge_finished(tx: Tx, *, limit: int, retention: timedelta) -> int:
    """Delete runs that ended longer ago than the retention, with their steps, items and queue places (the
    foreign keys cascade); their jobs stay, as every job does."""
    r = runs.c
    cutoff = tx.now - retention
    stmt = (
        sa.select(r.namespace, r.id)
        .where(r.finished_at.is_not(None), r.finished_at <= cutoff, r.status.not_in(RUN_OPEN))
        .order_by(r.finished_at)
        .limit(limit)
    )
    if tx.is_postgres:
        stmt = stmt.with_for_update(skip_locked=True)
    found = (await tx.conn.execute(stmt)).all()
    for namespace, run_id in found:
        await tx.conn.execute(sa.delete(runs).where(r.namespace == namespace, r.id == run_id))
    return len(found)
