"""Idempotency-Key on POST: the first response (status and body) is replayed byte for byte for 24 h.

The same key with another request is a 422; while the first request runs, a repeat waits a little for it and
then answers 409. Keys are scoped per namespace. A request that ends in a server error (5xx), or that never
reached its handler (401, 403, 429), leaves no record, so a retry runs again. A record whose request died
with its process is taken over once its lease expires.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.access.models import idempotency_keys as records
from app.core.db import Tx


@dataclass(frozen=True)
class Claim:
    """What to do with a request: run it, replay a stored response, or refuse it."""

    action: str  # run | replay | mismatch | busy
    row: dict[str, Any] | None = None


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _where(namespace: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(records.c.namespace == namespace, records.c.key == key)


async def claim(
    tx: Tx, *, namespace: str, key: str, fingerprint: str, lease: timedelta, ttl: timedelta
) -> Claim:
    """Record the request as running, or say why it must not run."""
    running = {
        "fingerprint": fingerprint,
        "state": "running",
        "response_status": None,
        "response_type": None,
        "response_body": None,
        "created_at": tx.now,
        "locked_until": tx.now + lease,
        "expires_at": tx.now + ttl,
    }
    insert = tx.insert(records).values(namespace=namespace, key=key, **running)
    if (await tx.conn.execute(insert.on_conflict_do_nothing().returning(records.c.key))).first():
        return Claim("run")
    row = dict(
        (await tx.conn.execute(tx.for_update(sa.select(records).where(_where(namespace, key)))))
        .mappings()
        .one()
    )
    if row["expires_at"] <= tx.now:  # an old record: the key starts afresh
        await tx.conn.execute(sa.update(records).where(_where(namespace, key)).values(**running))
        return Claim("run")
    if row["fingerprint"] != fingerprint:
        return Claim("mismatch", row)
    if row["state"] == "done":
        return Claim("replay", row)
    if row["locked_until"] > tx.now:
        return Claim("busy", row)
    await tx.conn.execute(
        sa.update(records).where(_where(namespace, key)).values(locked_until=tx.now + lease)
    )
    return Claim("run")  # its first request died with its process


async def finish(
    tx: Tx, *, namespace: str, key: str, status: int, content_type: str | None, body: bytes | None
) -> None:
    await tx.conn.execute(
        sa.update(records)
        .where(_where(namespace, key), records.c.state == "running")
        .values(
            state="done",
            response_status=status,
            response_type=content_type,
            response_body=body,
            locked_until=None,
        )
    )


async def abandon(tx: Tx, *, namespace: str, key: str) -> None:
    await tx.conn.execute(sa.delete(records).where(_where(namespace, key), records.c.state == "running"))


async def expire(tx: Tx, *, limit: int) -> int:
    """Delete records past their 24 h."""
    due = sa.select(records.c.namespace, records.c.key).where(records.c.expires_at <= tx.now).limit(limit)
    rows = (await tx.conn.execute(due)).all()
    for namespace, key in rows:
        await tx.conn.execute(
            sa.delete(records).where(_where(namespace, key), records.c.expires_at <= tx.now)
        )
    return len(rows)
