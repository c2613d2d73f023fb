"""The outbox's writes: enqueue in the caller's transaction; claim with a lease; record; redeliver.

Deliveries that go dead (their retry schedule spent, a ``410 Gone``, a blocked address) publish
``DeliveriesDead`` in the transaction that marks them; the domain whose event a delivery carried may react to
it (a workflow fails the attempt whose task message it was), subscribed at the composition root."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

import sqlalchemy as sa

from app.core import replicas
from app.core.db import IN_CHUNK, Tx, chunks
from app.core.ids import new_id
from app.core.requestctx import current_trace
from app.deliveries import reads, signing
from app.deliveries.models import AttemptRow, DeliveryRow, DeliveryStatus, deliveries, delivery_attempts
from app.deliveries.schemas import DeliveryRead
from app.deliveries.sender import SendResult
from app.errors import Conflict

log = logging.getLogger("rendezvous.deliveries")


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


@runtime_checkable
class Taker(Protocol):
    """This process's deliverer, as the listener of ``"delivery"``: it may take rows as they are written."""

    worker_id: str
    lease_seconds: float

    def reserve(self, wanted: int) -> int:
        """How many of ``wanted`` deliveries it has room to send now (held until ``take``)."""
        ...

    def take(self, reserved: int, items: list[Claimed], committed: bool) -> None:
        """Send these deliveries once their transaction committed; free the room reserved either way."""
        ...


@dataclass
class _Written:
    """The deliveries one open transaction wrote claimed, until it ends."""

    taker: Taker
    reserved: int = 0
    items: dict[str, Claimed] = field(default_factory=dict)


_written: dict[int, _Written] = {}  # by id() of the open transaction


def _end(key: int, written: _Written, committed: bool) -> None:
    _written.pop(key, None)
    written.taker.take(written.reserved, list(written.items.values()), committed)


async def enqueue_many(tx: Tx, events: list[Event]) -> None:
    """Write the delivery rows of many events with one statement, in the caller's transaction.

    As many as this process's deliverer has room for are written already claimed by it (attempt 1, leased)
    and sent as soon as the transaction commits, without a claim; the rest wait for a claim. Should the
    process die first, their lease runs out and ``reclaim_expired`` retries them."""
    rows = [_delivery_row(tx, e) for e in events]
    if not rows:
        return
    taker = tx.listeners.get("delivery")
    if isinstance(taker, Taker):
        taken = taker.reserve(len(rows))
        if taken:
            key = id(tx)
            written = _written.get(key)
            if written is None:
                written = _written[key] = _Written(taker)
                tx.on_end(lambda committed: _end(key, written, committed))
            written.reserved += taken
            until = tx.now + timedelta(seconds=taker.lease_seconds)
            for row in rows[:taken]:
                row.update(status="delivering", attempts=1, locked_by=taker.worker_id, locked_until=until)
                written.items[row["id"]] = _claimed(row)
    await tx.conn.execute(deliveries.insert(), rows)
    if rows[-1]["status"] == "pending":
        tx.emit("delivery", None)


async def withdraw(
    tx: Tx, *, namespace: str, event_type: str, subject_kind: str, subject_ids: list[str]
) -> set[str]:
    """Delete the deliveries of these subjects that wait for a send (none is under way: one a worker claimed
    stays, unless this transaction wrote it claimed, so it has not left yet); returns the subject ids whose
    delivery was never attempted, so the receiver never heard of them. One retried after failed sends is
    withdrawn too, but its receiver may have seen it."""
    if not subject_ids:
        return set()
    written = _written.get(id(tx))
    wanted = set(subject_ids)
    unsent = [
        c.id
        for c in (written.items.values() if written is not None else ())
        if (c.namespace, c.event_type, c.subject_kind) == (namespace, event_type, subject_kind)
        and c.subject_id in wanted
    ]
    d = deliveries.c
    waiting = d.status == "pending"
    stmt = (
        sa.delete(deliveries)
        .where(d.namespace == namespace, d.subject_kind == subject_kind, d.subject_id.in_(subject_ids))
        .where(d.event_type == event_type, sa.or_(waiting, d.id.in_(unsent)) if unsent else waiting)
        .returning(d.id, d.subject_id, d.attempts)
    )
    never: set[str] = set()
    for row in (await tx.conn.execute(stmt)).all():
        written_here = written is not None and written.items.pop(row.id, None) is not None
        if written_here or row.attempts == 0:
            never.add(row.subject_id)
    return never


