"""The run engine: an attempt's end moves its item, its step's counters and, when the step ends, the run —
in the transaction of the report (or timeout) that ended it. O(1) rows per report, plus the next messages."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx
from app.core.keyed import by_key, key_params
from app.deliveries import service as deliveries
from app.deliveries.service import DeadDelivery
from app.jobs.models import ACTIVE, jobs
from app.jobs.service import Report, complete_many
from app.workflows import run_events, run_history
from app.workflows import throttles as th
from app.workflows.dispatch import fill, flush_steps, grant, swap
from app.workflows.graph import RetryPolicy, Step
from app.workflows.graph_model import MAX_DELAY_SECONDS
from app.workflows.messages import normalise
from app.workflows.run_context import ATTEMPT_ID, Ctx, load_ctx, share_runs
from app.workflows.run_models import (
    IN_FLIGHT,
    ItemRow,
    StepRow,
    StepStatus,
    item_by_key,
    run_items,
    run_steps,
    runs,
    throttle_queue,
    throttles,
)
from app.workflows.runs_end import end_run, lock_run, step_finished

_random = random.Random()


def retry_delay(policy: RetryPolicy, attempt: int, error: Any) -> float:
    """Seconds before the next attempt: the error's ``retry_after_seconds`` (capped at 24 h) or the policy's
    delay with its jitter."""
    if isinstance(error, dict):
        after = error.get("retry_after_seconds")
        if isinstance(after, int | float) and not isinstance(after, bool) and after >= 0:
            return float(min(after, MAX_DELAY_SECONDS))
    delay = policy.delay_before(attempt)
    if policy.jitter == "full":
        return _random.uniform(0, delay)
    if policy.jitter:
        return delay * _random.uniform(0.75, 1.25)
    return delay


def _retries(step: Step, item: ItemRow, status: str, error: Any) -> bool:
    if status == "cancelled":
        return False
    if isinstance(error, dict) and error.get("non_retryable") is True:
        return False
    return item["attempt"] - item["attempt_base"] < step.retry.count  # a redrive gives a fresh budget


async def on_jobs_finished(tx: Tx, *, namespace: str, finished: Sequence[tuple[str, str]]) -> None:
    """Advance the runs whose attempts these jobs were; other jobs cost one regex match each."""
    status_of = {job_id: status for job_id, status in finished if ATTEMPT_ID.match(job_id)}
    if not status_of:
        return
    run_ids = {m.group("run") for a in status_of if (m := ATTEMPT_ID.match(a)) is not None}
    await share_runs(tx, namespace, run_ids)
    # By the job index alone, one probe per id (``by_key``): a status condition here would let an
    # unanalysed PostgreSQL take the partial index of attempts in flight and filter every one of them, and
    # a long IN list a walk of the namespace. An item no longer in flight is left out below instead.
    stmt = by_key(tx.dialect, run_items.c.job_id, tuple(run_items.c))
    found = (await tx.conn.execute(stmt, key_params(namespace, list(status_of)))).mappings()
    items = [cast(ItemRow, dict(r)) for r in found if r["status"] in IN_FLIGHT]
    if not items:
        return
    j = jobs.c
    ends = by_key(tx.dialect, j.id, (j.id, j.output, j.error))
    wanted = key_params(namespace, [cast(str, x["job_id"]) for x in items])
    results = {r.id: (r.output, r.error) for r in (await tx.conn.execute(ends, wanted)).all()}
    # Every key these attempts hold, locked in one order before any step row: bulk reports over several
    # keys never wait on each other in a cycle.
    await th.lock_keys(tx, namespace, _keys(items))
    contexts: dict[str, Ctx] = {}
    group: list[tuple[ItemRow, Any, Any]] = []  # successes of one map step in a row, finished together
    for item in items:
        job_id = cast(str, item["job_id"])
        if item["run_id"] not in contexts:
            contexts[item["run_id"]] = await load_ctx(tx, namespace, item["run_id"])
        ctx = contexts[item["run_id"]]
        output, error = results[job_id]
        if group and (group[0][0]["run_id"], group[0][0]["step"]) != (item["run_id"], item["step"]):
            await _finish_group(tx, contexts, group)
            group = []
        if status_of[job_id] == "succeeded" and ctx.graph.step(item["step"]).kind == "map":
            group.append((item, output, error))
            continue
        await _finish_group(tx, contexts, group)
        group = []
        await finish_attempt(tx, ctx, item, status_of[job_id], output, error)
    await _finish_group(tx, contexts, group)


async def _finish_group(tx: Tx, contexts: dict[str, Ctx], group: list[tuple[ItemRow, Any, Any]]) -> None:
    """One success goes the usual way; several of one map step go together."""
    if not group:
        return
    ctx = contexts[group[0][0]["run_id"]]
    if len(group) == 1:
        item, output, error = group[0]
        await finish_attempt(tx, ctx, item, "succeeded", output, error)
    else:
        await finish_succeeded(tx, ctx, group)


def _keys(items: Sequence[ItemRow]) -> set[str]:
    """The throttle keys these items hold or wait on."""
    return {k for it in items for k in (it["throttle_key"], it["cap_key"]) if k is not None}


def _where_item(item: ItemRow) -> Any:
    i = run_items.c
    return sa.update(run_items).where(
        i.namespace == item["namespace"],
        i.run_id == item["run_id"],
        i.step == item["step"],
        i.idx == item["idx"],
    )


def _step_update(ns: str, run_id: str, step: str, **deltas: int) -> Any:
    s = run_steps.c
    values = {name: getattr(s, name) + delta for name, delta in deltas.items()}
    return (
        sa.update(run_steps)
        .where(s.namespace == ns, s.run_id == run_id, s.step == step)
        .values(values)
        .returning(*run_steps.c)
    )


async def finish_attempt(tx: Tx, ctx: Ctx, item: ItemRow, status: str, output: Any, error: Any) -> None:
    """One attempt ended: succeeded, failed for now (a retry is scheduled), or failed for good."""
    step = ctx.graph.step(item["step"])
    guard = _where_item(item).where(run_items.c.status.in_(IN_FLIGHT), run_items.c.job_id == item["job_id"])
    ended = {"finished_at": tx.now}
    if status == "succeeded":
        values: dict[str, Any] = {
            "status": "succeeded",
            "output": normalise(output, step.output),
            "error": None,
        }
        deltas = {"in_flight": -1, "succeeded": 1}
    elif _retries(step, item, status, error):
        # The delay counts the attempts since the item was last re-queued, as its retry budget does.
        tried = item["attempt"] - item["attempt_base"]
        due = tx.now + timedelta(seconds=retry_delay(step.retry, tried, error))
        values, ended = {"status": "retry_scheduled", "error": error, "due_at": due}, {}
        deltas = {"in_flight": -1, "retry_scheduled": 1}
    else:
        final = "timed_out" if status == "timed_out" else "failed"
        values = {"status": "cancelled" if status == "cancelled" else final, "error": error}
        deltas = {"in_flight": -1, "cancelled" if status == "cancelled" else "failed": 1}
    # The keys as the item holds them now: a handler's new cap may have tagged it since it was read.
    # An item in a batch message keeps its ``batch_id`` while its attempt is in flight only.
    stmt = guard.values(**values, **ended, batch_id=None)
    stmt = stmt.returning(run_items.c.throttle_key, run_items.c.cap_key)
    held = (await tx.conn.execute(stmt)).first()
    if held is None:
        return
    ended_as: dict[str, Any] = {"item_status": values["status"], "error": error}
    if values.get("due_at") is not None:
        ended_as["retry_at"] = values["due_at"].isoformat()
    await run_history.add(
        tx,
        ctx.run,
        f"attempt.{status}",
        step=item["step"],
        idx=item["idx"],
        attempt=item["attempt"],
        job_id=item["job_id"],
        data=ended_as,
    )
    await run_events.attempt_ended(tx, ctx, item, values)
    ns = item["namespace"]
    keys = sorted(k for k in (held.throttle_key, held.cap_key) if k is not None)
    if status == "succeeded" and not keys and await swap(tx, ctx, step, 1):
        return
    if values["status"] in ("failed", "timed_out", "cancelled") and await _ends_step(tx, ctx, step, item):
        # Ending the step locks the run (``step_finished``): locked first, before the step's row, so the
        # successes sharing the run finish (their step counters change at their commit) instead of
        # deadlocking with this failure.
        await lock_run(tx, ctx)
    await th.lock_keys(tx, ns, set(keys))  # before the step's row, as a grant does
    await flush_steps(tx)  # what this transaction's successes moved: the step is decided on whole counters
    stmt = _step_update(ns, item["run_id"], item["step"], **deltas)
    row = cast(StepRow, dict((await tx.conn.execute(stmt)).mappings().one()))
    if status in ("timed_out", "cancelled"):
        await _withdraw_message(tx, item)
    phase_failed = step.kind == "phase" and values["status"] in ("failed", "timed_out", "cancelled")
    over = row["failed"] > tolerated(step, row["total"])
    failing = phase_failed or (over and ctx.graph.failure_mode == "fail_fast")
    for key in keys:
        await th.release(tx, ns, key)
    served: set[tuple[str, str]] = set()
    for key in keys:  # a step about to fail takes no slot for itself: the slot goes to another run
        skip = ctx.run["id"] if failing else None
        served |= await grant(tx, ns, key, contexts={ctx.run["id"]: ctx}, skip=skip)
    if (item["run_id"], item["step"]) in served:
        row = await _step_row(tx, ns, item["run_id"], item["step"])
    if row["status"] != "running":
        return
    if phase_failed:
        reason = error if error is not None else {"reason": values["status"]}
        context = {"phase": step.name, "step": step.name, "job_id": item["job_id"], "error": reason}
        await step_finished(tx, ctx, step, "failed", error=context)
        return
    await _step_moved(tx, ctx, step, row)


async def _ends_step(tx: Tx, ctx: Ctx, step: Step, item: ItemRow) -> bool:
    """Whether an attempt failing for good likely ends its step now: a phase's, or one past the step's
    tolerance under ``fail_fast`` (by its counters as last committed; a failure they miss ends the step
    the usual way, the run locked after the step's row)."""
    if step.kind == "phase":
        return True
    if ctx.graph.failure_mode != "fail_fast":
        return False
    row = await _step_row(tx, item["namespace"], item["run_id"], item["step"])
    return row["status"] == "running" and row["failed"] + 1 > tolerated(step, row["total"])


async def _step_moved(tx: Tx, ctx: Ctx, step: Step, row: StepRow) -> None:
    """A step's counters moved as attempts ended: it fails (past its tolerance, with ``fail_fast``), or
    dispatches what its room allows, and ends when every item did."""
    if row["status"] != "running":
        return
    over = row["failed"] > tolerated(step, row["total"])
    if over and ctx.graph.failure_mode == "fail_fast":
        await step_finished(tx, ctx, step, "failed")  # ends the run and cancels what is in flight
        return
    await fill(tx, ctx, step, row)
    if row["succeeded"] + row["failed"] + row["cancelled"] >= row["total"]:
        outcome: StepStatus = (
            "failed" if over or row["cancelled"] else "completed" if row["failed"] else "succeeded"
        )
        await step_finished(tx, ctx, step, outcome)


_SET_OUTPUT = item_by_key().values(output=sa.bindparam("b_output", type_=run_items.c.output.type))


async def finish_succeeded(tx: Tx, ctx: Ctx, group: list[tuple[ItemRow, Any, Any]]) -> None:
    """Attempts of one map step that succeeded, reported together (``(item, output, error)``, in job id
    order): their items, history and step counters move in a few statements for the lot rather than a few
    per item, then the step is decided once. Items that ended otherwise meanwhile stay as they are."""
    first = group[0][0]
    ns, run_id, name = first["namespace"], first["run_id"], first["step"]
    step, i = ctx.graph.step(name), run_items.c
    by_job = {cast(str, it["job_id"]): (it, output, error) for it, output, error in group}
    stmt = (
        sa.update(run_items)
        .where(i.namespace == ns, i.run_id == run_id, i.step == name, i.status.in_(IN_FLIGHT))
        .where(i.idx.in_(sorted(it["idx"] for it, _, _ in group)), i.job_id.in_(sorted(by_job)))
        .values(status="succeeded", error=None, finished_at=tx.now, batch_id=None)
        .returning(i.job_id, i.throttle_key, i.cap_key)
    )
    done = sorted((await tx.conn.execute(stmt)).all(), key=lambda r: cast(str, r.job_id))
    if not done:
        return
    base = {"b_ns": ns, "b_run": run_id, "b_step": name}
    outputs = [
        base | {"b_idx": by_job[r.job_id][0]["idx"], "b_output": normalise(by_job[r.job_id][1], step.output)}
        for r in done
    ]
    await tx.conn.execute(_SET_OUTPUT, outputs)
    await run_history.write(
        tx,
        [
            run_history.entry(
                tx, ctx.run, "attempt.succeeded", step=name, idx=it["idx"], attempt=it["attempt"]
            )
            | {"job_id": r.job_id, "data": {"item_status": "succeeded", "error": error}}
            for r in done
            for it, _, error in [by_job[r.job_id]]
        ],
    )
    held: dict[str, int] = {}  # keys the items held (none, unless a handler's cap tagged them)
    for r in done:
        for key in (r.throttle_key, r.cap_key):
            if key is not None:
                held[key] = held.get(key, 0) + 1
    if not held and await swap(tx, ctx, step, len(done)):
        return
    await th.lock_keys(tx, ns, set(held))  # before the step's row, as a grant does
    await flush_steps(tx)
    stmt2 = _step_update(ns, run_id, name, in_flight=-len(done), succeeded=len(done))
    row = cast(StepRow, dict((await tx.conn.execute(stmt2)).mappings().one()))
    served: set[tuple[str, str]] = set()
    for key in sorted(held):
        await th.release(tx, ns, key, held[key])
        served |= await grant(tx, ns, key, contexts={run_id: ctx})
    if (run_id, name) in served:
        row = await _step_row(tx, ns, run_id, name)
    await _step_moved(tx, ctx, step, row)


async def _withdraw_message(tx: Tx, item: ItemRow) -> None:
    """An attempt timed out (or cancelled by its handler) with its message perhaps still being retried: the
    handler is not to get it now. A message carrying other items still in flight stays: they need it."""
    ns, i = item["namespace"], run_items.c
    if item["batch_id"] is None:
        kind, subject = "task", cast(str, item["job_id"])
    else:
        kind, subject = "task_batch", item["batch_id"]
        others = sa.select(i.idx).where(i.namespace == ns, i.batch_id == subject)
        if (await tx.conn.execute(others.limit(1))).first() is not None:
            return
    await deliveries.withdraw(
        tx, namespace=ns, event_type="task.requested", subject_kind=kind, subject_ids=[subject]
    )


def tolerated(step: Step, total: int) -> int:
    """How many items of the step may fail with the step ending ``completed`` (its tolerated_failures)."""
    t = step.tolerated_failures
    if t is None:
        return 0
    if t.count is not None:
        return t.count
    return int(total * (t.percent or 0) / 100)


async def retry_due(tx: Tx, *, limit: int) -> int:
    """Items whose retry delay has passed go back to waiting and are dispatched when their step has room
    (a paused run dispatches them on resume)."""
    i = run_items.c
    stmt = tx.due(sa.select(run_items).where(i.status == "retry_scheduled"), i.due_at, limit=limit)
    due = [cast(ItemRow, dict(r)) for r in (await tx.conn.execute(stmt)).mappings()]
    for ns in sorted({it["namespace"] for it in due}):  # keys in one order, before runs and step rows
        await th.lock_keys(tx, ns, _keys([it for it in due if it["namespace"] == ns]))
    contexts: dict[tuple[str, str], Ctx] = {}
    back: dict[tuple[str, str, str], list[int]] = {}  # run steps and the indexes of their items back
    for item in due:
        key = (item["namespace"], item["run_id"])
        if key not in contexts:
            contexts[key] = await load_ctx(tx, *key, lock=True)  # a pause waits for this, or this for it
        guard = _where_item(item).where(i.status == "retry_scheduled")
        if (await tx.conn.execute(guard.values(status="waiting", due_at=None))).rowcount == 1:
            back.setdefault((*key, item["step"]), []).append(item["idx"])
    # Each step is filled once, with all its items due: a step with ``batch_size`` sends them together.
    s = run_steps.c
    for (ns, run_id, name), indexes in back.items():
        stmt2 = _step_update(ns, run_id, name, retry_scheduled=-len(indexes))
        stmt2 = stmt2.values(
            wait_from=sa.case((s.wait_from > min(indexes), min(indexes)), else_=s.wait_from)
        )  # they go out first
        row = cast(StepRow, dict((await tx.conn.execute(stmt2)).mappings().one()))
        await fill(tx, contexts[(ns, run_id)], contexts[(ns, run_id)].graph.step(name), row)
    return len(due)


async def sweep_throttles(tx: Tx, *, limit: int) -> int:
    """Serve keys with room and queued attempts. Slots are handed out when they free, so this finds work
    only where a grant passed a key another transaction held (it never waits for a second key)."""
    q, t, r = throttle_queue.c, throttles.c, runs.c
    stmt = (
        sa.select(q.namespace, q.key)
        .join(throttles, sa.and_(t.namespace == q.namespace, t.key == q.key))
        .join(runs, sa.and_(r.namespace == q.namespace, r.id == q.run_id))
        .where(q.lim > t.in_flight, r.status == "running")
        .distinct()
        .order_by(q.namespace, q.key)
        .limit(limit)
    )
    found = (await tx.conn.execute(stmt)).all()
    served = 0
    for namespace, key in found:
        if await th.try_lock(tx, namespace, key) is not None:
            served += len(await grant(tx, namespace, key))
    return served


async def handler_registered(tx: Tx, *, namespace: str, name: str) -> None:
    """Running steps that waited for this handler (``handler_unavailable``) dispatch now: O(running steps of
    the namespace), paid by a handler's registration only. Each step row is locked first, as reports do."""
    s, r = run_steps.c, runs.c
    stmt = (
        sa.select(run_steps)
        .join(runs, sa.and_(r.namespace == s.namespace, r.id == s.run_id))
        .where(s.namespace == namespace, s.status == "running", r.status == "running")
        .order_by(s.run_id, s.step)
    )
    contexts: dict[str, Ctx] = {}
    for found in (await tx.conn.execute(stmt)).mappings().all():
        if found["run_id"] not in contexts:  # locked: a cancel or pause decides with it, not around it
            contexts[found["run_id"]] = await load_ctx(tx, namespace, found["run_id"], lock=True)
        ctx = contexts[found["run_id"]]
        step = ctx.graph.step(found["step"])
        if any(h.name == name for h in step.handlers):
            locked = _where_step_select(found["namespace"], found["run_id"], found["step"])
            row = cast(StepRow, dict((await tx.conn.execute(tx.for_update(locked))).mappings().one()))
            await fill(tx, ctx, step, row)


async def _step_row(tx: Tx, ns: str, run_id: str, step: str) -> StepRow:
    stmt = _where_step_select(ns, run_id, step)
    return cast(StepRow, dict((await tx.conn.execute(stmt)).mappings().one()))


def _where_step_select(ns: str, run_id: str, step: str) -> Any:
    s = run_steps.c
    return sa.select(run_steps).where(s.namespace == ns, s.run_id == run_id, s.step == step)


async def on_deliveries_dead(tx: Tx, *, namespace: str, dead: Sequence[DeadDelivery]) -> None:
    """Task messages that failed for good fail their attempts with ``{reason: "dispatch_failed",
    last_status}`` (a ``map_batch`` message every attempt it carried that is still in flight): each
    attempt's job ends ``failed``, and ``on_jobs_finished`` (its consumer) counts it under the step's retry
    policy, once. Attempts that ended already (reported, timed out, cancelled) stay as they are."""
    requests = [d for d in dead if d.event_type == "task.requested"]
    last_status = {
        d.subject_id: d.last_status
        for d in requests
        if d.subject_kind == "task" and ATTEMPT_ID.match(d.subject_id)
    }
    batches = {d.subject_id: d.last_status for d in requests if d.subject_kind == "task_batch"}
    if batches:
        i = run_items.c
        carried = sa.select(i.job_id, i.batch_id).where(
            i.namespace == namespace, i.batch_id.in_(sorted(batches)), i.status.in_(IN_FLIGHT)
        )
        for job_id, batch_id in (await tx.conn.execute(carried)).all():
            last_status[job_id] = batches[batch_id]
    if not last_status:
        return
    j = jobs.c
    stmt = sa.select(j.id).where(
        j.namespace == namespace, j.id.in_(sorted(last_status)), j.status.in_(ACTIVE)
    )
    open_ids = sorted((await tx.conn.execute(stmt)).scalars())
    reports = [
        Report(job_id, "failed", None, {"reason": "dispatch_failed", "last_status": last_status[job_id]})
        for job_id in open_ids
    ]
    if reports:
        await complete_many(tx, namespace=namespace, reports=reports)


__all__ = [
    "end_run",
    "finish_attempt",
    "handler_registered",
    "on_deliveries_dead",
    "on_jobs_finished",
    "retry_delay",
    "retry_due",
]
