"""The outbox's writes: enqueue in the caller's transaction; claim with a lease; record; redeliver.

Deliveries that go dead (their retry schedule spent, a ``410 Gone``, a blocked address) publish
``DeliveriesDead`` in the transaction that marks them; the domain whose event a delivery carried may react to
it (a workflow fails the attempt whose task message it was), subscribed at the composition root."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict

import sqlalchemy as sa

from app.core.db import Tx
from app.core.ids import new_id
from app.deliveries import reads, signing
from app.deliveries.models import AttemptRow, DeliveryRow, DeliveryStatus, deliveries, delivery_attempts
from app.deliveries.schemas import DeliveryRead
from app.deliveries.sender import SendResult
from app.errors import Conflict


@dataclass(frozen=True)
class Event:
    """One event to call back: its type, what it is about, where it goes and its data."""

    namespace: str
    event_type: str
    subject: tuple[str, str]
    callback: dict[str, Any]
    data: dict[str, Any]


async def enqueue(
    tx: Tx,
    *,
    namespace: str,
    event_type: str,
    subject: tuple[str, str],
    callback: dict[str, Any],
    data: dict[str, Any],
) -> None:
    """Write one event's delivery row in the caller's transaction; the deliverer is woken on commit."""
    await enqueue_many(tx, [Event(namespace, event_type, subject, callback, data)])


async def enqueue_many(tx: Tx, events: list[Event]) -> None:
    """Write the delivery rows of many events with one statement, in the caller's transaction."""
    rows = [_delivery_row(tx, e) for e in events]
    if rows:
        await tx.conn.execute(deliveries.insert(), rows)
        tx.emit("delivery", None)


async def withdraw(
    tx: Tx, *, namespace: str, event_type: str, subject_kind: str, subject_ids: list[str]
) -> set[str]:
    """Delete the deliveries of these subjects that wait for a send (none is under way: one a worker claimed
    stays); returns the subject ids whose delivery was never attempted, so the receiver never heard of them.
    One retried after failed sends is withdrawn too, but its receiver may have seen it."""
    if not subject_ids:
        return set()
    d = deliveries.c
    stmt = (
        sa.delete(deliveries)
        .where(d.namespace == namespace, d.subject_kind == subject_kind, d.subject_id.in_(subject_ids))
        .where(d.event_type == event_type, d.status == "pending")
        .returning(d.subject_id, d.attempts)
    )
    return {subject for subject, attempts in (await tx.conn.execute(stmt)).all() if attempts == 0}


def _delivery_row(tx: Tx, e: Event) -> DeliveryRow:
    event_id = new_id("evt")
    body = {
        "id": event_id,
        "type": e.event_type,
        "created_at": tx.now.isoformat(),
        "namespace": e.namespace,
        "data": e.data,
        "payload": e.callback.get("payload"),
    }
    return {
        "id": new_id("dlv"),
        "namespace": e.namespace,
        "event_id": event_id,
        "event_type": e.event_type,
        "subject_kind": e.subject[0],
        "subject_id": e.subject[1],
        "url": e.callback["url"],
        "headers": e.callback.get("headers") or {},
        "body": json.dumps(body, separators=(",", ":"), default=str),
        "status": "pending",
        "attempts": 0,
        "round_start": 0,
        "next_attempt_at": tx.now,
        "locked_until": None,
        "locked_by": None,
        "last_status_code": None,
        "last_error": None,
        "created_at": tx.now,
        "delivered_at": None,
    }


@dataclass(frozen=True)
class DeadDelivery:
    """A delivery that failed for good: what it was about, and the HTTP status of its last attempt (None when
    that attempt got no answer)."""

    event_type: str
    subject_kind: str
    subject_id: str
    last_status: int | None


@dataclass(frozen=True)
class DeliveriesDead:
    """Deliveries of one namespace that went dead in this transaction."""

    namespace: str
    dead: tuple[DeadDelivery, ...]


