"""Replicas: every process of the service writes a heartbeat while it runs, so the others can tell when it
died and take over what it held (its delivery claims) in seconds instead of waiting for their leases."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.core.db import Tx, metadata
from app.core.types import UTCDateTime

replicas = sa.Table(
    "replicas",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
    sa.Index("ix_replicas_heartbeat_at", "heartbeat_at"),
)


async def beat(tx: Tx, replica: str, started_at: datetime) -> None:
    """Say this replica is alive now (its row is made on its first beat)."""
    r = replicas.c
    moved = await tx.conn.execute(sa.update(replicas).where(r.id == replica).values(heartbeat_at=tx.now))
    if moved.rowcount == 0:
        await tx.conn.execute(
            sa.insert(replicas).values(id=replica, started_at=started_at, heartbeat_at=tx.now)
        )


async def leave(tx: Tx, replica: str) -> None:
    """This replica stops: its row goes, so what it still holds is taken over at once."""
    await tx.conn.execute(sa.delete(replicas).where(replicas.c.id == replica))


def alive(tx: Tx, stale_after: float) -> sa.Select[tuple[str]]:
    """The replicas whose last heartbeat is recent enough."""
    return alive_at(tx.now, stale_after)


def alive_at(now: datetime, stale_after: float) -> sa.Select[tuple[str]]:
    r = replicas.c
    return sa.select(r.id).where(r.heartbeat_at > now - timedelta(seconds=stale_after))


async def forget_dead(tx: Tx, stale_after: float) -> int:
    """Delete the rows of replicas silent for a long while (a hundred times ``stale_after``)."""
    r = replicas.c
    cutoff = tx.now - timedelta(seconds=stale_after * 100)
    return (await tx.conn.execute(sa.delete(replicas).where(r.heartbeat_at < cutoff))).rowcount
