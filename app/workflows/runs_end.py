"""How steps start and end and how a run ends: the decisions taken when a step's counters say it is done,
or when a run is cancelled or passes its deadline. Called inside the transaction that caused them."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx, chunks
from app.deliveries import service as deliveries
from app.jobs import service as jobs
from app.workflows import run_events, run_history
from app.workflows import throttles as th
from app.workflows.dispatch import fill, grant
from app.workflows.graph import Step
from app.workflows.graph_model import MAX_MAP_ITEMS
from app.workflows.messages import outputs_doc, pointer, resolve, step_output
from app.workflows.run_context import Ctx, add_transition, handler_name, handler_rows
from app.workflows.run_models import (
    IN_FLIGHT,
    RUN_OPEN,
    STEP_DONE,
    ItemStatus,
    RunEnd,
    StepRow,
    StepStatus,
    run_items,
    run_steps,
    runs,
    throttle_queue,
)

OPEN_ITEMS: tuple[ItemStatus, ...] = ("waiting", "throttled", "retry_scheduled", *IN_FLIGHT)
SUCCESS: tuple[StepStatus, ...] = ("succeeded", "completed")


def _where_step(ctx: Ctx, name: str) -> Any:
    s = run_steps.c
    return sa.update(run_steps).where(
        s.namespace == ctx.run["namespace"], s.run_id == ctx.run["id"], s.step == name
    )


async def lock_run(tx: Tx, ctx: Ctx) -> None:
    """Reload the run, locked: step ends of one run are decided one at a time."""
    stmt = sa.select(runs).where(runs.c.namespace == ctx.run["namespace"], runs.c.id == ctx.run["id"])
    row = (await tx.conn.execute(tx.for_update(stmt))).mappings().one()
    ctx.run.update(cast(Any, dict(row)))


async def _items_of(tx: Tx, ctx: Ctx, step: Step) -> list[Any] | None:
    """The elements a step starts with: one per map element, handler or single task; None when a map's
    ``each`` does not resolve to an array."""
    if step.kind == "phase":
        return [None] * len(step.handlers)
    if step.kind == "task":
        return [None]
    each = step.each
    if isinstance(each, dict):
        ptr = each.get("$ptr", "")
        names = [ptr.split("/")[2]] if ptr.startswith("/steps/") else []
        each = pointer(await outputs_doc(tx.conn, ctx, names), ptr)
    return each if isinstance(each, list) else None


async def start_step(tx: Tx, ctx: Ctx, step: Step) -> None:
    """Create a step's items and dispatch what its limits allow; a step with nothing to do ends at once."""
    elements = await _items_of(tx, ctx, step)
    if elements is None or len(elements) > MAX_MAP_ITEMS:
        reason = "each_not_array" if elements is None else "each_too_long"
        await tx.conn.execute(_where_step(ctx, step.name).values(status="running", started_at=tx.now))
        await step_finished(tx, ctx, step, "failed", error={"reason": reason, "step": step.name})
        return
    ns, run_id = ctx.run["namespace"], ctx.run["id"]
    stmt = (
        _where_step(ctx, step.name)
        .where(run_steps.c.status == "waiting")
        .values(status="running", total=len(elements), started_at=tx.now)
        .returning(*run_steps.c)
    )
    row = (await tx.conn.execute(stmt)).mappings().first()
    if row is None:  # started already: a step starts once
        return
    floor = row["attempt_floor"]  # after a rerun, attempt numbers continue past the ones used
    rows = [
        {"namespace": ns, "run_id": run_id, "step": step.name, "idx": n, "item": element}
        | {"status": "waiting", "attempt": floor, "attempt_base": floor, "job_id": None, "output": None}
        | {"error": None, "due_at": None, "dispatched_at": None, "finished_at": None}
        for n, element in enumerate(elements)
    ]
    for part in chunks(rows, 1000):
        await tx.conn.execute(run_items.insert(), list(part))
    if not rows:
        await step_finished(tx, ctx, step, "succeeded")
        return
    await fill(tx, ctx, step, cast(StepRow, dict(row)))


async def step_finished(tx: Tx, ctx: Ctx, step: Step, outcome: StepStatus, *, error: Any = None) -> None:
    """A step ended: move the run along (phase form) or start the dependents it freed (DAG form)."""
    guarded = _where_step(ctx, step.name).where(run_steps.c.status == "running")
    if (await tx.conn.execute(guarded.values(status=outcome, finished_at=tx.now))).rowcount != 1:
        return
    await lock_run(tx, ctx)
    await run_history.add(tx, ctx.run, f"step.{outcome}", step=step.name, data=error and {"error": error})
    await run_events.step_ended(tx, ctx, step.name, outcome)
    if ctx.run["status"] not in RUN_OPEN:
        return
    if ctx.graph.form == "phases":
        await _phase_finished(tx, ctx, step, outcome, error)
    else:
        await _task_finished(tx, ctx, step, outcome)


