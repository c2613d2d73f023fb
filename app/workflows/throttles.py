"""Throttles: a key counts the attempts dispatched and not yet finished across every run of the namespace; a
step dispatches under it only while the count is below the step's limit. Waiting attempts are ``throttled``
items, queued per run step; a freed slot goes to the run step that least recently got one (the older run on a
tie), the lowest index first, in the transaction that freed it.

An attempt needs a slot of its step's ``throttle`` key and one of its handler's ``max_in_flight`` (each when
there is one); in flight it holds both (``throttle_key`` and ``cap_key``). Waiting, it is queued on one key
at a time, the one found full: when that key frees a slot and the other is full, it moves to the other's
queue. Keys are stored as "k:<key>" and "h:<handler>" so a handler's cap never shares a key with a step's.

Lock order: a transaction locks the keys it knows of first, sorted (the keys of the attempts a report,
a bulk report, a retry tick or a cancel ends), then items and step rows. A grant never waits on a run: it
takes waiting items with SKIP LOCKED and passes over a run a pause or cancel holds. A key found only later
in a transaction (a downstream step's, or a handler's cap) can still meet another transaction in a cycle;
PostgreSQL breaks it and the transaction is retried."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx
from app.workflows.graph import Step
from app.workflows.graph_fields import TEMPLATE
from app.workflows.graph_model import MAX_THROTTLE_KEY
from app.workflows.messages import outputs_doc, pointer
from app.workflows.run_context import Ctx, handler_name
from app.workflows.run_models import IN_FLIGHT, ItemRow, StepRow, run_items, throttle_queue, throttles

STEP_KEY, HANDLER_KEY = "k:", "h:"
HOLDERS_SHOWN = 100


@dataclass(frozen=True)
class Slot:
    """The throttle an attempt dispatches under: the internal key and this step's limit for it."""

    key: str
    limit: int


def public_key(key: str) -> str:
    """A stored key as users name it (a step's key), or ``handler:<name>`` for a handler's cap."""
    return key[len(STEP_KEY) :] if key.startswith(STEP_KEY) else "handler:" + key[len(HANDLER_KEY) :]


async def slots_of(tx: Tx, ctx: Ctx, step: Step, idx: int) -> tuple[Slot, ...]:
    """The slots an item of the step needs, in key order: its step's throttle and its handler's cap, each
    when there is one (the handler is loaded in ``ctx.handlers``)."""
    found = []
    if step.throttle is not None:
        found.append(Slot(STEP_KEY + await _rendered(tx, ctx, step), step.throttle.limit))
    handler = ctx.handlers.get(handler_name(step, idx))
    if handler is not None and handler["max_in_flight"] is not None:
        found.append(Slot(HANDLER_KEY + handler["name"], handler["max_in_flight"]))
    return tuple(sorted(found, key=lambda slot: slot.key))


async def _rendered(tx: Tx, ctx: Ctx, step: Step) -> str:
    """The step's key with its ``{pointer}`` templates filled from the input or upstream outputs; a key
    longer than the limit keeps its start and a digest of the whole."""
    assert step.throttle is not None
    template = step.throttle.key
    if "{" not in template:
        return template
    cached = ctx.keys.get(step.name)
    if cached is not None:
        return cached
    pointers = [m.group(1) for m in TEMPLATE.finditer(template)]
    names = sorted({p.split("/")[2] for p in pointers if p.startswith("/steps/")})
    doc = await outputs_doc(tx.conn, ctx, names) if names else {"input": ctx.run["input"]}

    def fill(match: Any) -> str:
        value = pointer(doc, match.group(1))
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

    key = TEMPLATE.sub(fill, template)
    if len(key) > MAX_THROTTLE_KEY:
        digest = hashlib.sha256(key.encode()).hexdigest()
        key = f"{key[: MAX_THROTTLE_KEY - len(digest) - 1]}#{digest}"
    ctx.keys[step.name] = key
    return key


async def lock(tx: Tx, namespace: str, key: str) -> dict[str, Any]:
    """The key's counter row, created if new and locked for the rest of the transaction."""
    new = {"namespace": namespace, "key": key, "in_flight": 0, "grants": 0}
    await tx.conn.execute(tx.insert(throttles).values(new).on_conflict_do_nothing())
    t = throttles.c
    stmt = sa.select(throttles).where(t.namespace == namespace, t.key == key)
    return dict((await tx.conn.execute(tx.for_update(stmt))).mappings().one())


async def try_lock(tx: Tx, namespace: str, key: str) -> dict[str, Any] | None:
    """The key's row locked, or None when another transaction holds it (PostgreSQL): a grant holding one
    key does not wait for a second. A key never used is created first (that insert may wait for another
    transaction creating the same key)."""
    if not tx.is_postgres:
        return await lock(tx, namespace, key)
    t = throttles.c
    stmt = sa.select(throttles).where(t.namespace == namespace, t.key == key)
    exists = (await tx.conn.execute(stmt)).first() is not None
    if not exists:
        new = {"namespace": namespace, "key": key, "in_flight": 0, "grants": 0}
        await tx.conn.execute(tx.insert(throttles).values(new).on_conflict_do_nothing())
    found = (await tx.conn.execute(stmt.with_for_update(skip_locked=True))).mappings().first()
    return None if found is None else dict(found)


async def lock_keys(tx: Tx, namespace: str, keys: set[str]) -> None:
    """Lock several keys, in one order for every transaction."""
    for key in sorted(keys):
        await lock(tx, namespace, key)


