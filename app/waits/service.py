"""Wait writes: one open wait per group key, a counter and a timer on its row, resolution guarded on status.
Services flush, never commit; a write returns the wait as the API shows it, read in its own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.core.db import Tx
from app.core.ids import new_id
from app.deliveries import service as deliveries
from app.errors import NotFound
from app.waits.models import WaitEvent, WaitParticipantRow, WaitReason, WaitRow, wait_participants, waits
from app.waits.reads import participants, preview, to_read
from app.waits.schemas import ParticipantAdd, ParticipantAdded, WaitRead

EVENT_TYPE: WaitEvent = "wait.resolved"


def _deadline(row: WaitRow, now: datetime) -> datetime | None:
    """The timer after an add: ``wait_seconds`` from now, capped at ``max_wait_seconds`` after the first."""
    if row["reason"] == "timeout":
        return None  # the timer fired already; a refire-enabled wait now only waits for quorum
    deadline = now + timedelta(seconds=row["wait_seconds"])
    if row["max_wait_seconds"] is not None:
        deadline = min(deadline, row["created_at"] + timedelta(seconds=row["max_wait_seconds"]))
    return deadline


# Hot-path statements are built once: constructing Core statements costs more than running them.
_OPEN = sa.select(waits).where(
    waits.c.namespace == sa.bindparam("b_namespace"),
    waits.c.group_key == sa.bindparam("b_group_key"),
    waits.c.status == "waiting",
)
_OPEN_FOR_UPDATE = _OPEN.with_for_update()
_MUTABLE = [c for c in waits.c if c.key not in ("id", "namespace", "group_key", "created_at")]
_SAVE = (
    sa.update(waits)
    .where(waits.c.id == sa.bindparam("b_id"))
    .values({c.key: sa.bindparam(f"b_{c.key}", type_=c.type) for c in _MUTABLE})
)


@cache
def _join(dialect: str) -> Any:
    insert = (
        postgresql.insert(wait_participants) if dialect == "postgresql" else sqlite.insert(wait_participants)
    )
    return insert.on_conflict_do_nothing().returning(wait_participants.c.participant_key)


async def _open_locked(tx: Tx, namespace: str, group_key: str) -> WaitRow | None:
    stmt = _OPEN_FOR_UPDATE if tx.is_postgres else _OPEN
    row = (
        (await tx.conn.execute(stmt, {"b_namespace": namespace, "b_group_key": group_key})).mappings().first()
    )
    return cast(WaitRow, dict(row)) if row is not None else None


async def _open_or_create(
    tx: Tx, namespace: str, group_key: str, body: ParticipantAdd
) -> tuple[WaitRow, bool]:
    """The group's open wait, locked; a new one when there is none (a concurrent creator wins the race)."""
    for _ in range(3):
        row = await _open_locked(tx, namespace, group_key)
        if row is not None:
            return row, False
        new: WaitRow = {
            "id": new_id("wt"),
            "namespace": namespace,
            "group_key": group_key,
            "status": "waiting",
            "reason": None,
            "expected": body.expected_participants,
            "participant_count": 0,
            "wait_seconds": body.wait_seconds,
            "max_wait_seconds": body.max_wait_seconds,
            "refire_on_quorum_after_timeout": body.refire_on_quorum_after_timeout,
            "callback": body.callback.model_dump(mode="json"),
            "created_at": tx.now,
            "last_added_at": tx.now,
            "deadline_at": None,
            "timed_out_at": None,
            "resolved_at": None,
        }
        stmt = tx.insert(waits).values(new).on_conflict_do_nothing().returning(waits.c.id)
        if (await tx.conn.execute(stmt)).first() is not None:
            return new, True
    raise RuntimeError(f"could not open a wait for {group_key!r}")  # pragma: no cover - needs 3 lost races


async def add_participant(
    tx: Tx, *, namespace: str, group_key: str, body: ParticipantAdd
) -> tuple[ParticipantAdded, bool]:
    """Add a participant; returns the wait and whether this add opened it. Resolves ``quorum`` in this
    transaction."""
    row, created = await _open_or_create(tx, namespace, group_key, body)
    participant: WaitParticipantRow = {
        "wait_id": row["id"],
        "participant_key": body.participant_key,
        "namespace": namespace,
        "position": row["participant_count"] + 1,
        "joined_at": tx.now,
    }
    joined = await tx.conn.execute(_join(tx.dialect), participant)
    counted = joined.first() is not None
    row.update(
        {
            "expected": body.expected_participants,
            "wait_seconds": body.wait_seconds,
            "max_wait_seconds": body.max_wait_seconds,
            "refire_on_quorum_after_timeout": body.refire_on_quorum_after_timeout,
            "callback": body.callback.model_dump(mode="json"),
            "participant_count": row["participant_count"] + counted,
            "last_added_at": tx.now,
        }
    )
    row["deadline_at"] = _deadline(row, tx.now)
    if row["participant_count"] >= row["expected"]:
        row.update({"status": "resolved", "reason": "quorum", "resolved_at": tx.now, "deadline_at": None})
    values = cast(dict[str, Any], row)
    await tx.conn.execute(_SAVE, {"b_id": row["id"], **{f"b_{c.key}": values[c.key] for c in _MUTABLE}})
    if row["status"] == "resolved":
        await _fire(tx, [row], "quorum")
    read = ParticipantAdded.from_row(row, participants=await preview(tx.conn, row["id"]), counted=counted)
    return read, created


