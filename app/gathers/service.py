"""Gathers: counters on the gather, membership indexed by job, resolution guarded on status."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import Tx, chunks
from app.core.ids import new_id
from app.core.pagination import Page, keyset_page
from app.deliveries import service as deliveries
from app.errors import Conflict, Invalid, NotFound
from app.gathers.models import gather_members, gathers
from app.gathers.schemas import GatherCreate, GatherExplain, GatherRead, MemberRead
from app.jobs import store
from app.jobs.models import ACTIVE, jobs

FAILURES = ("failed", "cancelled", "timed_out")
SUCCESS_EVENTS = ("succeeded", "completed")
PREVIEW = 100
MAX_INLINE_BYTES = 1 << 20  # members carried inside one event, by size as well as by count


def deadline_for(body: GatherCreate, now: datetime) -> datetime | None:
    """timeout_seconds, else poll_interval_seconds × max_attempts, else none."""
    if body.timeout_seconds is not None:
        return now + timedelta(seconds=body.timeout_seconds)
    if body.poll_interval_seconds is not None and body.max_attempts is not None:
        return now + timedelta(seconds=body.poll_interval_seconds * body.max_attempts)
    return None


def _request_hash(body: GatherCreate) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    done = [r for r in rows if r["status"] not in ACTIVE]
    return {
        "done": len(done),
        "succeeded": sum(1 for r in done if r["status"] == "succeeded"),
        "failed": sum(1 for r in done if r["status"] in FAILURES),
    }


def outcome_of(g: Any) -> str | None:
    """The resolution a gather's counters call for now, or None while it must wait."""
    if not g["sealed"]:
        return None
    if g["on_failure"] == "fail_fast" and g["failed"] > 0:
        return "failed"
    if g["done"] >= g["total"]:
        return "succeeded" if g["failed"] == 0 else "completed"
    return None


