"""Redrive and rerun: a finished run runs again, in place, keeping what succeeded.

- **Redrive** (from ``failed``, ``timed_out`` or ``cancelled``) re-queues only what did not succeed: the
  failed, timed-out and cancelled items of the steps that failed or were cancelled, and the steps that never
  started. A step that ended ``completed`` (its failures tolerated) is kept as it ended. Succeeded items
  keep their outputs; a re-queued item's attempt numbers continue (``a4`` after ``a3``) with a fresh retry
  budget. A phase run re-enters the phase that failed.
- **Rerun** ``{from_step}`` (from any end) resets that step and every step after it (its dependents in a DAG,
  the phases reachable from it); upstream steps keep their outputs. A reset step's new items number their
  attempts after the highest number it used, so an attempt id is never made twice.

Both count in ``redrive_count``, clear the run's end, give it a new deadline (``timeout_seconds`` from now),
and take the run's own job back to ``running`` so that it, and any gather still waiting on it, see the run's
next end. A gather that already resolved on the run's first end does not fire again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import NoResultFound

from app.core.db import Tx
from app.core.problem import field_error
from app.errors import Conflict, Invalid, NotFound
from app.jobs import service as jobs
from app.workflows import run_events, run_history
from app.workflows.dispatch import fill
from app.workflows.graph import Graph, Step
from app.workflows.run_context import Ctx, add_transition, load_ctx
from app.workflows.run_models import RUN_OPEN, STEP_DONE, StepRow, run_items, run_steps, runs
from app.workflows.runs_end import SUCCESS, enter_phase, start_ready, step_finished
from app.workflows.runs_reads import run_read
from app.workflows.runs_schemas import RunRead

REDRIVABLE = ("failed", "timed_out", "cancelled")
_REQUEUED = ("failed", "timed_out", "cancelled", "waiting", "throttled", "retry_scheduled")


async def _locked(tx: Tx, namespace: str, run_id: str) -> tuple[Ctx, dict[str, StepRow]]:
    """The run and its steps, locked (the run first, as every decision about it does)."""
    exists = sa.select(runs.c.id).where(runs.c.namespace == namespace, runs.c.id == run_id)
    if (await tx.conn.execute(exists)).first() is None:
        raise NotFound(f"run {run_id!r} does not exist")
    try:
        ctx = await load_ctx(tx, namespace, run_id, lock=True)
    except NoResultFound:  # its retention ran out while this waited for its lock
        raise NotFound(f"run {run_id!r} does not exist") from None
    s = run_steps.c
    stmt = sa.select(run_steps).where(s.namespace == namespace, s.run_id == run_id).order_by(s.step)
    rows = (await tx.conn.execute(tx.for_update(stmt))).mappings().all()
    return ctx, {r["step"]: cast(StepRow, dict(r)) for r in rows}


async def redrive(tx: Tx, *, namespace: str, run_id: str) -> RunRead:
    """Re-queue what did not succeed; 409 unless the run failed, timed out or was cancelled."""
    ctx, steps = await _locked(tx, namespace, run_id)
    status = ctx.run["status"]
    if status not in REDRIVABLE:
        hint = "; rerun a step of a succeeded run instead" if status == "succeeded" else ""
        raise Conflict(
            f"run {run_id!r} is {status}; only a failed, timed-out or cancelled run is redriven{hint}"
        )
    g = ctx.graph
    error = None
    if g.form == "phases":
        phase = _failed_phase(ctx, steps)
        requeue = [phase] if steps[phase]["total"] else []
        reset = _after(g, phase) | ({phase} if not requeue else set())
        error = await _error_leading_to(tx, ctx, phase)  # an error phase's tasks are told it again
    else:
        failed = {n for n, r in steps.items() if r["status"] in ("failed", "cancelled")}
        again = failed | {n for n, r in steps.items() if r["status"] == "skipped"}
        # What comes after a step that runs again waits for it and starts afresh (its inputs change), even
        # one that failed with items; what succeeded keeps its outputs. A step that failed before it had
        # items (its ``each`` was not an array) starts afresh too.
        after: set[str] = set().union(*(_after(g, n) for n in again))
        requeue = [n for n in failed if steps[n]["total"] and n not in after]
        reset = {n for n in (again | after) - set(requeue) if steps[n]["status"] not in SUCCESS}
    for name in requeue:
        await _requeue(tx, ctx, steps[name])
    await _reset(tx, ctx, steps, reset)
    data = {"requeued_steps": sorted(requeue), "reset_steps": sorted(reset)}
    await _reopen(tx, ctx, "redrive", data=data, error=error)
    if g.form == "phases":
        await _reenter(tx, ctx, phase, requeued=bool(requeue))
    else:
        order = {s.name: n for n, s in enumerate(g.steps)}
        for name in sorted(requeue, key=order.__getitem__):
            await _resume_step(tx, ctx, g.step(name))
        await start_ready(tx, ctx)
    return await run_read(tx.conn, ctx.run)


async def rerun(tx: Tx, *, namespace: str, run_id: str, from_step: str) -> RunRead:
    """Reset ``from_step`` and every step after it and run them again; 409 unless the run has ended, 422 for a
    step the run's graph does not have."""
    ctx, steps = await _locked(tx, namespace, run_id)
    if ctx.run["status"] in RUN_OPEN:
        raise Conflict(f"run {run_id!r} is {ctx.run['status']}; only a run that ended is rerun")
    g = ctx.graph
    if from_step not in steps:
        known = ", ".join(s.name for s in g.steps)
        raise Invalid(
            f"run {run_id!r} has no step {from_step!r}",
            errors=[field_error("from_step", f"not a step of this run's workflow (its steps: {known})")],
        )
    error = None
    if g.form == "tasks":
        step = g.step(from_step)
        blocked = [
            d
            for d in step.depends_on
            if steps[d]["status"] not in SUCCESS
            and not (step.allow_failed_dependencies and steps[d]["status"] in STEP_DONE)
        ]
        if blocked:
            raise Conflict(
                f"step {from_step!r} cannot run again: its dependencies {blocked} did not succeed "
                "(redrive the run instead)"
            )
    else:
        error = await _error_leading_to(tx, ctx, from_step)
    reset = {from_step} | _after(g, from_step)
    await _reset(tx, ctx, steps, reset)
    data = {"from_step": from_step, "reset_steps": sorted(reset)}
    await _reopen(tx, ctx, "rerun", data=data, error=error)
    if g.form == "phases":
        await enter_phase(tx, ctx, from_step, reason="rerun", error=error)
    else:
        await start_ready(tx, ctx)
    return await run_read(tx.conn, ctx.run)


