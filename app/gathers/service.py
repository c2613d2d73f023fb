"""Gather writes: counters on the gather, membership indexed by job, resolution guarded on status. Services
flush, never commit; a write returns the gather as the API shows it, read in its own transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.core.db import Tx, chunks
from app.core.ids import new_id
from app.core.prepared import Prepared
from app.core.problem import field_error
from app.deliveries import service as deliveries
from app.errors import Conflict, Invalid, NotFound
from app.gathers.models import GatherEvent, GatherMemberRow, GatherOutcome, GatherRow, gather_members, gathers
from app.gathers.reads import FAILURES, event_data_many, get, to_read, where
from app.gathers.schemas import GatherCreate, GatherRead
from app.jobs import store
from app.jobs.models import ACTIVE, JobRow

# The event each resolution sends; the failure callback (when there is one) takes the last two.
EVENT_TYPES: dict[GatherOutcome, GatherEvent] = {
    "succeeded": "gather.succeeded",
    "completed": "gather.completed",
    "failed": "gather.failed",
    "timed_out": "gather.timed_out",
}
SUCCESS_OUTCOMES = ("succeeded", "completed")


def _deadline_for(body: GatherCreate, now: datetime) -> datetime | None:
    """timeout_seconds, else poll_interval_seconds × max_attempts, else none."""
    if body.timeout_seconds is not None:
        return now + timedelta(seconds=body.timeout_seconds)
    if body.poll_interval_seconds is not None and body.max_attempts is not None:
        return now + timedelta(seconds=body.poll_interval_seconds * body.max_attempts)
    return None


def _request_hash(body: GatherCreate) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _counts(rows: Sequence[JobRow]) -> dict[str, int]:
    done = [r for r in rows if r["status"] not in ACTIVE]
    return {
        "done": len(done),
        "succeeded": sum(1 for r in done if r["status"] == "succeeded"),
        "failed": sum(1 for r in done if r["status"] in FAILURES),
    }


def _outcome_of(g: GatherRow) -> GatherOutcome | None:
    """The resolution a gather's counters call for now, or None while it must wait."""
    if not g["sealed"]:
        return None
    if g["on_failure"] == "fail_fast" and g["failed"] > 0:
        return "failed"
    if g["done"] >= g["total"]:
        return "succeeded" if g["failed"] == 0 else "completed"
    return None


async def create(tx: Tx, *, namespace: str, body: GatherCreate, max_jobs: int) -> tuple[GatherRead, bool]:
    """Create a gather (or return the same one again); resolve it at once when it already can. Returns the
    gather and whether this call created it."""
    if len(body.job_ids) > max_jobs:
        raise _too_many(max_jobs)
    gather_id = body.id or new_id("gth")
    digest = _request_hash(body)
    row: GatherRow = {
        "namespace": namespace,
        "id": gather_id,
        "status": "waiting",
        "sealed": body.sealed,
        "on_failure": body.on_failure,
        "include_outputs": body.include_outputs,
        "total": 0,
        "done": 0,
        "succeeded": 0,
        "failed": 0,
        "callback": body.callback.model_dump(mode="json") if body.callback else None,
        "failure_callback": body.failure_callback.model_dump(mode="json") if body.failure_callback else None,
        "timeout_seconds": body.timeout_seconds,
        "poll_interval_seconds": body.poll_interval_seconds,
        "max_attempts": body.max_attempts,
        "deadline_at": _deadline_for(body, tx.now),
        "request_hash": digest,
        "created_at": tx.now,
        "resolved_at": None,
    }
    claimed = await tx.conn.execute(
        tx.insert(gathers).values(row).on_conflict_do_nothing().returning(gathers.c.id)
    )
    if claimed.first() is None:
        existing = await get(tx.conn, namespace=namespace, gather_id=gather_id)
        if existing["request_hash"] != digest:
            raise Conflict(f"gather {gather_id!r} already exists with another body")
        return await to_read(tx.conn, existing), False
    await _add_members(tx, row, body.job_ids)
    await _maybe_resolve(tx, row)
    return await to_read(tx.conn, row), True


async def _add_members(tx: Tx, gather: GatherRow, job_ids: Sequence[str]) -> None:
    """Insert members after the current ones and count those already finished into ``gather``."""
    namespace = gather["namespace"]
    rows = await store.ensure_and_lock(tx, namespace, job_ids)
    start = gather["total"]
    members: list[GatherMemberRow] = [
        {"namespace": namespace, "gather_id": gather["id"], "job_id": job_id, "position": start + i}
        for i, job_id in enumerate(job_ids)
    ]
    for part in chunks(members):
        await tx.conn.execute(gather_members.insert(), list(part))
    counts = _counts([rows[j] for j in job_ids])
    gather["total"] = start + len(job_ids)
    gather["done"] += counts["done"]
    gather["succeeded"] += counts["succeeded"]
    gather["failed"] += counts["failed"]
    counters = {k: gather[k] for k in ("total", "done", "succeeded", "failed")}
    await tx.conn.execute(where(sa.update(gathers), namespace, gather["id"]).values(counters))


