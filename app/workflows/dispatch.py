"""Dispatching attempts: each is a job registered with its deadline and a signed ``task.requested`` written
to the outbox, in the caller's transaction; ``fill`` dispatches a step's waiting items as its limits allow
(its concurrency, and the throttle key it runs under), ``grant`` hands a key's freed slots to waiting runs."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx
from app.core.requestctx import no_trace
from app.deliveries import service as deliveries
from app.jobs import store
from app.jobs.models import ACTIVE, JobRow, jobs
from app.jobs.service import beat_deadline
from app.workflows import run_history
from app.workflows import throttles as th
from app.workflows.graph import Step
from app.workflows.graph_model import MAX_THROTTLE_LIMIT
from app.workflows.messages import batch_item, batch_json, json_size, message_base, task_json
from app.workflows.models import HandlerRow
from app.workflows.run_context import (
    DEFAULT_TIMEOUT,
    Ctx,
    attempt_id,
    handler_name,
    handler_rows,
    load_ctx,
    share_runs,
)
from app.workflows.run_models import (
    IN_FLIGHT,
    ItemRow,
    StepRow,
    item_by_key,
    run_items,
    run_steps,
    runs,
    throttle_queue,
    throttles,
)

log = logging.getLogger("rendezvous.workflows")
BATCH_BYTES = 1 << 20  # the items of one map_batch message, as JSON: past this a group is split
_MARK_DISPATCHED = item_by_key().values(
    status="dispatched",
    attempt=sa.bindparam("b_attempt"),
    job_id=sa.bindparam("b_job"),
    due_at=None,
    dispatched_at=sa.bindparam("b_now", type_=run_items.c.dispatched_at.type),
    handler=sa.bindparam("b_handler"),
    throttle_key=sa.bindparam("b_key"),
    cap_key=sa.bindparam("b_cap"),
    batch_id=sa.bindparam("b_batch"),
)


@dataclass
class _Attempt:
    """An attempt about to go out: its job, its item's new state, its ``task`` and the handler it goes to."""

    job: JobRow
    mark: dict[str, Any]
    task: dict[str, Any]
    previous_error: Any
    handler: HandlerRow


async def dispatch(
    tx: Tx, ctx: Ctx, step: Step, items: list[ItemRow], *, slots: tuple[th.Slot, ...] = ()
) -> int:
    """Dispatch the next attempt of each item whose handler is registered, holding a slot of each key in
    ``slots`` (locked, with room for them all); returns how many went out. Step counters are the caller's.
    A map step with ``batch_size`` sends its attempts in messages of up to that many, in index order."""
    await handler_rows(tx, ctx, {handler_name(step, it["idx"]) for it in items})
    ns, run_id = ctx.run["namespace"], ctx.run["id"]
    attempts = []
    for it in items:
        handler = ctx.handlers[handler_name(step, it["idx"])]
        if handler is not None:  # else it waits until the handler is registered (handler_unavailable)
            attempts.append(_attempt(tx, ctx, step, it, handler, slots))
    if not attempts:
        return 0
    taken = await _register(tx, [a.job for a in attempts])
    if taken:  # never another's job: such an attempt number is passed over, the next one used
        log.warning("attempt ids taken by other jobs, passed over: %s", sorted(taken))
    kept = [a for a in attempts if a.job["id"] not in taken]
    if kept:
        events = _messages(tx, step, kept, await message_base(tx, ctx, step))
        marks = [a.mark for a in kept]
        await tx.conn.execute(_MARK_DISPATCHED, marks)
        await run_history.write(
            tx,
            [
                run_history.entry(
                    tx, ctx.run, "attempt.dispatched", step=step.name, idx=m["b_idx"], attempt=m["b_attempt"]
                )
                | {"job_id": m["b_job"], "data": {"handler": m["b_handler"]}}
                for m in marks
            ],
        )
        await deliveries.enqueue_many(tx, events)
        for slot in slots:
            await th.take(tx, ns, slot.key, len(marks))
    again = [it | {"attempt": it["attempt"] + 1} for it in items if _next_id(run_id, step, it) in taken]
    return len(kept) + (await dispatch(tx, ctx, step, again, slots=slots) if again else 0)


