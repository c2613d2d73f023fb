"""Queries of the outbox: a delivery with its attempts, and the filtered listing."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.pagination import Page, keyset_page
from app.deliveries.models import AttemptRow, DeliveryRow, DeliveryStatus, deliveries, delivery_attempts
from app.deliveries.schemas import DeliveryDetail, DeliveryRead
from app.errors import NotFound


async def get_row(conn: AsyncConnection, *, namespace: str, delivery_id: str) -> DeliveryRow:
    """The namespace's delivery row, or NotFound."""
    stmt = sa.select(deliveries).where(deliveries.c.namespace == namespace, deliveries.c.id == delivery_id)
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"delivery {delivery_id!r} does not exist")
    return cast(DeliveryRow, dict(row))


async def get(conn: AsyncConnection, *, namespace: str, delivery_id: str) -> DeliveryDetail:
    """A delivery with its event and every attempt."""
    row = await get_row(conn, namespace=namespace, delivery_id=delivery_id)
    stmt = (
        sa.select(delivery_attempts)
        .where(delivery_attempts.c.delivery_id == delivery_id)
        .order_by(delivery_attempts.c.attempt)
    )
    attempts = [cast(AttemptRow, dict(a)) for a in (await conn.execute(stmt)).mappings()]
    return DeliveryDetail.with_attempts(row, attempts)


async def list_deliveries(
    conn: AsyncConnection,
    *,
    namespace: str,
    status: DeliveryStatus | None,
    subject_id: str | None,
    limit: int,
    cursor: str | None,
    subject_kind: str | None = None,
) -> Page[DeliveryRead]:
    """Deliveries, newest last, filtered by status and subject."""
    stmt = sa.select(deliveries).where(deliveries.c.namespace == namespace)
    if status is not None:
        stmt = stmt.where(deliveries.c.status == status)
    if subject_kind is not None:
        stmt = stmt.where(deliveries.c.subject_kind == subject_kind)
    if subject_id is not None:
        stmt = stmt.where(deliveries.c.subject_id == subject_id)
    rows, next_cursor = await keyset_page(conn, stmt, deliveries.c.id, limit=limit, cursor=cursor)
    items = [DeliveryRead.from_row(cast(DeliveryRow, dict(r))) for r in rows]
    return Page[DeliveryRead](items=items, next_cursor=next_cursor)