async def _phase_finished(tx: Tx, ctx: Ctx, step: Step, outcome: StepStatus, error: Any) -> None:
    if outcome == "failed":
        await cancel_items(tx, ctx, reason="phase_failed", step=step.name)
        if step.on_error is None or step.final:
            await end_run(tx, ctx, "failed", error=error)
            return
        await enter_phase(tx, ctx, step.on_error, error=error)
    elif step.final:
        failed = ctx.run["error"] is not None and step.outcome != "succeeded"
        await end_run(tx, ctx, "failed" if failed else "succeeded", error=ctx.run["error"])
    elif step.on_success is not None:
        await enter_phase(tx, ctx, step.on_success)


async def enter_phase(
    tx: Tx, ctx: Ctx, name: str, *, error: Any = None, reason: str | None = None, start: bool = True
) -> None:
    """Make ``name`` the current phase (carrying the error that led there, if any) and start it (unless
    ``start`` is false: a redriven phase dispatches the items it has)."""
    previous = ctx.run["current_phase"]
    if reason is None:
        reason = "start" if previous is None else ("on_error" if error is not None else "succeeded")
    # The history keeps the error that led here: a redrive or rerun of the phase tells its tasks again.
    await add_transition(tx, ctx, previous, name, reason, data=None if error is None else {"error": error})
    values: dict[str, Any] = {"current_phase": name, "updated_at": tx.now}
    if error is not None:
        values["error"] = error
    r = runs.c
    where = (r.namespace == ctx.run["namespace"], r.id == ctx.run["id"])
    await tx.conn.execute(sa.update(runs).where(*where).values(**values))
    ctx.run.update(cast(Any, values))
    await run_events.phase_entered(tx, ctx, name)
    if start:
        await start_step(tx, ctx, ctx.graph.step(name))


async def _statuses(tx: Tx, ctx: Ctx) -> dict[str, StepStatus]:
    s = run_steps.c
    stmt = sa.select(s.step, s.status).where(s.namespace == ctx.run["namespace"], s.run_id == ctx.run["id"])
    return {r.step: r.status for r in (await tx.conn.execute(stmt)).all()}


async def _task_finished(tx: Tx, ctx: Ctx, step: Step, outcome: StepStatus) -> None:
    g = ctx.graph
    if outcome not in SUCCESS and g.failure_mode == "fail_fast":
        await end_run(tx, ctx, "failed", error={"failed_steps": [step.name]}, reason="fail_fast")
        return
    await _release_dependents(tx, ctx, step.name, await _statuses(tx, ctx))
    await settle(tx, ctx)


async def start_ready(tx: Tx, ctx: Ctx) -> None:
    """DAG form, after a redrive or rerun reset steps: start every waiting step that may start now (entry
    steps, and those whose dependencies ended as they need), skip those that never can, and end the run if
    nothing more can start."""
    statuses = await _statuses(tx, ctx)
    for step in ctx.graph.steps:
        if ctx.run["status"] in RUN_OPEN and not step.depends_on and statuses[step.name] == "waiting":
            statuses[step.name] = "running"
            await add_transition(tx, ctx, None, step.name, "start")
            await start_step(tx, ctx, step)
    for step in ctx.graph.steps:
        if statuses[step.name] in STEP_DONE:
            await _release_dependents(tx, ctx, step.name, statuses)
    await settle(tx, ctx)


async def settle(tx: Tx, ctx: Ctx) -> None:
    """DAG form: end the run once nothing more can start."""
    g = ctx.graph
    statuses = await _statuses(tx, ctx)
    if ctx.run["status"] in RUN_OPEN and all(s not in ("waiting", "running") for s in statuses.values()):
        # Nothing more can start: the run succeeded when every sink did (a failure upstream of a sink that
        # allows failed dependencies does not fail the run).
        ok = all(statuses[n] in SUCCESS for n in statuses if not g.dependents(n))
        failed = [n for n, s in statuses.items() if s == "failed"]
        await end_run(
            tx, ctx, "succeeded" if ok else "failed", error=None if ok else {"failed_steps": failed}
        )