def _attempt(
    tx: Tx, ctx: Ctx, step: Step, it: ItemRow, handler: HandlerRow, slots: tuple[th.Slot, ...]
) -> _Attempt:
    run, ns = ctx.run, ctx.run["namespace"]
    attempt = it["attempt"] + 1
    job_id = _next_id(run["id"], step, it)
    timeout = step.timeout_seconds or handler["timeout_seconds"] or DEFAULT_TIMEOUT
    timeout_at = tx.now + timedelta(seconds=timeout)
    beat = step.heartbeat_seconds or handler["heartbeat_seconds"]
    deadline = beat_deadline(tx.now, beat, timeout_at) if beat else timeout_at
    limits = {"timeout_seconds": timeout, "heartbeat_seconds": beat, "timeout_at": timeout_at}
    name = f"{run['workflow']}:{step.name}"
    job = store.new_row(ns, job_id, tx.now, name=name, registered=True, deadline_at=deadline, **limits)
    mark = (
        {"b_ns": ns, "b_run": run["id"], "b_step": step.name, "b_idx": it["idx"]}
        | {"b_attempt": attempt, "b_job": job_id, "b_now": tx.now, "b_handler": handler["name"]}
        | {"b_key": slots[0].key if slots else None, "b_cap": slots[1].key if len(slots) > 1 else None}
        | {"b_batch": None}
    )
    task = task_json(ctx, step, it, handler, job_id, attempt, tx.task_messages.public_url)
    task["deadline_at"] = timeout_at.isoformat()
    return _Attempt(job, mark, task, it["error"], handler)


def _messages(tx: Tx, step: Step, kept: list[_Attempt], base: dict[str, Any]) -> list[deliveries.Event]:
    """One ``task.requested`` per attempt, or with ``batch_size`` one per group of attempts (subject
    ``task_batch`` and the group's first job id, which each of its items keeps as its ``batch_id``)."""
    events: list[deliveries.Event] = []
    if step.batch_size is None:
        for a in kept:
            data = {"task": a.task, **base, "previous_error": a.previous_error}
            events.append(_event(a, ("task", a.task["job_id"]), data))
        return events
    for group in _groups([(a, batch_item(a.task, a.previous_error)) for a in kept], step.batch_size):
        first = group[0][0]
        for a, _ in group:
            a.mark["b_batch"] = first.task["job_id"]
        task = batch_json(first.task, [item for _, item in group], tx.task_messages.public_url)
        events.append(_event(first, ("task_batch", first.task["job_id"]), {"task": task, **base}))
    return events


def _groups(
    pairs: list[tuple[_Attempt, dict[str, Any]]], size: int
) -> list[list[tuple[_Attempt, dict[str, Any]]]]:
    """Consecutive groups of up to ``size`` attempts whose items' JSON stays within BATCH_BYTES (an item
    larger than that goes in a message of its own)."""
    groups: list[list[tuple[_Attempt, dict[str, Any]]]] = []
    used = BATCH_BYTES + 1
    for pair in pairs:
        cost = json_size(pair[1])
        if not groups or len(groups[-1]) >= size or used + cost > BATCH_BYTES:
            groups.append([])
            used = 0
        groups[-1].append(pair)
        used += cost
    return groups


def _event(a: _Attempt, subject: tuple[str, str], data: dict[str, Any]) -> deliveries.Event:
    callback = {"url": a.handler["url"], "headers": a.handler["headers"]}
    return deliveries.Event(a.job["namespace"], "task.requested", subject, callback, data)


def _next_id(run_id: str, step: Step, item: ItemRow) -> str:
    return attempt_id(run_id, step.name, item["idx"], item["attempt"] + 1)