def _too_many(max_jobs: int) -> Invalid:
    reason = f"a gather holds at most {max_jobs} jobs"
    return Invalid(reason, errors=[field_error("job_ids", reason)])


async def _locked(tx: Tx, namespace: str, gather_id: str) -> GatherRow:
    stmt = tx.for_update(where(sa.select(gathers), namespace, gather_id))
    row = (await tx.conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"gather {gather_id!r} does not exist")
    return cast(GatherRow, dict(row))


async def add_jobs(
    tx: Tx, *, namespace: str, gather_id: str, job_ids: Sequence[str], max_jobs: int
) -> GatherRead:
    """Add members to an open, unsealed gather. Jobs are locked before the gather, as reports do."""
    if len(job_ids) > max_jobs:  # more than fit, whichever are members already: refuse before registering
        raise _too_many(max_jobs)
    await store.ensure_and_lock(tx, namespace, job_ids)
    gather = await _locked(tx, namespace, gather_id)
    if gather["status"] != "waiting" or gather["sealed"]:
        raise Conflict(
            f"gather {gather_id!r} is {_state(gather)}; members can be added only before it is sealed"
        )
    present: set[str] = set()
    for part in chunks(job_ids):
        stmt = sa.select(gather_members.c.job_id).where(
            gather_members.c.namespace == namespace,
            gather_members.c.gather_id == gather_id,
            gather_members.c.job_id.in_(part),
        )
        present.update((await tx.conn.execute(stmt)).scalars())
    new = [j for j in job_ids if j not in present]
    if gather["total"] + len(new) > max_jobs:
        raise _too_many(max_jobs)
    if new:
        await _add_members(tx, gather, new)
    return await to_read(tx.conn, gather)


def _state(gather: GatherRow) -> str:
    return "sealed" if gather["status"] == "waiting" else f"already {gather['status']}"


async def seal(tx: Tx, *, namespace: str, gather_id: str) -> GatherRead:
    """Close the member list; the gather may resolve at once."""
    gather = await _locked(tx, namespace, gather_id)
    if not gather["sealed"]:
        if gather["status"] != "waiting":
            raise Conflict(f"gather {gather_id!r} is already {gather['status']}")
        await tx.conn.execute(where(sa.update(gathers), namespace, gather_id).values(sealed=True))
        gather["sealed"] = True
        await _maybe_resolve(tx, gather)
    return await to_read(tx.conn, gather)


async def cancel(tx: Tx, *, namespace: str, gather_id: str) -> GatherRead:
    """Cancel a waiting gather: it never calls back. Cancelling again is a no-op."""
    gather = await _locked(tx, namespace, gather_id)
    if gather["status"] != "cancelled":
        if gather["status"] != "waiting":
            raise Conflict(f"gather {gather_id!r} already resolved as {gather['status']!r}")
        await _resolve(tx, gather, "cancelled")
    return await to_read(tx.conn, gather)


# Hot-path statements are built once: constructing Core statements costs more than running them.
#
# Their plans must not depend on statistics (a fresh or bulk-loaded table has none until ANALYZE). So a
# gather is always reached by its primary key, and the guard on a waiting gather is written as unequal to
# each end: an equality on status would let the (namespace, status) index compete with the key, and without
# statistics the planner may pick it and walk every waiting gather of the namespace. (Not NOT IN: its
# expanding parameter would have the statement rendered again on every execution.) A job's memberships are
# read by the (namespace, job_id) index, the only one that takes both.
_ENDS: tuple[GatherOutcome, ...] = ("succeeded", "completed", "failed", "timed_out", "cancelled")
_WAITING = sa.and_(*(gathers.c.status != outcome for outcome in _ENDS))
_MEMBERSHIPS = sa.select(gather_members.c.gather_id, gather_members.c.job_id).where(
    gather_members.c.namespace == sa.bindparam("namespace"),
    gather_members.c.job_id.in_(sa.bindparam("job_ids", expanding=True)),
)
# PostgreSQL: the open gathers are locked in id order, so reports that meet on several gathers queue
# instead of deadlocking.
_LOCK_OPEN = (
    sa.select(gathers.c.id)
    .where(
        gathers.c.namespace == sa.bindparam("namespace"),
        gathers.c.id.in_(sa.bindparam("gather_ids", expanding=True)),
        _WAITING,
    )
    .order_by(gathers.c.id)
    .with_for_update()
)
_COUNT = (
    sa.update(gathers)
    .where(
        gathers.c.namespace == sa.bindparam("b_namespace"),
        gathers.c.id == sa.bindparam("b_gather_id"),
        _WAITING,
    )
    .values(
        done=gathers.c.done + sa.bindparam("d_done"),
        succeeded=gathers.c.succeeded + sa.bindparam("d_succeeded"),
        failed=gathers.c.failed + sa.bindparam("d_failed"),
    )
    .returning(*gathers.c)
)


