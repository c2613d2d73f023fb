"""Idempotency-Key on POST: the first response (status and body) is replayed byte for byte for 24 h.

The same key with another request is a 422; while the first request runs, a repeat waits a little for it and
then answers 409. Keys are scoped per namespace. Each claim has an owner and a lease the running request
renews; the record notes "committed" inside the request's own write transaction, atomically with its work.
So a request that failed before committing anything (a 5xx, or a 401/403/429) leaves no record and a retry
runs afresh; one that committed and then failed is replayed as it answered; and one whose process died after
committing is never run twice — its repeat is a 409 saying the answer was lost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.access.models import IdempotencyRow
from app.access.models import idempotency_keys as records
from app.core import replicas
from app.core.db import Tx
from app.errors import Conflict

Action = Literal["run", "replay", "mismatch", "busy", "lost"]


@dataclass(frozen=True)
class Claim:
    """What to do with a request: run it, replay a stored response (``row``), or refuse it."""

    action: Action
    row: IdempotencyRow | None = None


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def held(row: IdempotencyRow, now: datetime) -> bool:
    """Whether a request still holds the record's lease (a done record holds none)."""
    return row["locked_until"] is not None and row["locked_until"] > now


def _where(namespace: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(records.c.namespace == namespace, records.c.key == key)


def _mine(namespace: str, key: str, owner: str) -> sa.ColumnElement[bool]:
    return sa.and_(_where(namespace, key), records.c.owner == owner)


async def claim(
    tx: Tx,
    *,
    namespace: str,
    key: str,
    fingerprint: str,
    owner: str,
    lease: timedelta,
    ttl: timedelta,
    replica: str | None = None,
    stale_after: float = 5.0,
) -> Claim:
    """Record the request as running under ``owner`` on ``replica``, or say why it must not run. A claim
    whose replica stopped beating is not waited for: it is taken over at once, as one whose lease ran out."""
    running = {
        "fingerprint": fingerprint,
        "state": "running",
        "owner": owner,
        "replica": replica,
        "response_status": None,
        "response_type": None,
        "response_body": None,
        "created_at": tx.now,
        "locked_until": tx.now + lease,
        "expires_at": tx.now + ttl,
    }
    insert = tx.insert(records).values(namespace=namespace, key=key, **running).on_conflict_do_nothing()
    while True:  # the row that blocked the insert may be deleted (abandoned, expired) before it is read
        if (await tx.conn.execute(insert.returning(records.c.key))).first():
            return Claim("run")
        found = (
            await tx.conn.execute(tx.for_update(sa.select(records).where(_where(namespace, key))))
        ).first()
        if found is not None:
            break
    row = cast(IdempotencyRow, dict(found._mapping))
    if row["expires_at"] <= tx.now:  # an old record: the key starts afresh
        await tx.conn.execute(sa.update(records).where(_where(namespace, key)).values(**running))
        return Claim("run")
    if row["fingerprint"] != fingerprint:
        return Claim("mismatch")
    if row["state"] == "done":
        return Claim("replay", row)
    if held(row, tx.now) and not await orphaned(tx.conn, row, replica, tx.now, stale_after):
        return Claim("busy")
    if row["state"] == "committed":
        return Claim("lost")  # its work committed, then its process died before storing the answer
    values = {"owner": owner, "replica": replica, "locked_until": tx.now + lease}
    await tx.conn.execute(sa.update(records).where(_where(namespace, key)).values(**values))
    return Claim("run")  # its process died before committing anything: run it here


async def orphaned(
    conn: AsyncConnection, row: IdempotencyRow, me: str | None, now: datetime, stale_after: float
) -> bool:
    """Whether the claim's replica stopped (its heartbeat stale or gone); never this replica's own."""
    if row["replica"] is None or row["replica"] == me:
        return False
    alive = replicas.alive_at(now, stale_after).where(replicas.replicas.c.id == row["replica"])
    return (await conn.execute(alive)).first() is None


async def peek(conn: AsyncConnection, *, namespace: str, key: str) -> IdempotencyRow | None:
    """The record as it is (a read: waiting twins poll with this)."""
    row = (await conn.execute(sa.select(records).where(_where(namespace, key)))).mappings().first()
    return cast(IdempotencyRow, dict(row)) if row is not None else None


class ClaimLost(Conflict):
    """The request's claim on its key was taken over (its replica was taken for stopped): its work must not
    commit, since the request that took over runs it."""


async def mark_committed(tx: Tx, *, namespace: str, key: str, owner: str) -> None:
    """Inside the request's own transaction: its work is about to commit. If the claim is no longer this
    request's, the transaction fails instead, so the work is never done twice."""
    moved = await tx.conn.execute(
        sa.update(records)
        .where(_mine(namespace, key, owner), records.c.state.in_(("running", "committed")))
        .values(state="committed")
    )
    if moved.rowcount != 1:
        raise ClaimLost(
            f"the claim on Idempotency-Key {key!r} was taken over by a repeat of this request; "
            "this one changed nothing"
        )


async def renew(tx: Tx, *, namespace: str, key: str, owner: str, lease: timedelta) -> None:
    await tx.conn.execute(
        sa.update(records)
        .where(_mine(namespace, key, owner), records.c.state != "done")
        .values(locked_until=tx.now + lease)
    )


async def finish(
    tx: Tx,
    *,
    namespace: str,
    key: str,
    owner: str,
    status: int,
    content_type: str | None,
    body: bytes | None,
) -> None:
    """Store the answer — only if this request still owns the record."""
    await tx.conn.execute(
        sa.update(records)
        .where(_mine(namespace, key, owner), records.c.state != "done")
        .values(
            state="done",
            response_status=status,
            response_type=content_type,
            response_body=body,
            locked_until=None,
        )
    )


async def abandon(tx: Tx, *, namespace: str, key: str, owner: str) -> None:
    """Forget a claim whose request committed nothing, so a retry runs afresh."""
    await tx.conn.execute(
        sa.delete(records).where(_mine(namespace, key, owner), records.c.state == "running")
    )


async def expire(tx: Tx, *, limit: int) -> int:
    """Delete records past their 24 h."""
    due = tx.due(sa.select(records.c.namespace, records.c.key), records.c.expires_at, limit=limit)
    rows = (await tx.conn.execute(due)).all()
    for namespace, key in rows:
        await tx.conn.execute(
            sa.delete(records).where(_where(namespace, key), records.c.expires_at <= tx.now)
        )
    return len(rows)