async def _release_dependents(tx: Tx, ctx: Ctx, name: str, statuses: dict[str, StepStatus]) -> None:
    """Decide the waiting dependents of a step that ended, in definition order: start those now ready (every
    dependency succeeded or completed; with ``allow_failed_dependencies``, every dependency ended), skip
    those that never can (a dependency failed or was skipped), and decide the dependents of a skipped one."""
    g = ctx.graph
    queue = [(name, d) for d in g.dependents(name)]
    while queue and ctx.run["status"] in RUN_OPEN:
        frm, dependent = queue.pop(0)
        step = g.step(dependent)
        if statuses[step.name] != "waiting":
            continue
        ups = [statuses[d] for d in step.depends_on]
        if all(u in SUCCESS for u in ups) or (
            step.allow_failed_dependencies and all(u in STEP_DONE for u in ups)
        ):
            statuses[step.name] = "running"
            await add_transition(tx, ctx, frm, step.name, "dependencies")
            await start_step(tx, ctx, step)
        elif not step.allow_failed_dependencies and any(u in STEP_DONE and u not in SUCCESS for u in ups):
            skip = _where_step(ctx, step.name).where(run_steps.c.status == "waiting")
            if (await tx.conn.execute(skip.values(status="skipped", finished_at=tx.now))).rowcount:
                statuses[step.name] = "skipped"
                await run_history.add(tx, ctx.run, "step.skipped", step=step.name)
                await run_events.step_ended(tx, ctx, step.name, "skipped")
                queue += [(step.name, d) for d in g.dependents(step.name)]


async def run_output(tx: Tx, ctx: Ctx) -> Any:
    """DAG form: the definition's ``output`` resolved; phase form: ``{phase: {handler: output}}``."""
    g = ctx.graph
    if g.form == "tasks":
        if g.output is None:
            return None
        doc = await outputs_doc(tx.conn, ctx, [s.name for s in g.steps])
        return resolve(g.output, doc)
    statuses = await _statuses(tx, ctx)
    return {s.name: await step_output(tx.conn, ctx.run, s) for s in g.steps if statuses[s.name] in SUCCESS}


async def end_run(tx: Tx, ctx: Ctx, status: RunEnd, *, error: Any = None, reason: str | None = None) -> bool:
    """End an open run (guarded): cancel what is left, finish the run's job, send its event."""
    output = await run_output(tx, ctx) if status == "succeeded" else None
    r = runs.c
    values = {"status": status, "output": output, "error": error, "finished_at": tx.now, "updated_at": tx.now}
    stmt = sa.update(runs).where(
        r.namespace == ctx.run["namespace"], r.id == ctx.run["id"], r.status.in_(RUN_OPEN)
    )
    if (await tx.conn.execute(stmt.values(**values))).rowcount != 1:
        return False
    ctx.run.update(cast(Any, values))
    await cancel_items(tx, ctx, reason=reason or f"run_{status}")
    s = run_steps.c
    open_steps = sa.update(run_steps).where(
        s.namespace == ctx.run["namespace"], s.run_id == ctx.run["id"], s.status == "running"
    )
    cancelled = (
        await tx.conn.execute(open_steps.values(status="cancelled", finished_at=tx.now).returning(s.step))
    ).scalars()
    history = [run_history.entry(tx, ctx.run, "step.cancelled", step=name) for name in sorted(cancelled)]
    history.append(run_history.entry(tx, ctx.run, f"run.{status}", data={"error": error} if error else None))
    await run_history.write(tx, history)
    report = jobs.Report(ctx.run["id"], status, output, error)
    await jobs.complete_many(tx, namespace=ctx.run["namespace"], reports=[report])
    tx.emit("resolved", ("run", ctx.run["namespace"], ctx.run["id"]))
    tx.observe("resolution", "run", status)
    await run_events.run_ended(tx, ctx, status)
    return True