def _count_all() -> sa.Update:
    """PostgreSQL: every gather's deltas, as parallel arrays, added in one statement."""
    d = sa.select(
        *(
            sa.func.unnest(sa.bindparam(name, type_=postgresql.ARRAY(type_))).label(name)
            for name, type_ in (
                ("gather_id", sa.String()),
                ("done", sa.Integer()),
                ("succeeded", sa.Integer()),
                ("failed", sa.Integer()),
            )
        )
    ).subquery("d")
    return (
        sa.update(gathers)
        .where(
            gathers.c.namespace == sa.bindparam("b_namespace"),
            gathers.c.id == d.c.gather_id,
            _WAITING,
        )
        .values(
            done=gathers.c.done + d.c.done,
            succeeded=gathers.c.succeeded + d.c.succeeded,
            failed=gathers.c.failed + d.c.failed,
        )
        .returning(*gathers.c)
    )


_COUNT_ALL = _count_all()
# One finished job: one statement counts it into every open gather holding it and returns them. Its
# memberships are read once, by the job's index; on PostgreSQL the open gathers among them are locked in id
# order first (a materialised CTE, FOR UPDATE after the sort), so reports that meet on several gathers queue
# instead of deadlocking, and then each is updated by its key.
_HOLDERS = sa.select(gather_members.c.gather_id).where(
    gather_members.c.namespace == sa.bindparam("b_namespace"),
    gather_members.c.job_id == sa.bindparam("b_job_id"),
)
_ADD_ONE = {
    "done": gathers.c.done + 1,
    "succeeded": gathers.c.succeeded + sa.bindparam("d_succeeded"),
    "failed": gathers.c.failed + sa.bindparam("d_failed"),
}


def _count_one(dialect: str) -> sa.Update:
    namespace = gathers.c.namespace == sa.bindparam("b_namespace")
    if dialect != "postgresql":
        held = sa.update(gathers).where(namespace, gathers.c.id.in_(_HOLDERS), _WAITING)
        return held.values(_ADD_ONE).returning(*gathers.c)
    holders: Any = _HOLDERS.scalar_subquery()
    locked = (
        sa.select(gathers.c.id)
        .where(namespace, gathers.c.id == sa.any_(sa.func.array(holders)), _WAITING)
        .order_by(gathers.c.id)
        .with_for_update()
        .cte("locked")
        .prefix_with("MATERIALIZED")
    )
    held = sa.update(gathers).where(namespace, gathers.c.id == locked.c.id)
    return held.values(_ADD_ONE).returning(*gathers.c)


_COUNT_ONE = Prepared({dialect: _count_one(dialect) for dialect in ("postgresql", "sqlite")})


async def on_jobs_finished(tx: Tx, *, namespace: str, finished: Sequence[tuple[str, str]]) -> None:
    """Count finished jobs into the open gathers that hold them: O(gathers touched), no member scan. One
    job: one statement. Many: one read of their memberships, then (PostgreSQL) one statement that locks the
    open gathers in id order and one for every gather's counters. The gathers they complete resolve
    together."""
    if len(finished) == 1:
        ((job_id, status),) = finished
        params = {
            "b_namespace": namespace,
            "b_job_id": job_id,
            "d_succeeded": int(status == "succeeded"),
            "d_failed": int(status in FAILURES),
        }
        counted = cast(list[GatherRow], await _COUNT_ONE.rows(tx, params))
    else:
        counted = await _count_many(tx, namespace, dict(finished))
    await _resolve_all(tx, [(g, outcome) for g in counted if (outcome := _outcome_of(g)) is not None])


async def on_jobs_reopened(tx: Tx, *, namespace: str, reopened: Sequence[tuple[str, str]]) -> None:
    """Jobs taken back from their end (a redriven run's job): the open gathers holding them count them as
    pending again, so their next end is counted once. A gather that resolved stays resolved: it fired for
    the first end and does not fire again."""
    await _count_many(tx, namespace, dict(reopened), sign=-1)


