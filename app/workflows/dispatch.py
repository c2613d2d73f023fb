"""Dispatching attempts: each is a job registered with its deadline and a signed ``task.requested`` written
to the outbox, in the caller's transaction; ``fill`` dispatches a step's waiting items as its limits allow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx
from app.deliveries import service as deliveries
from app.jobs import store
from app.jobs.models import ACTIVE, JobRow, jobs
from app.workflows.graph import Step
from app.workflows.messages import message_base, task_json
from app.workflows.run_context import DEFAULT_TIMEOUT, Ctx, attempt_id, handler_name, handler_rows
from app.workflows.run_models import ItemRow, StepRow, run_items, run_steps

_MARK_DISPATCHED = (
    sa.update(run_items)
    .where(
        run_items.c.namespace == sa.bindparam("b_ns"),
        run_items.c.run_id == sa.bindparam("b_run"),
        run_items.c.step == sa.bindparam("b_step"),
        run_items.c.idx == sa.bindparam("b_idx"),
    )
    .values(
        status="dispatched",
        attempt=sa.bindparam("b_attempt"),
        job_id=sa.bindparam("b_job"),
        due_at=None,
        dispatched_at=sa.bindparam("b_now", type_=run_items.c.dispatched_at.type),
        handler=sa.bindparam("b_handler"),
    )
)


async def dispatch(tx: Tx, ctx: Ctx, step: Step, items: list[ItemRow]) -> int:
    """Dispatch the next attempt of each item whose handler is registered; returns how many went out."""
    await handler_rows(tx, ctx, {handler_name(step, it["idx"]) for it in items})
    run, ns = ctx.run, ctx.run["namespace"]
    base = await message_base(tx, ctx, step) if items else {}
    new_jobs: list[JobRow] = []
    marks: list[dict[str, Any]] = []
    events: list[deliveries.Event] = []
    for it in items:
        handler = ctx.handlers[handler_name(step, it["idx"])]
        if handler is None:
            continue  # waits until the handler is registered (explain: handler_unavailable)
        attempt = it["attempt"] + 1
        job_id = attempt_id(run["id"], step.name, it["idx"], attempt)
        timeout = step.timeout_seconds or handler["timeout_seconds"] or DEFAULT_TIMEOUT
        deadline = tx.now + timedelta(seconds=timeout)
        name = f"{run['workflow']}:{step.name}"
        new_jobs.append(
            store.new_row(
                ns, job_id, tx.now, name=name, registered=True, timeout_seconds=timeout, deadline_at=deadline
            )
        )
        marks.append(
            {"b_ns": ns, "b_run": run["id"], "b_step": step.name, "b_idx": it["idx"]}
            | {"b_attempt": attempt, "b_job": job_id, "b_now": tx.now, "b_handler": handler["name"]}
        )
        task = task_json(ctx, step, it, handler, job_id, attempt, tx.task_messages.public_url)
        task["deadline_at"] = deadline.isoformat()
        data = {"task": task, **base, "previous_error": it["error"]}
        callback = {"url": handler["url"], "headers": handler["headers"]}
        events.append(deliveries.Event(ns, "task.requested", ("task", job_id), callback, data))
    if new_jobs:
        await _register(tx, new_jobs)
        await tx.conn.execute(_MARK_DISPATCHED, marks)
        await deliveries.enqueue_many(tx, events)
    return len(new_jobs)


async def fill(tx: Tx, ctx: Ctx, step: Step, row: StepRow) -> int:
    """Dispatch waiting items in index order while the step has free slots (nothing while paused)."""
    if ctx.run["status"] != "running" or row["status"] != "running":
        return 0
    limit = step.concurrency if step.kind == "map" else row["total"]
    free = limit - row["in_flight"]
    if free <= 0:
        return 0
    i = run_items.c
    stmt = (
        sa.select(run_items)
        .where(i.namespace == row["namespace"], i.run_id == row["run_id"], i.step == row["step"])
        .where(i.status == "waiting")
        .order_by(i.idx)
        .limit(free)
    )
    waiting = [cast(ItemRow, dict(r)) for r in (await tx.conn.execute(stmt)).mappings()]
    sent = await dispatch(tx, ctx, step, waiting)
    if sent:
        s = run_steps.c
        await tx.conn.execute(
            sa.update(run_steps)
            .where(s.namespace == row["namespace"], s.run_id == row["run_id"], s.step == row["step"])
            .values(in_flight=s.in_flight + sent)
        )
        row["in_flight"] += sent
    return sent


async def _register(tx: Tx, rows: list[JobRow]) -> None:
    """Insert the attempts' jobs; one a gather named first (a pending placeholder) is adopted."""
    inserted = await store.insert_new(tx, rows)
    for row in rows:
        if row["id"] not in inserted:
            j = jobs.c
            where = (j.namespace == row["namespace"], j.id == row["id"], j.status.in_(ACTIVE), ~j.registered)
            values = {k: row[k] for k in ("name", "timeout_seconds", "deadline_at")}
            await tx.conn.execute(sa.update(jobs).where(*where).values(registered=True, **values))