def _with_trace(headers: dict[str, str]) -> dict[str, str]:
    """The callback's headers, and the trace context of the request that caused the event (see
    ``current_trace``) unless the callback names its own ``traceparent``; a ``tracestate`` of its own is
    kept instead of the request's."""
    trace = current_trace()
    named = {name.lower() for name in headers}
    if trace is None or "traceparent" in named:
        return headers
    return {**headers, **{k: v for k, v in trace.items() if k not in named}}


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
        "headers": _with_trace(e.callback.get("headers") or {}),
        "body": json.dumps(body, separators=(",", ":"), default=str),
        "status": "pending",
        "attempts": 0,
        "interrupted": 0,
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


def _claimed(row: DeliveryRow) -> Claimed:
    """A row written claimed; its signing secrets are looked up by the deliverer."""
    return Claimed(
        row["id"],
        row["namespace"],
        row["event_id"],
        row["url"],
        row["headers"],
        row["body"],
        row["attempts"],
        row["round_start"],
        [],
        row["event_type"],
        row["created_at"],
        row["subject_kind"],
        row["subject_id"],
    )


async def claim_due(
    tx: Tx, *, worker: str, limit: int, lease_seconds: float, with_secrets: bool = True
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries. PostgreSQL: SKIP LOCKED, so replicas never share a row. Without
    ``with_secrets`` their signing secrets are left for the caller to look up (as for ``enqueue_many``)."""
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
    names = {r.namespace for r in rows}
    secrets = await signing.for_namespaces(tx, names) if with_secrets else {n: [] for n in names}
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


@dataclass(frozen=True)
class Outcome:
    """One finished send of a claimed delivery."""

    claimed: Claimed
    result: SendResult
    started_at: datetime


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
    (status,) = await record_many(
        tx,
        [Outcome(claimed, result, started_at)],
        worker=worker,
        schedule=schedule,
        jitter=jitter,
        max_retry_after=max_retry_after,
    )
    return status


def _step(
    now: datetime, outcome: Outcome, schedule: list[float], jitter: float, max_retry_after: float
) -> Step:
    result, claimed = outcome.result, outcome.claimed
    if result.ok:
        return {"status": "succeeded", "next_attempt_at": None}
    if result.gone or result.blocked:
        return {"status": "dead", "next_attempt_at": None}
    retry_after = min(result.retry_after, max_retry_after) if result.retry_after is not None else None
    position = claimed.attempt - claimed.round_start
    return _after_failure(now, schedule=schedule, position=position, jitter=jitter, retry_after=retry_after)


async def record_many(
    tx: Tx,
    outcomes: list[Outcome],
    *,
    worker: str,
    schedule: list[float],
    jitter: float,
    max_retry_after: float,
) -> list[DeliveryStatus | Literal["lost"]]:
    """``record`` for many sends in one transaction: one insert for their attempts, one guarded update per
    group of deliveries that move alike (all the successes with the same status code, usually), and one
    ``DeliveriesDead`` per namespace. Each delivery moves only if this worker still holds this claim."""
    if not outcomes:
        return []
    attempts: list[AttemptRow] = [
        {
            "delivery_id": o.claimed.id,
            "namespace": o.claimed.namespace,
            "attempt": o.claimed.attempt,
            "started_at": o.started_at,
            "duration_ms": o.result.duration_ms,
            "status_code": o.result.status_code,
            "error": o.result.error,
            "response_body": o.result.response_body,
        }
        for o in outcomes
    ]
    await tx.conn.execute(tx.insert(delivery_attempts).on_conflict_do_nothing(), attempts)
    steps = [_step(tx.now, o, schedule, jitter, max_retry_after) for o in outcomes]
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, (o, step) in enumerate(zip(outcomes, steps, strict=True)):
        key = (step["status"], step["next_attempt_at"], o.result.status_code, o.result.error)
        groups.setdefault(key, []).append(i)
    d = deliveries.c
    moved: set[tuple[str, int]] = set()
    for (status, next_attempt_at, code, error), members in groups.items():
        for part in chunks(members, IN_CHUNK // 2):
            held = [(outcomes[i].claimed.id, outcomes[i].claimed.attempt) for i in part]
            stmt = (
                sa.update(deliveries)
                .where(
                    d.status == "delivering",
                    d.locked_by == worker,
                    # this claim, not a later one by the same worker
                    sa.tuple_(d.id, d.attempts).in_(held),
                )
                .values(
                    status=status,
                    next_attempt_at=next_attempt_at,
                    locked_by=None,
                    locked_until=None,
                    last_status_code=code,
                    last_error=error,
                    **({"delivered_at": tx.now} if status == "succeeded" else {}),
                )
                .returning(d.id, d.attempts)
            )
            moved.update((row.id, row.attempts) for row in await tx.conn.execute(stmt))
    dead: dict[str, list[DeadDelivery]] = {}
    statuses: list[DeliveryStatus | Literal["lost"]] = []
    for o, step in zip(outcomes, steps, strict=True):
        c = o.claimed
        if (c.id, c.attempt) not in moved:
            statuses.append("lost")
            continue
        statuses.append(step["status"])
        if step["status"] == "dead":
            gone = DeadDelivery(c.event_type, c.subject_kind, c.subject_id, o.result.status_code)
            dead.setdefault(c.namespace, []).append(gone)
    for namespace, found in dead.items():
        await tx.publish(DeliveriesDead(namespace, tuple(found)))
    return statuses


INTERRUPTED = (
    "interrupted: the replica that claimed it stopped before it stored an outcome "
    "(not counted against the retry schedule)"
)


def _unanswered(tx: Tx, row: Any, error: str) -> AttemptRow:
    """The logged attempt of a claim that ended with no answer stored (``row``: id, namespace, attempts)."""
    return {
        "delivery_id": row.id,
        "namespace": row.namespace,
        "attempt": row.attempts,
        "started_at": tx.now,
        "duration_ms": 0.0,
        "status_code": None,
        "error": error,
        "response_body": None,
    }


async def release_orphans(tx: Tx, *, me: str, stale_after: float, limit: int) -> int:
    """Claims held by replicas that stopped (no heartbeat for ``stale_after`` seconds, or none at all) go back
    to pending, due now. Such an attempt is logged as interrupted and does not count against the retry
    schedule (its round starts one later); ``attempts`` still counts it, so an answer the old claim might
    yet store never matches the next claim."""
    d = deliveries.c
    orphans = (
        sa.select(d.id, d.namespace, d.attempts, d.locked_by)
        .where(
            d.status == "delivering", d.locked_by != me, d.locked_by.not_in(replicas.alive(tx, stale_after))
        )
        .order_by(d.id)
        .limit(limit)
    )
    if tx.is_postgres:
        orphans = orphans.with_for_update(skip_locked=True)
    rows = (await tx.conn.execute(orphans)).all()
    if not rows:
        return 0
    await tx.conn.execute(
        tx.insert(delivery_attempts).on_conflict_do_nothing(),
        [_unanswered(tx, row, INTERRUPTED) for row in rows],
    )
    for part in chunks([row.id for row in rows], IN_CHUNK):
        await tx.conn.execute(
            sa.update(deliveries)
            .where(d.id.in_(part), d.status == "delivering", d.locked_by != me)
            .values(
                status="pending",
                next_attempt_at=tx.now,
                locked_by=None,
                locked_until=None,
                round_start=d.round_start + 1,
                interrupted=d.interrupted + 1,
                last_error=INTERRUPTED,
            )
        )
    log.warning(
        "released %d deliveries claimed by replicas that stopped: %s",
        len(rows),
        sorted({row.locked_by for row in rows}),
    )
    tx.emit("delivery", None)
    return len(rows)


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
        await _log_attempt(tx, _unanswered(tx, row, error))
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