async def cancel_items(tx: Tx, ctx: Ctx, *, reason: str, step: str | None = None) -> None:
    """Cancel a run's unfinished items (of one step, or all): attempts in flight end ``cancelled`` (their
    jobs too, so late reports are 409) and their handlers get a signed ``task.cancelled``."""
    i = run_items.c
    where = [i.namespace == ctx.run["namespace"], i.run_id == ctx.run["id"], i.status.in_(OPEN_ITEMS)]
    if step is not None:
        where.append(i.step == step)
    ns = ctx.run["namespace"]
    keyed = sa.select(i.throttle_key, i.cap_key).where(*where)
    keyed = keyed.where(sa.or_(i.throttle_key.is_not(None), i.cap_key.is_not(None))).distinct()
    keys = {k for row in (await tx.conn.execute(keyed)).all() for k in row if k is not None}
    await th.lock_keys(tx, ns, keys)  # before the items and steps, as grants do
    stmt = sa.select(i.step, i.idx, i.status, i.job_id, i.attempt, i.throttle_key, i.cap_key, i.batch_id)
    rows = (await tx.conn.execute(stmt.where(*where).order_by(i.step, i.idx))).all()
    if not rows:
        return
    cancelled = {"status": "cancelled", "finished_at": tx.now, "batch_id": None}
    await tx.conn.execute(sa.update(run_items).where(*where).values(cancelled))
    per_step: dict[str, dict[str, int]] = {}
    freed: dict[str, int] = {}
    for r in rows:
        d = per_step.setdefault(
            r.step, {"in_flight": 0, "retry_scheduled": 0, "throttled": 0, "cancelled": 0}
        )
        d["cancelled"] += 1
        if r.status in IN_FLIGHT:
            d["in_flight"] -= 1
            for key in (r.throttle_key, r.cap_key):
                if key is not None:
                    freed[key] = freed.get(key, 0) + 1
        elif r.status in ("retry_scheduled", "throttled"):
            d[r.status] -= 1
    s = run_steps.c
    for name, d in per_step.items():
        values = {k: getattr(s, k) + v for k, v in d.items()}
        await tx.conn.execute(_where_step(ctx, name).values(values))
    q = throttle_queue.c
    queued = [q.namespace == ns, q.run_id == ctx.run["id"]] + ([] if step is None else [q.step == step])
    await tx.conn.execute(sa.delete(throttle_queue).where(*queued))
    for key in sorted(freed):  # the slots go to other runs at once
        await th.release(tx, ns, key, freed[key])
        await grant(tx, ns, key, contexts={ctx.run["id"]: ctx})
    flying = [r for r in rows if r.status in IN_FLIGHT and r.job_id is not None]
    error = {"reason": reason}
    reports = [jobs.Report(r.job_id, "cancelled", None, error) for r in flying]
    if reports:
        await jobs.complete_many(tx, namespace=ctx.run["namespace"], reports=reports)
    await run_history.write(
        tx,
        [
            run_history.entry(tx, ctx.run, "attempt.cancelled", step=r.step, idx=r.idx, attempt=r.attempt)
            | {"job_id": r.job_id, "data": {"item_status": "cancelled", "error": error}}
            for r in flying
        ],
    )
    await _notify_cancelled(tx, ctx, flying, reason)


async def _notify_cancelled(tx: Tx, ctx: Ctx, flying: list[Any], reason: str) -> None:
    """A signed ``task.cancelled`` to the handler of each cancelled attempt, one per ``map_batch`` message
    for the attempts it carried. A task whose request was never sent has it withdrawn instead: its handler
    never hears of it. (A run's cancelled attempts include every one in flight of their batch messages.)"""
    await handler_rows(tx, ctx, {handler_name(ctx.graph.step(r.step), r.idx) for r in flying})
    ns = ctx.run["namespace"]
    kinds = {"task": [r.job_id for r in flying if r.batch_id is None]}
    kinds["task_batch"] = sorted({r.batch_id for r in flying if r.batch_id is not None})
    withdrawn: set[str] = set()
    for kind, subjects in kinds.items():
        withdrawn |= await deliveries.withdraw(
            tx, namespace=ns, event_type="task.requested", subject_kind=kind, subject_ids=subjects
        )
    notes: dict[tuple[str, str], list[Any]] = {}
    for r in flying:
        subject = ("task", r.job_id) if r.batch_id is None else ("task_batch", r.batch_id)
        if subject[1] not in withdrawn:
            notes.setdefault(subject, []).append(r)
    events = []
    for subject, rows in notes.items():
        first = rows[0]
        handler = ctx.handlers.get(handler_name(ctx.graph.step(first.step), first.idx))
        if handler is None:
            continue
        task: dict[str, Any] = {"run_id": ctx.run["id"], "step": first.step, "handler": handler["name"]}
        if subject[0] == "task_batch":
            task["kind"] = "map_batch"
            task["items"] = [{"index": r.idx, "job_id": r.job_id, "attempt": r.attempt} for r in rows]
        else:
            task |= {"job_id": first.job_id, "task_key": f"{ctx.run['id']}:{first.step}:{first.idx}"}
            task |= {"index": first.idx, "attempt": first.attempt}
        callback = {"url": handler["url"], "headers": handler["headers"]}
        data = {"task": task, "reason": reason}
        events.append(deliveries.Event(ns, "task.cancelled", subject, callback, data))
    await deliveries.enqueue_many(tx, events)