async def fill(tx: Tx, ctx: Ctx, step: Step, row: StepRow) -> int:
    """Dispatch waiting items in index order while the step has room (nothing while paused); an item whose
    key is full becomes ``throttled`` and its run step is queued for the key's next free slot. A key's
    freed slots go to its waiting items one at a time (``grant``): such an item goes out alone."""
    if ctx.run["status"] != "running" or row["status"] != "running":
        return 0
    free = th.dispatch_room(step, row)
    if free <= 0 or th.waiting(row) <= 0:
        return 0
    waiting = await _waiting(tx, row, free, row["wait_from"])
    from_start = len(waiting) < min(free, th.waiting(row)) and row["wait_from"] > 0
    if from_start:  # some are left below the hint (see run_steps.wait_from): the hint comes down to them
        waiting = await _waiting(tx, row, free, 0)
    await handler_rows(tx, ctx, {handler_name(step, it["idx"]) for it in waiting})
    groups: dict[tuple[th.Slot, ...], list[ItemRow]] = {}
    for it in waiting:
        if ctx.handlers[handler_name(step, it["idx"])] is not None:  # else: handler_unavailable
            groups.setdefault(await th.slots_of(tx, ctx, step, it["idx"]), []).append(it)
    sent = held = 0
    ns, i = row["namespace"], run_items.c
    await th.lock_keys(tx, ns, {slot.key for slots in groups for slot in slots})  # in one order
    for slots in sorted(groups, key=lambda g: [slot.key for slot in g]):
        group = groups[slots]
        rooms = [await th.room(tx, ns, slot) for slot in slots]
        room = min([*rooms, len(group)])
        sent += await dispatch(tx, ctx, step, group[:room], slots=slots)
        rest = [it["idx"] for it in group[room:]]
        if rest:  # they wait on a key found full; the other one, if any, is checked when they get a slot
            full = next(slot for slot, free in zip(slots, rooms, strict=True) if free <= room)
            other = next((slot.key for slot in slots if slot.key != full.key), None)
            await tx.conn.execute(
                sa.update(run_items)
                .where(i.namespace == ns, i.run_id == row["run_id"], i.step == row["step"], i.idx.in_(rest))
                .values(status="throttled", throttle_key=full.key, cap_key=other)
            )
            await th.enqueue(tx, ctx, step.name, full)
            held += len(rest)
    if sent or held:
        s = run_steps.c
        top = None  # the items found up to this index all left ``waiting`` (unless a handler is missing)
        for it in waiting:
            if ctx.handlers[handler_name(step, it["idx"])] is None:
                break
            top = it["idx"]
        values: dict[str, Any] = {"in_flight": s.in_flight + sent, "throttled": s.throttled + held}
        if top is not None:
            values["wait_from"] = top + 1 if from_start else _raised(top + 1)
        await tx.conn.execute(
            sa.update(run_steps)
            .where(s.namespace == ns, s.run_id == row["run_id"], s.step == row["step"])
            .values(values)
        )
        row["in_flight"] += sent
        row["throttled"] += held
    return sent


def _raised(wait_from: int) -> Any:
    """``run_steps.wait_from`` moved up to ``wait_from``, never down."""
    s = run_steps.c
    return sa.case((s.wait_from < wait_from, wait_from), else_=s.wait_from)


async def _waiting(tx: Tx, row: StepRow, limit: int, start: int) -> list[ItemRow]:
    """The step's first ``limit`` waiting items from index ``start``, locked. Items another transaction is
    sending in place of its own (``swap``) are passed over, not waited for."""
    i = run_items.c
    stmt = (
        sa.select(run_items)
        .where(i.namespace == row["namespace"], i.run_id == row["run_id"], i.step == row["step"])
        .where(i.status == "waiting", i.idx >= start)
        .order_by(i.idx)
        .limit(limit)
    )
    return [cast(ItemRow, dict(r)) for r in (await tx.conn.execute(tx.claim(stmt))).mappings()]


