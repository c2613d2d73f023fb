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
from app.errors import Conflict, NotFound
from app.waits.models import WaitEvent, WaitParticipantRow, WaitReason, WaitRow, wait_participants, waits
from app.waits.reads import PREVIEW, get, participants, preview, to_read
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


# The body's settings, which every add overwrites.
_SETTINGS = ("expected", "wait_seconds", "max_wait_seconds", "refire_on_quorum_after_timeout", "callback")


@cache
def _open_upsert(dialect: str) -> Any:
    """Open the group's wait, or take the open one (locked) with this add's settings: one statement either
    way. A wait another transaction resolves meanwhile leaves the partial unique index, so this one opens
    a new wait instead."""
    insert = postgresql.insert(waits) if dialect == "postgresql" else sqlite.insert(waits)
    return insert.on_conflict_do_update(
        index_elements=[waits.c.namespace, waits.c.group_key],
        index_where=sa.text("status = 'waiting'"),  # a literal, so it matches the partial index
        set_={k: insert.excluded[k] for k in (*_SETTINGS, "last_added_at")},
    ).returning(*waits.c)


def _joined_cte() -> Any:
    values = {c.key: sa.bindparam(f"p_{c.key}", type_=c.type) for c in wait_participants.c}
    insert = postgresql.insert(wait_participants).values(values).on_conflict_do_nothing()
    return insert.returning(wait_participants.c.participant_key).cte("joined")


def _first_keys() -> Any:
    first = (
        sa.select(wait_participants.c.participant_key, wait_participants.c.position)
        .where(wait_participants.c.wait_id == sa.bindparam("b_id"))
        .order_by(wait_participants.c.position)
        .limit(PREVIEW)
        .subquery()
    )
    ordered = postgresql.aggregate_order_by(first.c.participant_key, first.c.position)
    return sa.select(sa.func.array_agg(ordered)).scalar_subquery()


_JOINED = _joined_cte()
# PostgreSQL, an add that cannot reach quorum: the participant's insert and the counter and timer move in one
# statement, which returns the participants as they were before it (a statement does not see its own CTE's
# rows; the new one, when counted, is the last in join order).
_ADD = (
    sa.update(waits)
    .add_cte(_JOINED)
    .where(waits.c.id == sa.bindparam("b_id"))
    .values(
        participant_count=waits.c.participant_count
        + sa.select(sa.func.count()).select_from(_JOINED).scalar_subquery(),
        deadline_at=sa.bindparam("b_deadline_at", type_=waits.c.deadline_at.type),
    )
    .returning(waits.c.participant_count, _first_keys().label("preview"))
)


def _new_wait(tx: Tx, namespace: str, group_key: str, body: ParticipantAdd) -> WaitRow:
    return {
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


async def add_participant(
    tx: Tx, *, namespace: str, group_key: str, body: ParticipantAdd
) -> tuple[ParticipantAdded, bool]:
    """Add a participant; returns the wait and whether this add opened it. Resolves ``quorum`` in this
    transaction.

    The group's wait is opened or taken (locked) by one upsert. On PostgreSQL an add that cannot reach quorum
    then takes one more statement; one that may (or any add on SQLite, which has no writes in CTEs) joins,
    saves the wait and reads its participants separately."""
    new = _new_wait(tx, namespace, group_key, body)
    opened = (await tx.conn.execute(_open_upsert(tx.dialect), new)).mappings().one()
    row = cast(WaitRow, dict(opened))
    created = row["id"] == new["id"]
    row["deadline_at"] = _deadline(row, tx.now)
    participant: WaitParticipantRow = {
        "wait_id": row["id"],
        "participant_key": body.participant_key,
        "namespace": namespace,
        "position": row["participant_count"] + 1,
        "joined_at": tx.now,
    }
    if tx.is_postgres and row["participant_count"] + 1 < row["expected"]:
        params: dict[str, Any] = {"b_id": row["id"], "b_deadline_at": row["deadline_at"]}
        params |= {f"p_{k}": v for k, v in participant.items()}
        moved = (await tx.conn.execute(_ADD, params)).one()
        counted = moved.participant_count > row["participant_count"]
        keys = list(moved.preview or [])
        if counted and len(keys) < PREVIEW:
            keys.append(body.participant_key)
        row["participant_count"] = moved.participant_count
        return ParticipantAdded.from_row(row, participants=keys, counted=counted), created
    joined = await tx.conn.execute(_join(tx.dialect), participant)
    counted = joined.first() is not None
    row["participant_count"] += counted
    if row["participant_count"] >= row["expected"]:
        row.update({"status": "resolved", "reason": "quorum", "resolved_at": tx.now, "deadline_at": None})
    values = cast(dict[str, Any], row)
    await tx.conn.execute(_SAVE, {"b_id": row["id"], **{f"b_{c.key}": values[c.key] for c in _MUTABLE}})
    if row["status"] == "resolved":
        await _fire(tx, [row], "quorum")
    read = ParticipantAdded.from_row(row, participants=await preview(tx.conn, row["id"]), counted=counted)
    return read, created


async def cancel(tx: Tx, *, namespace: str, group_key: str, wait_id: str | None = None) -> WaitRead:
    """Cancel the group's open wait without a callback (the seed's ``remove_wait``); with ``wait_id``, only
    if that is the open one."""
    if wait_id is not None:
        meant = await get(tx.conn, namespace=namespace, wait_id=wait_id)  # 404 for a wait never seen
        if meant["group_key"] != group_key:
            raise NotFound(f"wait {wait_id!r} is not of group {group_key!r}")
    row = await _open_locked(tx, namespace, group_key)
    if wait_id is not None and (row is None or row["id"] != wait_id):
        if row is None:
            raise Conflict(f"wait {wait_id} has ended; nothing was cancelled")
        raise Conflict(f"group {group_key!r} has wait {row['id']} open, not {wait_id}; nothing was cancelled")
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