async def _count_many(tx: Tx, namespace: str, status_of: dict[str, str], *, sign: int = 1) -> list[GatherRow]:
    deltas: dict[str, list[int]] = {}
    for part in chunks(sorted(status_of)):
        rows = await tx.conn.execute(_MEMBERSHIPS, {"namespace": namespace, "job_ids": list(part)})
        for gather_id, job_id in rows.all():
            d = deltas.setdefault(gather_id, [0, 0, 0])
            status = status_of[job_id]
            d[0] += sign
            d[1] += sign * (status == "succeeded")
            d[2] += sign * (status in FAILURES)
    if not deltas:
        return []
    ids = sorted(deltas)
    if tx.is_postgres:
        locked: list[str] = []
        for part in chunks(ids):
            lock = {"namespace": namespace, "gather_ids": list(part)}
            locked.extend((await tx.conn.execute(_LOCK_OPEN, lock)).scalars())
        if not locked:
            return []
        arrays: dict[str, Any] = {
            "b_namespace": namespace,
            "gather_id": locked,
            "done": [deltas[g][0] for g in locked],
            "succeeded": [deltas[g][1] for g in locked],
            "failed": [deltas[g][2] for g in locked],
        }
        rows = await tx.conn.execute(_COUNT_ALL, arrays)
        return sorted((cast(GatherRow, dict(r)) for r in rows.mappings()), key=lambda g: g["id"])
    counted: list[GatherRow] = []
    for gather_id in ids:
        done, succeeded, failed = deltas[gather_id]
        one = {
            "b_namespace": namespace,
            "b_gather_id": gather_id,
            "d_done": done,
            "d_succeeded": succeeded,
            "d_failed": failed,
        }
        row = (await tx.conn.execute(_COUNT, one)).mappings().first()
        if row is not None:
            counted.append(cast(GatherRow, dict(row)))
    return counted


async def _maybe_resolve(tx: Tx, gather: GatherRow) -> None:
    outcome = _outcome_of(gather)
    if outcome is not None and gather["status"] == "waiting":
        await _resolve(tx, gather, outcome)


async def _resolve(tx: Tx, gather: GatherRow, outcome: GatherOutcome) -> None:
    await _resolve_all(tx, [(gather, outcome)])


async def _resolve_all(tx: Tx, due: Sequence[tuple[GatherRow, GatherOutcome]]) -> None:
    """Move waiting gathers to their outcomes (guarded: one statement per namespace and outcome, which returns
    the gathers it moved) and enqueue their callbacks together, in this transaction."""
    groups: dict[tuple[str, GatherOutcome], dict[str, GatherRow]] = {}
    for gather, outcome in due:
        if gather["status"] == "waiting":
            groups.setdefault((gather["namespace"], outcome), {})[gather["id"]] = gather
    events: list[deliveries.Event] = []
    for (namespace, outcome), group in groups.items():
        moved: set[str] = set()
        for part in chunks(sorted(group)):
            stmt = (
                sa.update(gathers)
                .where(gathers.c.namespace == namespace, gathers.c.id.in_(part), _WAITING)
                .values(status=outcome, resolved_at=tx.now)
                .returning(gathers.c.id)
            )
            moved.update((await tx.conn.execute(stmt)).scalars())
        calling: list[tuple[GatherRow, dict[str, Any]]] = []
        for gather_id in sorted(moved):
            gather = group[gather_id]
            gather["status"], gather["resolved_at"] = outcome, tx.now
            tx.emit("resolved", ("gather", namespace, gather_id))
            tx.observe("resolution", "gather", outcome)
            if outcome == "cancelled":
                continue
            callback = gather["callback"]
            if outcome not in SUCCESS_OUTCOMES and gather["failure_callback"] is not None:
                callback = gather["failure_callback"]
            if callback is not None:
                calling.append((gather, callback))
        data = await event_data_many(tx.conn, namespace, [g for g, _ in calling], limit=tx.inline_members)
        for gather, callback in calling:
            subject = ("gather", gather["id"])
            event = deliveries.Event(namespace, EVENT_TYPES[outcome], subject, callback, data[gather["id"]])
            events.append(event)
    await deliveries.enqueue_many(tx, events)


async def expire_due(tx: Tx, *, limit: int) -> int:
    """Resolve gathers whose deadline has passed as ``timed_out``."""
    stmt = tx.due(sa.select(gathers).where(gathers.c.status == "waiting"), gathers.c.deadline_at, limit=limit)
    due = (await tx.conn.execute(stmt)).mappings().all()
    await _resolve_all(tx, [(cast(GatherRow, dict(row)), "timed_out") for row in due])
    return len(due)
