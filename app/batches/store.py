"""Row-level batch helpers shared by reads and writes: batch rows and their item sets (no FastAPI)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from app.batches.models import BatchRow, batch_items, batches
from app.batches.schemas import REPORT_SETS
from app.core.db import Tx, chunks
from app.errors import NotFound


def batch_where(namespace: str, job_id: str, index: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        batches.c.namespace == namespace, batches.c.job_id == job_id, batches.c.batch_index == index
    )


async def get_row(conn: AsyncConnection, namespace: str, job_id: str, index: int) -> BatchRow:
    row = (
        (await conn.execute(sa.select(batches).where(batch_where(namespace, job_id, index))))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"batch {index} of job {job_id!r} does not exist")
    return cast(BatchRow, dict(row))


async def lock_row(tx: Tx, namespace: str, job_id: str, index: int) -> BatchRow:
    stmt = tx.for_update(sa.select(batches).where(batch_where(namespace, job_id, index)))
    row = (await tx.conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"batch {index} of job {job_id!r} does not exist")
    return cast(BatchRow, dict(row))


async def set_counts(conn: AsyncConnection, batch_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {b: dict.fromkeys(REPORT_SETS, 0) for b in batch_ids}
    if batch_ids:
        stmt = (
            sa.select(batch_items.c.batch_id, batch_items.c.set_name, sa.func.count())
            .where(batch_items.c.batch_id.in_(batch_ids))
            .group_by(batch_items.c.batch_id, batch_items.c.set_name)
        )
        for batch_id, set_name, count in (await conn.execute(stmt)).all():
            counts[batch_id][set_name] = count
    return counts


# PostgreSQL takes a whole set as one array parameter (one statement, one bind each way); SQLite gets
# executemany inserts and IN lists in chunks.
_TEXT_ARRAY = postgresql.ARRAY(sa.Text)
_UNNEST = (
    sa.func.unnest(sa.bindparam("b_items", type_=_TEXT_ARRAY), sa.bindparam("b_errors", type_=_TEXT_ARRAY))
    .table_valued("item", "error")
    .render_derived()
)
_PG_INSERT = postgresql.insert(batch_items).from_select(
    ["batch_id", "set_name", "item", "error"],
    sa.select(
        sa.bindparam("b_batch", type_=sa.String),
        sa.bindparam("b_set", type_=sa.String),
        _UNNEST.c.item,
        _UNNEST.c.error,
    ),
)
# An id can come back to pending (PUT …/sets/pending) after it was skipped or errored once.
_PG_INSERT = _PG_INSERT.on_conflict_do_update(
    index_elements=[batch_items.c.batch_id, batch_items.c.set_name, batch_items.c.item],
    set_={"error": _PG_INSERT.excluded.error},
)
_SQLITE_INSERT = sqlite.insert(batch_items)
_SQLITE_INSERT = _SQLITE_INSERT.on_conflict_do_update(
    index_elements=[batch_items.c.batch_id, batch_items.c.set_name, batch_items.c.item],
    set_={"error": _SQLITE_INSERT.excluded.error},
)
_PG_REMOVE = (
    sa.delete(batch_items)
    .where(
        batch_items.c.batch_id == sa.bindparam("b_batch"),
        batch_items.c.set_name == sa.bindparam("b_set"),
        batch_items.c.item == sa.any_(sa.bindparam("b_items", type_=_TEXT_ARRAY)),
    )
    .returning(batch_items.c.item)
)


async def insert_items(
    tx: Tx, batch_id: str, set_name: str, items: Sequence[str], errors: Sequence[str | None] | None = None
) -> None:
    """Add distinct ids to a set (an id already there keeps its place and takes the new reason)."""
    if not items:
        return
    reasons = list(errors) if errors is not None else [None] * len(items)
    if tx.is_postgres:
        params = {"b_batch": batch_id, "b_set": set_name, "b_items": list(items), "b_errors": reasons}
        await tx.conn.execute(_PG_INSERT, params)
        return
    rows = [
        {"batch_id": batch_id, "set_name": set_name, "item": item, "error": error}
        for item, error in zip(items, reasons, strict=True)
    ]
    await tx.conn.execute(_SQLITE_INSERT, rows)


async def remove_items(tx: Tx, batch_id: str, set_name: str, items: Sequence[str]) -> set[str]:
    """Delete the given ids from a set; return those that were in it."""
    if not items:
        return set()
    if tx.is_postgres:
        params = {"b_batch": batch_id, "b_set": set_name, "b_items": list(items)}
        return set((await tx.conn.execute(_PG_REMOVE, params)).scalars())
    removed: set[str] = set()
    for part in chunks(list(items)):
        stmt = (
            sa.delete(batch_items)
            .where(
                batch_items.c.batch_id == batch_id,
                batch_items.c.set_name == set_name,
                batch_items.c.item.in_(part),
            )
            .returning(batch_items.c.item)
        )
        removed.update((await tx.conn.execute(stmt)).scalars())
    return removed


async def clear_set(tx: Tx, batch_id: str, set_name: str) -> list[str]:
    stmt = (
        sa.delete(batch_items)
        .where(batch_items.c.batch_id == batch_id, batch_items.c.set_name == set_name)
        .returning(batch_items.c.item)
    )
    return list((await tx.conn.execute(stmt)).scalars())