async def create(tx: Tx, *, namespace: str, body: GatherCreate, max_jobs: int) -> tuple[dict[str, Any], bool]:
    """Create a gather (or return the same one again); resolve it at once when it already can."""
    if len(body.job_ids) > max_jobs:
        raise _too_many(max_jobs)
    gather_id = body.id or new_id("gth")
    digest = _request_hash(body)
    row = {
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
        "deadline_at": deadline_for(body, tx.now),
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
        return existing, False
    row.update(await _add_members(tx, namespace, row, body.job_ids))
    await _maybe_resolve(tx, row)
    return row, True


async def _add_members(
    tx: Tx, namespace: str, gather: dict[str, Any], job_ids: Sequence[str]
) -> dict[str, int]:
    """Insert members after the current ones and count those already finished; returns new counters."""
    rows = await store.ensure_and_lock(tx, namespace, job_ids)
    start = gather["total"]
    members = [
        {"namespace": namespace, "gather_id": gather["id"], "job_id": job_id, "position": start + i}
        for i, job_id in enumerate(job_ids)
    ]
    for part in chunks(members, 5000):
        await tx.conn.execute(gather_members.insert(), list(part))
    counts = _counts([rows[j] for j in job_ids])
    values = {
        "total": start + len(job_ids),
        "done": gather["done"] + counts["done"],
        "succeeded": gather["succeeded"] + counts["succeeded"],
        "failed": gather["failed"] + counts["failed"],
    }
    await tx.conn.execute(_where(sa.update(gathers), namespace, gather["id"]).values(**values))
    return values


def _where(stmt: Any, namespace: str, gather_id: str) -> Any:
    return stmt.where(gathers.c.namespace == namespace, gathers.c.id == gather_id)


def _too_many(max_jobs: int) -> Invalid:
    reason = f"a gather holds at most {max_jobs} jobs"
    return Invalid(reason, errors=[{"field": "job_ids", "in": "body", "reason": reason}])


async def _locked(tx: Tx, namespace: str, gather_id: str) -> dict[str, Any]:
    stmt = tx.for_update(_where(sa.select(gathers), namespace, gather_id))
    row = (await tx.conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"gather {gather_id!r} does not exist")
    return dict(row)


async def add_jobs(
    tx: Tx, *, namespace: str, gather_id: str, job_ids: Sequence[str], max_jobs: int
) -> dict[str, Any]:
    """Add members to an open, unsealed gather. Jobs are locked before the gather, as reports do."""
    await store.ensure_and_lock(tx, namespace, job_ids)
    gather = await _locked(tx, namespace, gather_id)
    if gather["status"] != "waiting" or gather["sealed"]:
        raise Conflict(
            f"gather {gather_id!r} is {_state(gather)}; members can be added only before it is sealed"
        )
    present: set[str] = set()
    for part in chunks(list(job_ids), 5000):
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
        gather.update(await _add_members(tx, namespace, gather, new))
    return gather


def _state(gather: dict[str, Any]) -> str:
    return "sealed" if gather["status"] == "waiting" else f"already {gather['status']}"


async def seal(tx: Tx, *, namespace: str, gather_id: str) -> dict[str, Any]:
    """Close the member list; the gather may resolve at once."""
    gather = await _locked(tx, namespace, gather_id)
    if gather["sealed"]:
        return gather
    if gather["status"] != "waiting":
        raise Conflict(f"gather {gather_id!r} is already {gather['status']}")
    await tx.conn.execute(_where(sa.update(gathers), namespace, gather_id).values(sealed=True))
    gather["sealed"] = True
    await _maybe_resolve(tx, gather)
    return gather


async def cancel(tx: Tx, *, namespace: str, gather_id: str) -> dict[str, Any]:
    """Cancel a waiting gather: it never calls back. Cancelling again is a no-op."""
    gather = await _locked(tx, namespace, gather_id)
    if gather["status"] == "cancelled":
        return gather
    if gather["status"] != "waiting":
        raise Conflict(f"gather {gather_id!r} already resolved as {gather['status']!r}")
    await _resolve(tx, gather, "cancelled")
    return gather


# Hot-path statements are built once: constructing Core statements costs more than running them.
_OPEN_MEMBERSHIPS = (
    sa.select(gather_members.c.gather_id, gather_members.c.job_id)
    .join(
        gathers,
        sa.and_(
            gathers.c.namespace == gather_members.c.namespace, gathers.c.id == gather_members.c.gather_id
        ),
    )
    .where(
        gather_members.c.namespace == sa.bindparam("namespace"),
        gather_members.c.job_id.in_(sa.bindparam("job_ids", expanding=True)),
        gathers.c.status == "waiting",
    )
)
_COUNT = (
    sa.update(gathers)
    .where(
        gathers.c.namespace == sa.bindparam("b_namespace"),
        gathers.c.id == sa.bindparam("b_gather_id"),
        gathers.c.status == "waiting",
    )
    .values(
        done=gathers.c.done + sa.bindparam("d_done"),
        succeeded=gathers.c.succeeded + sa.bindparam("d_succeeded"),
        failed=gathers.c.failed + sa.bindparam("d_failed"),
    )
    .returning(*gathers.c)
)


async def on_jobs_finished(tx: Tx, *, namespace: str, finished: Sequence[tuple[str, str]]) -> None:
    """Count finished jobs into the open gathers that hold them: O(gathers touched), no member scan."""
    status_of = dict(finished)
    deltas: dict[str, list[int]] = {}
    for part in chunks(sorted(status_of), 5000):
        rows = await tx.conn.execute(_OPEN_MEMBERSHIPS, {"namespace": namespace, "job_ids": list(part)})
        for gather_id, job_id in rows.all():
            d = deltas.setdefault(gather_id, [0, 0, 0])
            status = status_of[job_id]
            d[0] += 1
            d[1] += status == "succeeded"
            d[2] += status in FAILURES
    for gather_id in sorted(deltas):
        done, succeeded, failed = deltas[gather_id]
        params = {
            "b_namespace": namespace,
            "b_gather_id": gather_id,
            "d_done": done,
            "d_succeeded": succeeded,
            "d_failed": failed,
        }
        row = (await tx.conn.execute(_COUNT, params)).mappings().first()
        if row is not None:
            await _maybe_resolve(tx, dict(row))


async def _maybe_resolve(tx: Tx, gather: dict[str, Any]) -> None:
    outcome = outcome_of(gather)
    if outcome is not None and gather["status"] == "waiting":
        await _resolve(tx, gather, outcome)


async def _resolve(tx: Tx, gather: dict[str, Any], outcome: str) -> bool:
    """Move a waiting gather to ``outcome`` (guarded) and enqueue its callback in this transaction."""
    stmt = (
        _where(sa.update(gathers), gather["namespace"], gather["id"])
        .where(gathers.c.status == "waiting")
        .values(status=outcome, resolved_at=tx.now)
    )
    if (await tx.conn.execute(stmt)).rowcount != 1:
        return False
    gather.update(status=outcome, resolved_at=tx.now)
    tx.emit("resolved", ("gather", gather["namespace"], gather["id"]))
    tx.observe("resolution", "gather", outcome)
    if outcome == "cancelled":
        return True
    callback = gather["callback"]
    if outcome not in SUCCESS_EVENTS and gather["failure_callback"] is not None:
        callback = gather["failure_callback"]
    if callback is not None:
        data = await event_data(tx.conn, gather, limit=tx.inline_members)
        await deliveries.enqueue(
            tx,
            namespace=gather["namespace"],
            event_type=f"gather.{outcome}",
            subject=("gather", gather["id"]),
            callback=callback,
            data=data,
        )
    return True


async def expire_due(tx: Tx, *, limit: int) -> int:
    """Resolve gathers whose deadline has passed as ``timed_out``."""
    stmt = (
        sa.select(gathers)
        .where(
            gathers.c.status == "waiting", gathers.c.deadline_at.is_not(None), gathers.c.deadline_at <= tx.now
        )
        .order_by(gathers.c.deadline_at)
        .limit(limit)
    )
    if tx.is_postgres:
        stmt = stmt.with_for_update(skip_locked=True)
    due = (await tx.conn.execute(stmt)).mappings().all()
    for row in due:
        await _resolve(tx, dict(row), "timed_out")
    return len(due)


# Reads


async def get(conn: AsyncConnection, *, namespace: str, gather_id: str) -> dict[str, Any]:
    row = (await conn.execute(_where(sa.select(gathers), namespace, gather_id))).mappings().first()
    if row is None:
        raise NotFound(f"gather {gather_id!r} does not exist")
    return dict(row)


def _members_query(namespace: str, gather_id: str) -> sa.Select[Any]:
    return (
        sa.select(
            gather_members.c.job_id,
            gather_members.c.position,
            jobs.c.status,
            jobs.c.output,
            jobs.c.error,
        )
        .join(
            jobs,
            sa.and_(jobs.c.namespace == gather_members.c.namespace, jobs.c.id == gather_members.c.job_id),
        )
        .where(gather_members.c.namespace == namespace, gather_members.c.gather_id == gather_id)
        .order_by(gather_members.c.position)
    )


async def _member_ids(conn: AsyncConnection, gather: dict[str, Any], statuses: Sequence[str]) -> list[str]:
    # ``status || ''`` keeps PostgreSQL off the status index, which it favours with stale statistics
    # right after a large gather registers many pending jobs; walking members by position is cheap.
    stmt = (
        _members_query(gather["namespace"], gather["id"])
        .where((jobs.c.status + "").in_(statuses))
        .limit(PREVIEW)
    )
    return [r.job_id for r in (await conn.execute(stmt)).all()]


async def to_read(conn: AsyncConnection, gather: dict[str, Any]) -> GatherRead:
    """The gather as the API shows it, with the first pending member ids."""
    pending = [] if gather["done"] >= gather["total"] else await _member_ids(conn, gather, ACTIVE)
    return GatherRead(
        **{k: gather[k] for k in GatherRead.model_fields if k in gather},
        pending=gather["total"] - gather["done"],
        pending_job_ids=pending,
    )


async def event_data(conn: AsyncConnection, gather: dict[str, Any], *, limit: int) -> dict[str, Any]:
    """``{gather, members, members_truncated}`` for a resolution event; members in the order given."""
    stmt = _members_query(gather["namespace"], gather["id"]).limit(limit)
    members: list[dict[str, Any]] = []
    size = 0
    for row in (await conn.execute(stmt)).mappings():
        member = _member(row, gather["include_outputs"]).model_dump(mode="json", exclude={"position"})
        size += len(json.dumps(member, separators=(",", ":")))
        if size > MAX_INLINE_BYTES:
            break  # the receiver pages the rest from /members
        members.append(member)
    read = await to_read(conn, gather)
    return {
        "gather": read.model_dump(mode="json"),
        "members": members,
        "members_truncated": gather["total"] > len(members),
    }


def _member(row: Any, with_outputs: bool = True) -> MemberRead:
    member = MemberRead(id=row["job_id"], position=row["position"], status=row["status"])
    if with_outputs:
        member.output, member.error = row["output"], row["error"]
    return member


async def members(
    conn: AsyncConnection, *, namespace: str, gather_id: str, limit: int, cursor: str | None
) -> Page[MemberRead]:
    """Members in the order given, with their status and outputs."""
    gather = await get(conn, namespace=namespace, gather_id=gather_id)
    stmt = _members_query(namespace, gather_id).order_by(None)
    rows, next_cursor = await keyset_page(conn, stmt, gather_members.c.position, limit=limit, cursor=cursor)
    items = [_member(r, gather["include_outputs"]) for r in rows]
    return Page[MemberRead](items=items, next_cursor=next_cursor)


async def explain(conn: AsyncConnection, *, namespace: str, gather_id: str, now: datetime) -> GatherExplain:
    """Why the gather has (not) resolved: missing and failed members, seal and deadline."""
    gather = await get(conn, namespace=namespace, gather_id=gather_id)
    missing = await _member_ids(conn, gather, ACTIVE)
    failed = await _member_ids(conn, gather, FAILURES)
    reasons: list[str] = []
    if gather["status"] != "waiting":
        reasons.append(f"resolved as {gather['status']} at {gather['resolved_at'].isoformat()}")
    else:
        if not gather["sealed"]:
            reasons.append("not sealed: it cannot resolve until POST /v1/gathers/{id}/seal")
        pending = gather["total"] - gather["done"]
        if pending:
            reasons.append(f"waiting for {pending} of {gather['total']} jobs to finish")
        if gather["failed"] and gather["on_failure"] == "wait_all":
            reasons.append(f"{gather['failed']} jobs failed; on_failure=wait_all waits for the rest")
        if gather["deadline_at"] is None:
            reasons.append("no deadline: it waits until every job finishes")
        else:
            reasons.append(f"times out at {gather['deadline_at'].isoformat()}")
    to_deadline = None
    if gather["deadline_at"] is not None and gather["status"] == "waiting":
        to_deadline = max(0.0, (gather["deadline_at"] - now).total_seconds())
    return GatherExplain(
        id=gather["id"],
        status=gather["status"],
        resolved=gather["status"] != "waiting",
        reasons=reasons,
        missing_job_ids=missing,
        failed_job_ids=failed,
        deadline_at=gather["deadline_at"],
        seconds_to_deadline=to_deadline,
    )