async def cancel(tx: Tx, *, namespace: str, group_key: str) -> WaitRead:
    """Cancel the group's open wait without a callback (the seed's ``remove_wait``)."""
    row = await _open_locked(tx, namespace, group_key)
    if row is None:
        raise NotFound(f"no open wait for group {group_key!r}")
    await tx.conn.execute(
        sa.update(waits)
        .where(waits.c.id == row["id"], waits.c.status == "waiting")
        .values(status="cancelled", resolved_at=tx.now, deadline_at=None)
    )
    row.update({"status": "cancelled", "resolved_at": tx.now, "deadline_at": None})
    tx.emit("resolved", ("wait", namespace, group_key))
    tx.observe("resolution", "wait", "cancelled")
    return await to_read(tx.conn, row)


class Fired(TypedDict):
    """What a resolved wait's callback needs (a ``WaitRow`` has it all)."""

    id: str
    namespace: str
    group_key: str
    expected: int
    participant_count: int
    callback: dict[str, Any]


# The update that times waits out returns these
_FIRED = (
    waits.c.id,
    waits.c.namespace,
    waits.c.group_key,
    waits.c.expected,
    waits.c.participant_count,
    waits.c.callback,
)


@cache
def _timeout(dialect: str) -> Any:
    """Time out waits (the caller narrows it to the due ones), guarded on status and deadline: a wait a
    concurrent add resolved or gave a new timer is left alone. A refire-enabled wait stays open without a
    timer. PostgreSQL returns each wait's first participant keys in join order with it (no second read).

    The status guard says "neither resolved nor cancelled" rather than "waiting" so that no partial index
    over open waits matches it and the primary key is the planner's only choice, whatever it estimates:
    on an unanalysed table it would otherwise test every open wait against the whole batch."""
    refire = waits.c.refire_on_quorum_after_timeout
    now = sa.bindparam("b_now", type_=waits.c.timed_out_at.type)
    stmt = (
        sa.update(waits)
        .where(waits.c.status.not_in(("resolved", "cancelled")), waits.c.deadline_at <= now)
        .values(
            reason="timeout",
            timed_out_at=now,
            deadline_at=None,
            status=sa.case((refire, waits.c.status), else_=sa.literal("resolved")),
            resolved_at=sa.case((refire, waits.c.resolved_at), else_=now),
        )
        .returning(*_FIRED)
    )
    if dialect != "postgresql":
        return stmt
    p = wait_participants.c
    keys = (
        sa.select(sa.func.array_agg(postgresql.aggregate_order_by(p.participant_key, p.position)))
        .where(p.wait_id == waits.c.id, p.position <= sa.bindparam("b_inline"))
        .correlate(waits)
        .scalar_subquery()
    )
    return stmt.returning(keys.label("participant_keys"))


async def expire_due(tx: Tx, *, limit: int) -> int:
    """Fire ``timeout`` for up to ``limit`` waits whose timer has passed: one guarded update that picks them
    (earliest first; on PostgreSQL skipping those another replica holds), one enqueue for their callbacks."""
    due = tx.due(sa.select(waits.c.id).where(waits.c.status == "waiting"), waits.c.deadline_at, limit=limit)
    picked = due.scalar_subquery()
    # PostgreSQL: ARRAY(…) picks (and locks) the batch once; an IN could re-run it for each row visited
    chosen = waits.c.id == sa.any_(sa.func.array(picked)) if tx.is_postgres else waits.c.id.in_(picked)
    stmt = _timeout(tx.dialect).where(chosen)
    params = {"b_now": tx.now, "b_inline": tx.inline_members}
    found = (await tx.conn.execute(stmt, params)).mappings().all()
    if not found:
        return 0
    rows = [cast(Fired, {c.key: r[c.key] for c in _FIRED}) for r in found]
    keys = {r["id"]: list(r["participant_keys"] or ()) for r in found} if tx.is_postgres else None
    await _fire(tx, rows, "timeout", keys)
    return len(rows)


async def _fire(
    tx: Tx, rows: Sequence[Fired], reason: WaitReason, keys: dict[str, list[str]] | None = None
) -> None:
    """Enqueue one ``wait.resolved`` event per wait (all fired for ``reason``), with its participants in
    join order (read here unless ``keys`` has them), all with one statement."""
    if keys is None:
        keys = await participants(tx.conn, [r["id"] for r in rows], limit=tx.inline_members)
    events = []
    for row in rows:
        joined = keys.get(row["id"], [])
        data = {
            "group_key": row["group_key"],
            "wait_id": row["id"],
            "reason": reason,
            "participants": joined,
            "participants_truncated": row["participant_count"] > len(joined),
            "expected": row["expected"],
        }
        events.append(
            deliveries.Event(row["namespace"], EVENT_TYPE, ("wait", row["id"]), row["callback"], data)
        )
        tx.emit("resolved", ("wait", row["namespace"], row["group_key"]))
        tx.observe("resolution", "wait", reason)
    await deliveries.enqueue_many(tx, events)