async def take(tx: Tx, namespace: str, key: str, count: int) -> int:
    """Count ``count`` more attempts in flight under a locked key; returns the key's grants so far (the
    round-robin clock: every slot handed out moves it)."""
    t = throttles.c
    stmt = (
        sa.update(throttles)
        .where(t.namespace == namespace, t.key == key)
        .values(in_flight=t.in_flight + count, grants=t.grants + count)
        .returning(t.grants)
    )
    return int((await tx.conn.execute(stmt)).scalar_one())


async def release(tx: Tx, namespace: str, key: str, count: int = 1) -> None:
    """Free slots of a locked key (attempts that ended or were cancelled)."""
    t = throttles.c
    where = (t.namespace == namespace, t.key == key)
    await tx.conn.execute(sa.update(throttles).where(*where).values(in_flight=t.in_flight - count))


async def room(tx: Tx, namespace: str, slot: Slot) -> int:
    """How many more attempts the slot's step may start under its (locked) key now."""
    row = await lock(tx, namespace, slot.key)
    return max(slot.limit - int(row["in_flight"]), 0)


async def enqueue(tx: Tx, ctx: Ctx, step: str, slot: Slot) -> None:
    """Queue the run step for slots of the key (once; a later limit replaces the former). A run that holds
    slots of the key already queues as if it had just been served, behind the runs that wait with none."""
    ns, t, i = ctx.run["namespace"], throttles.c, run_items.c
    holding = sa.exists().where(
        i.namespace == ns,
        sa.or_(i.throttle_key == slot.key, i.cap_key == slot.key),
        i.status.in_(IN_FLIGHT),
        i.run_id == ctx.run["id"],
    )
    stmt = sa.select(sa.case((holding, t.grants), else_=0)).where(t.namespace == ns, t.key == slot.key)
    grants = int((await tx.conn.execute(stmt)).scalar_one())
    row = {
        "namespace": ctx.run["namespace"],
        "key": slot.key,
        "run_id": ctx.run["id"],
        "step": step,
        "lim": slot.limit,
        "last_grant": grants,
        "run_created_at": ctx.run["created_at"],
    }
    stmt = tx.insert(throttle_queue).values(row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["namespace", "key", "run_id", "step"], set_={"lim": slot.limit}
    )
    await tx.conn.execute(stmt)


def queued(namespace: str, key: str, turn: Any) -> tuple[Any, ...]:
    q = throttle_queue.c
    return (q.namespace == namespace, q.key == key, q.run_id == turn.run_id, q.step == turn.step)


def _throttled(namespace: str, key: str, run_id: str, step: str) -> sa.Select[Any]:
    i = run_items.c
    return sa.select(run_items).where(
        i.namespace == namespace,
        i.run_id == run_id,
        i.step == step,
        i.throttle_key == key,
        i.status == "throttled",
    )


async def next_waiting(tx: Tx, namespace: str, key: str, run_id: str, step: str) -> ItemRow | None:
    """The run step's lowest throttled item, locked; one locked elsewhere (being cancelled) is passed."""
    stmt = _throttled(namespace, key, run_id, step).order_by(run_items.c.idx).limit(1)
    if tx.is_postgres:
        stmt = stmt.with_for_update(skip_locked=True)
    found = (await tx.conn.execute(stmt)).mappings().first()
    return None if found is None else cast(ItemRow, dict(found))


async def has_waiting(tx: Tx, namespace: str, key: str, run_id: str, step: str) -> bool:
    stmt = sa.select(sa.exists(_throttled(namespace, key, run_id, step)))
    return bool((await tx.conn.execute(stmt)).scalar())


async def holders(
    tx_conn: Any, namespace: str, key: str, *, run_id: str | None = None
) -> list[dict[str, Any]]:
    """The first attempts holding the key's slots, oldest first: {run_id, step, job_id, since}."""
    i = run_items.c
    stmt = sa.select(i.run_id, i.step, i.job_id, i.dispatched_at).where(
        i.namespace == namespace, sa.or_(i.throttle_key == key, i.cap_key == key), i.status.in_(IN_FLIGHT)
    )
    if run_id is not None:
        stmt = stmt.where(i.run_id == run_id)
    rows = (await tx_conn.execute(stmt.order_by(i.dispatched_at, i.job_id).limit(HOLDERS_SHOWN))).all()
    return [{"run_id": r.run_id, "step": r.step, "job_id": r.job_id, "since": r.dispatched_at} for r in rows]


def step_room(step: Step, row: StepRow) -> int:
    """How many more items the step may dispatch or hold throttled: its concurrency (a map) or all."""
    limit = step.concurrency if step.kind == "map" else row["total"]
    return limit - row["in_flight"] - row["throttled"]


def waiting(row: StepRow) -> int:
    """How many of the step's items wait, by its counters (an item another transaction has just sent in
    place of its own may still count: never fewer than wait)."""
    done = row["succeeded"] + row["failed"] + row["cancelled"]
    return row["total"] - done - row["in_flight"] - row["retry_scheduled"] - row["throttled"]


def dispatch_room(step: Step, row: StepRow) -> int:
    """How many waiting items the step dispatches now. With ``batch_size``, while more wait than the step has
    room for, only whole messages go (of ``batch_size`` items, or ``concurrency`` when that is smaller): the
    room fills as attempts end. What waits goes out at once when it all fits, a last message short."""
    free = step_room(step, row)
    if step.batch_size is None or free <= 0:
        return free
    if waiting(row) <= free:
        return free
    size = min(step.batch_size, step.concurrency)
    return free // size * size