async def swap(tx: Tx, ctx: Ctx, step: Step, freed: int) -> bool:
    """A big map's common case, without holding the step's row while dispatching: ``freed`` attempts of a
    running map step (no throttle key, a handler without a cap; with ``batch_size``, whole messages' worth)
    succeeded, and as many items wait. They go out in their place (locked, others' passed over); the
    step's row changes as the transaction's last statement (succeeded up by ``freed``, in flight
    unchanged, ``flush_steps``), so the reports of one step queue on its row for their commit only, not
    for their dispatch.

    Returns False, having changed nothing but lock some waiting items, where the case does not hold (the
    step ends soon, is paused, throttled, failing): the caller then takes the locking way, which decides
    the step. A step failed meanwhile by another transaction (``fail_fast``: it locks the run after the
    step, and this one holds the run shared) meets this one in a deadlock that PostgreSQL breaks and
    ``Database.run`` runs again; or it waits for this commit and cancels what went out."""
    if step.kind != "map" or step.throttle is not None:
        return False
    if step.batch_size is not None and freed % min(step.batch_size, step.concurrency):
        return False  # whole messages only, as ``dispatch_room`` sends them while more wait
    if ctx.run["status"] != "running":
        return False
    ns, run_id, s = ctx.run["namespace"], ctx.run["id"], run_steps.c
    where = (s.namespace == ns, s.run_id == run_id, s.step == step.name)
    found = (await tx.conn.execute(sa.select(run_steps).where(*where))).mappings().one()
    if found["status"] != "running":
        return False
    name = handler_name(step, 0)
    await handler_rows(tx, ctx, {name})
    handler = ctx.handlers[name]
    if handler is None or handler["max_in_flight"] is not None:
        return False
    waiting = await _waiting(tx, cast(StepRow, dict(found)), freed, found["wait_from"])
    if len(waiting) < freed:
        return False
    sent = await dispatch(tx, ctx, step, waiting)
    deltas = _pending(tx)
    if not deltas:
        tx.at_commit(_PENDING, lambda: flush_steps(tx))
    add = deltas.setdefault((ns, run_id, step.name), [0, 0, 0])
    add[0] += freed
    add[1] += sent - freed
    add[2] = max(add[2], waiting[-1]["idx"] + 1)
    return True


_PENDING = "run_steps"


def _pending(tx: Tx) -> dict[tuple[str, str, str], list[int]]:
    """What ``swap`` moved in this transaction and has not written: (succeeded, in flight, wait_from)."""
    found = tx.state.get(_PENDING)
    if found is None:
        found = tx.state[_PENDING] = {}
    return cast(dict[tuple[str, str, str], list[int]], found)


async def flush_steps(tx: Tx) -> None:
    """Write the step counters ``swap`` moved in this transaction. It runs right before
    COMMIT, or sooner when the transaction goes on to read or decide on a step (the locking way)."""
    deltas = tx.state.pop(_PENDING, None)
    tx.last.pop(_PENDING, None)
    s = run_steps.c
    # In the order the transaction met them (its items' job id order), as the locking way takes step rows.
    for (ns, run_id, name), (succeeded, in_flight, wait_from) in (deltas or {}).items():
        await tx.conn.execute(
            sa.update(run_steps)
            .where(s.namespace == ns, s.run_id == run_id, s.step == name)
            .values(
                succeeded=s.succeeded + succeeded,
                in_flight=s.in_flight + in_flight,
                wait_from=_raised(wait_from),
            )
        )


