"""Queries of access: the namespaces listing, API keys, and the caller behind a presented key."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.access.models import KeyRow, api_keys
from app.access.schemas import KeyRead, NamespaceInfo
from app.access.service import hash_key
from app.core.caller import Caller
from app.core.pagination import Page, keyset_page
from app.deliveries.models import NamespaceEntry, namespaces

_KEY_COLUMNS = [c for c in api_keys.c if c.key != "key_hash"]  # digests never leave the database


async def list_namespaces(
    conn: AsyncConnection, *, only: str | None, limit: int, cursor: str | None
) -> Page[NamespaceInfo]:
    """Namespaces by name; only ``only`` when it is given."""
    stmt = sa.select(namespaces.c.name, namespaces.c.created_at)
    if only is not None:
        stmt = stmt.where(namespaces.c.name == only)
    rows, next_cursor = await keyset_page(conn, stmt, namespaces.c.name, limit=limit, cursor=cursor)
    items = [NamespaceInfo.from_row(cast(NamespaceEntry, dict(r))) for r in rows]
    return Page[NamespaceInfo](items=items, next_cursor=next_cursor)


async def list_keys(
    conn: AsyncConnection, *, namespace: str | None, limit: int, cursor: str | None
) -> Page[KeyRead]:
    """Keys oldest first; every namespace when ``namespace`` is None."""
    stmt = sa.select(*_KEY_COLUMNS)
    if namespace is not None:
        stmt = stmt.where(api_keys.c.namespace == namespace)
    rows, next_cursor = await keyset_page(conn, stmt, api_keys.c.id, limit=limit, cursor=cursor)
    items = [KeyRead.from_row(cast(KeyRow, dict(r))) for r in rows]
    return Page[KeyRead](items=items, next_cursor=next_cursor)


async def find_caller(conn: AsyncConnection, key: str) -> Caller | None:
    """The caller a presented key stands for, or None (unknown or revoked)."""
    stmt = sa.select(api_keys.c.namespace, api_keys.c.role, api_keys.c.id).where(
        api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None)
    )
    row = (await conn.execute(stmt)).first()
    return Caller(row.namespace, row.role, row.id) if row is not None else None