def _after(g: Graph, name: str) -> set[str]:
    """Every step that can run after ``name``: its dependents (DAG), or the phases reachable from it."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        step = g.step(todo.pop())
        nexts = g.dependents(step.name) if g.form == "tasks" else [step.on_success, step.on_error]
        for n in nexts:
            if n is not None and n not in seen and n != name:
                seen.add(n)
                todo.append(n)
    return seen


def _failed_phase(ctx: Ctx, steps: dict[str, StepRow]) -> str:
    """The phase a redrive re-enters: the run's current phase when that is where it failed, was cancelled or
    timed out (the error phase's own, when its task failed); else the phase whose failure led it to the
    error path; else the current one."""
    current = ctx.run["current_phase"]
    assert current is not None, "a phase run that ended has entered a phase"
    if steps[current]["status"] in ("failed", "cancelled"):
        return current
    error = ctx.run["error"]
    if isinstance(error, dict) and isinstance(error.get("phase"), str) and error["phase"] in steps:
        return cast(str, error["phase"])
    return current


async def _requeue(tx: Tx, ctx: Ctx, row: StepRow) -> None:
    """Put a step's unfinished and failed items back to ``waiting`` with a fresh retry budget; its succeeded
    items keep their outputs. The step runs again."""
    i, s = run_items.c, run_steps.c
    mine = (i.namespace == row["namespace"], i.run_id == row["run_id"], i.step == row["step"])
    await tx.conn.execute(
        sa.update(run_items)
        .where(*mine, i.status.in_(_REQUEUED))
        .values(
            status="waiting",
            attempt_base=i.attempt,
            due_at=None,
            finished_at=None,
            throttle_key=None,
            cap_key=None,
            handler=None,
            batch_id=None,
        )
    )
    # Its succeeded items stay as they are, and so does their counter; nothing else is in flight or queued.
    values: dict[str, Any] = {"status": "running", "finished_at": None, "wait_from": 0}
    values |= {"failed": 0, "cancelled": 0, "in_flight": 0, "retry_scheduled": 0, "throttled": 0}
    where = (s.namespace == row["namespace"], s.run_id == row["run_id"], s.step == row["step"])
    await tx.conn.execute(sa.update(run_steps).where(*where).values(values))
    row.update(cast(Any, values))


async def _reset(tx: Tx, ctx: Ctx, steps: dict[str, StepRow], names: set[str]) -> None:
    """Steps back to ``waiting`` with no items, as if they had never started; their next attempts number
    after the highest they used."""
    i, s = run_items.c, run_steps.c
    ns, run_id = ctx.run["namespace"], ctx.run["id"]
    for name in sorted(names):
        mine = (i.namespace == ns, i.run_id == run_id, i.step == name)
        used = (await tx.conn.execute(sa.select(sa.func.max(i.attempt)).where(*mine))).scalar_one()
        await tx.conn.execute(sa.delete(run_items).where(*mine))
        floor = max(steps[name]["attempt_floor"], used or 0)
        values: dict[str, Any] = {"status": "waiting", "total": 0, "attempt_floor": floor}
        values |= {"succeeded": 0, "failed": 0, "cancelled": 0, "in_flight": 0, "retry_scheduled": 0}
        values |= {"throttled": 0, "wait_from": 0, "started_at": None, "finished_at": None}
        where = (s.namespace == ns, s.run_id == run_id, s.step == name)
        await tx.conn.execute(sa.update(run_steps).where(*where).values(values))
        steps[name].update(cast(Any, values))


async def _error_leading_to(tx: Tx, ctx: Ctx, phase: str) -> Any:
    """The error that led the run into ``phase`` the last time it entered it, kept in the run's history with
    the transition (an on-error one, or a redrive or rerun of such a phase), else None."""
    h = run_history.ID.table.c
    stmt = (
        sa.select(h.data)
        .where(h.namespace == ctx.run["namespace"], h.run_id == ctx.run["id"], h.type == "transition")
        .order_by(h.id.desc())
    )
    for (data,) in (await tx.conn.execute(stmt)).all():
        if isinstance(data, dict) and data.get("to") == phase:
            return data.get("error")
    return None


async def _reopen(tx: Tx, ctx: Ctx, reason: str, *, data: dict[str, Any], error: Any = None) -> None:
    """The run is running again: its end cleared (its ``error`` is ``error``: the one that led into the error
    phase it re-enters, if it does), a new deadline, one more in ``redrive_count``, its job back to
    ``running``; recorded as a transition and, when subscribed, sent as ``run.redriven``."""
    run = ctx.run
    timeout = run["timeout_seconds"]
    values: dict[str, Any] = {
        "status": "running",
        "output": None,
        "error": error,
        "finished_at": None,
        "paused_at": None,
        "deadline_at": tx.now + timedelta(seconds=timeout) if timeout else None,
        "redrive_count": run["redrive_count"] + 1,
        "updated_at": tx.now,
    }
    previous = run["status"]
    r = runs.c
    await tx.conn.execute(
        sa.update(runs).where(r.namespace == run["namespace"], r.id == run["id"]).values(values)
    )
    run.update(cast(Any, values))
    history = "run.redriven" if reason == "redrive" else "run.rerun"
    await add_transition(tx, ctx, previous, "running", reason, history=history, data=data)
    await jobs.reopen(tx, namespace=run["namespace"], job_id=run["id"])
    await run_events.run_moved(tx, ctx, "run.redriven")


async def _reenter(tx: Tx, ctx: Ctx, phase: str, *, requeued: bool) -> None:
    """Phase form: make the failed phase current again and dispatch its re-queued tasks (or start it afresh
    when it had none)."""
    error = ctx.run["error"]  # the one that led into it, when it is an error phase
    if not requeued:
        await enter_phase(tx, ctx, phase, reason="redrive", error=error)
        return
    await enter_phase(tx, ctx, phase, reason="redrive", error=error, start=False)
    await _resume_step(tx, ctx, ctx.graph.step(phase))


async def _resume_step(tx: Tx, ctx: Ctx, step: Step) -> None:
    """Dispatch a re-queued step's items as its limits allow; a step left with nothing to run ends."""
    s = run_steps.c
    stmt = sa.select(run_steps).where(
        s.namespace == ctx.run["namespace"], s.run_id == ctx.run["id"], s.step == step.name
    )
    row = cast(StepRow, dict((await tx.conn.execute(stmt)).mappings().one()))
    await fill(tx, ctx, step, row)
    if row["total"] and row["succeeded"] >= row["total"]:
        await step_finished(tx, ctx, step, "succeeded")