async def grant(
    tx: Tx,
    namespace: str,
    key: str,
    *,
    contexts: dict[str, Ctx] | None = None,
    skip: str | None = None,
) -> set[tuple[str, str]]:
    """Hand the key's free slots to queued run steps, round-robin across runs: the run that least recently
    got a slot for the key (the older run on a tie), its lowest index first. Returns the (run, step) pairs
    served. The key must be locked. Only running runs are served (a paused run's items wait for resume); a
    run being paused or cancelled right now (its row locked for update) and ``skip`` are passed over."""
    contexts = {} if contexts is None else contexts
    # Runs the caller came with are its own work; a slot handed to another run is not the request's doing,
    # so that run's task message carries no trace context of the request (see ``current_trace``).
    own = set(contexts)
    served: set[tuple[str, str]] = set()
    passed: set[tuple[str, str]] = set()  # run steps whose waiting items are locked, or runs being changed
    q, t, r = throttle_queue.c, throttles.c, runs.c
    while True:
        row = (
            await tx.conn.execute(sa.select(throttles).where(t.namespace == namespace, t.key == key))
        ).one()
        turns = (
            sa.select(q.run_id, q.step, q.lim)
            .join(runs, sa.and_(r.namespace == q.namespace, r.id == q.run_id))
            .where(q.namespace == namespace, q.key == key, q.lim > row.in_flight, r.status == "running")
            .order_by(q.last_grant, q.run_created_at, q.run_id, q.step)
            .limit(len(passed) + 1)
        )
        if skip is not None:
            turns = turns.where(q.run_id != skip)
        turn = next(
            (x for x in (await tx.conn.execute(turns)).all() if (x.run_id, x.step) not in passed), None
        )
        if turn is None:
            return served
        if not await share_runs(tx, namespace, {turn.run_id}, skip_locked=True):  # a pause or cancel has it
            passed |= await _queued_steps(tx, namespace, key, turn.run_id)
            continue
        ctx = contexts.get(turn.run_id) or await load_ctx(tx, namespace, turn.run_id)
        contexts[turn.run_id] = ctx
        item = await th.next_waiting(tx, namespace, key, turn.run_id, turn.step)
        if item is None:
            if await th.has_waiting(tx, namespace, key, turn.run_id, turn.step):
                passed.add((turn.run_id, turn.step))
            else:
                await tx.conn.execute(sa.delete(throttle_queue).where(*th.queued(namespace, key, turn)))
            continue
        step = ctx.graph.step(turn.step)
        await handler_rows(tx, ctx, {handler_name(step, item["idx"])})
        slots = await th.slots_of(tx, ctx, step, item["idx"])
        locked, blocked = await _full_key(tx, namespace, key, slots)
        if locked or (blocked is not None and blocked.key == key):
            passed.add((turn.run_id, turn.step))  # a key held elsewhere, or this one under a new limit
            continue
        if blocked is not None:  # it needs a slot of another key that is full: it waits there instead
            await _move(tx, ctx, step, item, key, blocked, keep=any(slot.key == key for slot in slots))
            continue
        with nullcontext() if turn.run_id in own else no_trace():
            sent = await dispatch(tx, ctx, step, [item], slots=slots)
        if sent != 1:
            passed.add((turn.run_id, turn.step))
            continue
        grants = (
            await tx.conn.execute(sa.select(t.grants).where(t.namespace == namespace, t.key == key))
        ).scalar_one()
        await tx.conn.execute(  # the run's turn moves, whichever of its steps was served
            sa.update(throttle_queue)
            .where(q.namespace == namespace, q.key == key, q.run_id == turn.run_id)
            .values(last_grant=grants)
        )
        s = run_steps.c
        await tx.conn.execute(
            sa.update(run_steps)
            .where(s.namespace == namespace, s.run_id == turn.run_id, s.step == turn.step)
            .values(in_flight=s.in_flight + 1, throttled=s.throttled - 1)
        )
        served.add((turn.run_id, turn.step))


async def _full_key(
    tx: Tx, namespace: str, key: str, slots: tuple[th.Slot, ...]
) -> tuple[bool, th.Slot | None]:
    """Whether a key the attempt needs besides ``key`` (which is held) is locked by another transaction
    (it is not waited for), else the first of its slots whose key is full (None: all have room)."""
    for slot in slots:
        if slot.key == key:
            found: dict[str, Any] | None = await th.lock(tx, namespace, key)
        else:
            found = await th.try_lock(tx, namespace, slot.key)
        if found is None:
            return True, None
        if int(found["in_flight"]) >= slot.limit:
            return False, slot
    return False, None


