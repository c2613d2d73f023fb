"""Wait reads: a group's current wait, a wait by id, the list, and participant keys in join order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import chunks
from app.core.pagination import Page, keyset_page
from app.errors import NotFound
from app.waits.models import WaitRow, WaitStatus, wait_participants, waits
from app.waits.schemas import WaitRead

PREVIEW = 1000


async def participants(conn: AsyncConnection, wait_ids: Sequence[str], *, limit: int) -> dict[str, list[str]]:
    """Participant keys by wait, in join order, at most ``limit`` each."""
    found: dict[str, list[str]] = {}
    for part in chunks(wait_ids):
        stmt = (
            sa.select(wait_participants.c.wait_id, wait_participants.c.participant_key)
            .where(wait_participants.c.wait_id.in_(part), wait_participants.c.position <= limit)
            .order_by(wait_participants.c.wait_id, wait_participants.c.position)
        )
        for wait_id, key in (await conn.execute(stmt)).all():
            found.setdefault(wait_id, []).append(key)
    return found


async def next_deadline(conn: AsyncConnection) -> datetime | None:
    """The earliest timer of an open wait: the first entry of the due index, whatever the statistics."""
    stmt = sa.select(sa.func.min(waits.c.deadline_at)).where(
        waits.c.status == "waiting", waits.c.deadline_at.is_not(None)
    )
    found: datetime | None = (await conn.execute(stmt)).scalar()
    return found


async def current(conn: AsyncConnection, *, namespace: str, group_key: str) -> WaitRow:
    """The group's open wait, else its latest one.

    Each is a probe only one index serves, so the plan does not depend on statistics: the open wait by the
    unique index of open waits; the latest, as the last entry at or before the group in
    (namespace, group_key, id) order. Without statistics a filter on both columns would let the
    (namespace, status) index look as cheap, and a plan cached then reads every wait of the namespace.
    """
    w = waits.c
    stmt = sa.select(waits).where(w.namespace == namespace, w.group_key == group_key, w.status == "waiting")
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        key = sa.tuple_(w.namespace, w.group_key)
        stmt = (
            sa.select(waits)
            .where(key <= sa.tuple_(sa.literal(namespace), sa.literal(group_key)))
            .order_by(w.namespace.desc(), w.group_key.desc(), w.id.desc())
            .limit(1)
        )
        row = (await conn.execute(stmt)).mappings().first()
        if row is None or (row["namespace"], row["group_key"]) != (namespace, group_key):
            raise NotFound(f"no wait for group {group_key!r}")
    return cast(WaitRow, dict(row))


async def get(conn: AsyncConnection, *, namespace: str, wait_id: str) -> WaitRow:
    stmt = sa.select(waits).where(waits.c.namespace == namespace, waits.c.id == wait_id)
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"wait {wait_id!r} does not exist")
    return cast(WaitRow, dict(row))


async def preview(conn: AsyncConnection, wait_id: str) -> list[str]:
    """The first participant keys of one wait, in join order, as its read model shows them."""
    return (await participants(conn, [wait_id], limit=PREVIEW)).get(wait_id, [])


async def to_read(conn: AsyncConnection, row: WaitRow) -> WaitRead:
    return WaitRead.from_row(row, participants=await preview(conn, row["id"]))


async def _reads(conn: AsyncConnection, rows: Sequence[WaitRow]) -> list[WaitRead]:
    keys = await participants(conn, [r["id"] for r in rows], limit=PREVIEW)
    return [WaitRead.from_row(row, participants=keys.get(row["id"], [])) for row in rows]


async def list_waits(
    conn: AsyncConnection,
    *,
    namespace: str,
    group_key: str | None,
    status: WaitStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[WaitRead]:
    """Waits oldest first, filtered by group key and status."""
    stmt = sa.select(waits).where(waits.c.namespace == namespace)
    if group_key is not None:
        stmt = stmt.where(waits.c.group_key == group_key)
    if status is not None:
        stmt = stmt.where(waits.c.status == status)
    rows, next_cursor = await keyset_page(conn, stmt, waits.c.id, limit=limit, cursor=cursor)
    items = await _reads(conn, [cast(WaitRow, dict(r)) for r in rows])
    return Page[WaitRead](items=items, next_cursor=next_cursor)