@dataclass(frozen=True)
class Claimed:
    """A delivery taken by one worker until ``locked_until``."""

    id: str
    namespace: str
    event_id: str
    url: str
    headers: dict[str, str]
    body: str
    attempt: int
    round_start: int
    secrets: list[str]
    event_type: str
    created_at: datetime
    subject_kind: str
    subject_id: str


async def claim_due(tx: Tx, *, worker: str, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take up to ``limit`` due deliveries. PostgreSQL: SKIP LOCKED, so replicas never share a row."""
    pending = sa.select(deliveries.c.id).where(deliveries.c.status == "pending")
    due = tx.due(pending, deliveries.c.next_attempt_at, limit=limit)
    # Two statements, not UPDATE … WHERE id IN (subquery): PostgreSQL may re-run a LIMIT … SKIP LOCKED
    # subquery per outer row and so claim far more than ``limit``.
    ids = list((await tx.conn.execute(due)).scalars())
    if not ids:
        return []
    stmt = (
        sa.update(deliveries)
        .where(deliveries.c.id.in_(ids), deliveries.c.status == "pending")
        .values(
            status="delivering",
            locked_by=worker,
            locked_until=tx.now + timedelta(seconds=lease_seconds),
            attempts=deliveries.c.attempts + 1,
        )
        .returning(
            deliveries.c.id,
            deliveries.c.namespace,
            deliveries.c.event_id,
            deliveries.c.url,
            deliveries.c.headers,
            deliveries.c.body,
            deliveries.c.attempts,
            deliveries.c.round_start,
            deliveries.c.event_type,
            deliveries.c.created_at,
            deliveries.c.subject_kind,
            deliveries.c.subject_id,
        )
    )
    rows = (await tx.conn.execute(stmt)).all()
    secrets = await signing.for_namespaces(tx, {r.namespace for r in rows})
    return [
        Claimed(
            r.id,
            r.namespace,
            r.event_id,
            r.url,
            r.headers,
            r.body,
            r.attempts,
            r.round_start,
            secrets[r.namespace],
            r.event_type,
            r.created_at,
            r.subject_kind,
            r.subject_id,
        )
        for r in rows
    ]


def next_delay(
    schedule: list[float], position: int, jitter: float, retry_after: float | None
) -> float | None:
    """Seconds until attempt ``position + 1`` of a round (0-based), or None when the round is spent."""
    if position >= len(schedule):
        return None
    if retry_after is not None:
        return retry_after
    base = schedule[position]
    return base * (1 + random.uniform(-jitter, jitter)) if base else 0.0


class Step(TypedDict):
    """Where an attempt moves its delivery."""

    status: DeliveryStatus
    next_attempt_at: datetime | None


def _after_failure(
    now: datetime, schedule: list[float], position: int, jitter: float, retry_after: float | None
) -> Step:
    """The one retry transition of a failed attempt: pending again on the schedule, or dead once the round's
    schedule is spent. ``position`` is the attempt's place in its round (0-based)."""
    delay = next_delay(schedule, position, jitter, retry_after)
    if delay is None:
        return {"status": "dead", "next_attempt_at": None}
    return {"status": "pending", "next_attempt_at": now + timedelta(seconds=delay)}


async def _log_attempt(tx: Tx, attempt: AttemptRow) -> None:
    """Store one attempt; a repeat of the same (delivery, attempt) is ignored."""
    await tx.conn.execute(tx.insert(delivery_attempts).values(**attempt).on_conflict_do_nothing())


async def record(
    tx: Tx,
    claimed: Claimed,
    result: SendResult,
    *,
    worker: str,
    started_at: datetime,
    schedule: list[float],
    jitter: float,
    max_retry_after: float,
) -> DeliveryStatus | Literal["lost"]:
    """Store the attempt and move the delivery on: succeeded, pending again, or dead (or "lost": the lease ran
    out and another worker took the row, whose outcome stands)."""
    await _log_attempt(
        tx,
        {
            "delivery_id": claimed.id,
            "namespace": claimed.namespace,
            "attempt": claimed.attempt,
            "started_at": started_at,
            "duration_ms": result.duration_ms,
            "status_code": result.status_code,
            "error": result.error,
            "response_body": result.response_body,
        },
    )
    step: Step
    if result.ok:
        step = {"status": "succeeded", "next_attempt_at": None}
    elif result.gone or result.blocked:
        step = {"status": "dead", "next_attempt_at": None}
    else:
        retry_after = min(result.retry_after, max_retry_after) if result.retry_after is not None else None
        position = claimed.attempt - claimed.round_start
        step = _after_failure(
            tx.now, schedule=schedule, position=position, jitter=jitter, retry_after=retry_after
        )
    stmt = (
        sa.update(deliveries)
        .where(
            deliveries.c.id == claimed.id,
            deliveries.c.status == "delivering",
            deliveries.c.locked_by == worker,
            deliveries.c.attempts == claimed.attempt,  # this claim, not a later one by the same worker
        )
        .values(
            locked_by=None,
            locked_until=None,
            last_status_code=result.status_code,
            last_error=result.error,
            **step,
            **({"delivered_at": tx.now} if result.ok else {}),
        )
    )
    if (await tx.conn.execute(stmt)).rowcount != 1:
        return "lost"
    if step["status"] == "dead":
        dead = DeadDelivery(claimed.event_type, claimed.subject_kind, claimed.subject_id, result.status_code)
        await tx.publish(DeliveriesDead(claimed.namespace, (dead,)))
    return step["status"]


async def reclaim_expired(tx: Tx, *, limit: int, schedule: list[float], jitter: float) -> int:
    """Leases that ran out count as failed attempts (with no status): retried on the schedule, or dead when it
    is spent."""
    d = deliveries.c
    what = (d.event_type, d.subject_kind, d.subject_id)
    delivering = sa.select(d.id, d.namespace, d.attempts, d.round_start, *what).where(
        d.status == "delivering"
    )
    rows = (await tx.conn.execute(tx.due(delivering, d.locked_until, limit=limit))).all()
    error = "lease expired: the worker did not report an outcome"
    dead: dict[str, list[DeadDelivery]] = {}
    for row in rows:
        await _log_attempt(
            tx,
            {
                "delivery_id": row.id,
                "namespace": row.namespace,
                "attempt": row.attempts,
                "started_at": tx.now,
                "duration_ms": 0.0,
                "status_code": None,
                "error": error,
                "response_body": None,
            },
        )
        position = row.attempts - row.round_start
        step = _after_failure(tx.now, schedule, position, jitter, None)
        moved = await tx.conn.execute(
            sa.update(deliveries)
            .where(d.id == row.id, d.status == "delivering")
            .values(locked_by=None, locked_until=None, last_status_code=None, last_error=error, **step)
        )
        if moved.rowcount == 1 and step["status"] == "dead":
            gone = DeadDelivery(row.event_type, row.subject_kind, row.subject_id, None)
            dead.setdefault(row.namespace, []).append(gone)
    for namespace, found in dead.items():
        await tx.publish(DeliveriesDead(namespace, tuple(found)))
    if rows:
        tx.emit("delivery", None)
    return len(rows)


async def redeliver(tx: Tx, *, namespace: str, delivery_id: str) -> DeliveryRead:
    """Queue a finished delivery (dead or succeeded) again, with a fresh retry schedule."""
    row = await reads.get_row(tx.conn, namespace=namespace, delivery_id=delivery_id)
    if row["status"] in ("pending", "delivering"):
        raise Conflict(f"delivery {delivery_id!r} is still {row['status']}; it cannot be redelivered now")
    queued: DeliveryRow = {
        **row,
        "status": "pending",
        "next_attempt_at": tx.now,
        "round_start": row["attempts"],
    }
    await tx.conn.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.status == row["status"])
        .values(
            status=queued["status"],
            next_attempt_at=queued["next_attempt_at"],
            round_start=queued["round_start"],
        )
    )
    tx.emit("delivery", delivery_id)
    return DeliveryRead.from_row(queued)