async def _move(tx: Tx, ctx: Ctx, step: Step, item: ItemRow, key: str, to: th.Slot, *, keep: bool) -> None:
    """Queue the attempts of a run step waiting on ``key`` that need what ``item`` needs on the full key
    ``to`` instead (``keep``: they still need ``key`` too, checked when ``to`` gives them a slot). In a phase
    only the items of ``item``'s handler move: the others need other caps."""
    ns, i, q = ctx.run["namespace"], run_items.c, throttle_queue.c
    mine = (i.namespace == ns, i.run_id == ctx.run["id"], i.step == step.name)
    same = [i.status == "throttled", i.throttle_key == key]
    if step.kind == "phase":
        name = handler_name(step, item["idx"])
        same.append(i.idx.in_([n for n, ref in enumerate(step.handlers) if ref.name == name]))
    await tx.conn.execute(
        sa.update(run_items).where(*mine, *same).values(throttle_key=to.key, cap_key=key if keep else None)
    )
    if not await th.has_waiting(tx, ns, key, ctx.run["id"], step.name):
        await tx.conn.execute(
            sa.delete(throttle_queue).where(
                q.namespace == ns, q.key == key, q.run_id == ctx.run["id"], q.step == step.name
            )
        )
    await th.enqueue(tx, ctx, step.name, to)


async def _queued_steps(tx: Tx, namespace: str, key: str, run_id: str) -> set[tuple[str, str]]:
    q = throttle_queue.c
    stmt = sa.select(q.step).where(q.namespace == namespace, q.key == key, q.run_id == run_id)
    return {(run_id, name) for name in (await tx.conn.execute(stmt)).scalars()}


async def limit_changed(tx: Tx, *, namespace: str, handler: str, max_in_flight: int | None) -> None:
    """A handler's cap changed: its queued steps take the new limit (no cap: the largest) and are served.
    A new cap also counts the handler's attempts already in flight that hold no key (their steps have no
    throttle of their own), so the cap holds from the moment it is set."""
    key = th.HANDLER_KEY + handler
    await th.lock(tx, namespace, key)
    if max_in_flight is not None:
        i, t = run_items.c, throttles.c
        flying = (i.namespace == namespace, i.handler == handler, i.status.in_(IN_FLIGHT))
        await tx.conn.execute(
            sa.update(run_items).where(*flying, i.throttle_key.is_(None)).values(throttle_key=key)
        )
        await tx.conn.execute(
            sa.update(run_items)
            .where(*flying, i.throttle_key != key, i.cap_key.is_(None))
            .values(cap_key=key)
        )
        held = (
            sa.select(sa.func.count())
            .where(*flying, sa.or_(i.throttle_key == key, i.cap_key == key))
            .scalar_subquery()
        )
        await tx.conn.execute(
            sa.update(throttles).where(t.namespace == namespace, t.key == key).values(in_flight=held)
        )
    q = throttle_queue.c
    await tx.conn.execute(
        sa.update(throttle_queue)
        .where(q.namespace == namespace, q.key == key)
        .values(lim=max_in_flight or MAX_THROTTLE_LIMIT)
    )
    await grant(tx, namespace, key)


async def grant_queued(tx: Tx, ctx: Ctx) -> None:
    """Serve the keys a (resumed) run has items queued on: they may have room now."""
    q = throttle_queue.c
    stmt = sa.select(q.key).distinct().where(q.namespace == ctx.run["namespace"], q.run_id == ctx.run["id"])
    contexts = {ctx.run["id"]: ctx}
    for key in sorted((await tx.conn.execute(stmt)).scalars()):
        await th.lock(tx, ctx.run["namespace"], key)
        await grant(tx, ctx.run["namespace"], key, contexts=contexts)


async def _register(tx: Tx, rows: list[JobRow]) -> set[str]:
    """Insert the attempts' jobs; one a gather named first (a pending placeholder) is adopted. Returns the
    ids that are taken: registered by someone else, or already finished by a report that came first."""
    inserted = await store.insert_new(tx, rows)
    taken: set[str] = set()
    for row in rows:
        if row["id"] not in inserted:
            j = jobs.c
            where = (j.namespace == row["namespace"], j.id == row["id"], j.status.in_(ACTIVE), ~j.registered)
            values = {
                k: row[k]
                for k in ("name", "timeout_seconds", "deadline_at", "heartbeat_seconds", "timeout_at")
            }
            adopted = await tx.conn.execute(sa.update(jobs).where(*where).values(registered=True, **values))
            if adopted.rowcount != 1:
                taken.add(row["id"])
    return taken
