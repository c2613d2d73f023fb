"""API keys, and the namespaces listing (a namespace and its signing secret are made in
``app.deliveries.signing``). Services flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.access.models import api_keys
from app.core.db import Tx
from app.core.ids import new_id
from app.core.pagination import Page, keyset_page
from app.deliveries import signing
from app.deliveries.models import namespaces
from app.errors import NotFound

KEY_PREFIX = "rdv_"


def new_key() -> str:
    """An API key: ``rdv_`` and 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def list_namespaces(
    conn: AsyncConnection, *, only: str | None, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    stmt = sa.select(namespaces.c.name, namespaces.c.created_at)
    if only is not None:
        stmt = stmt.where(namespaces.c.name == only)
    return await keyset_page(conn, stmt, namespaces.c.name, limit=limit, cursor=cursor)


async def create_key(tx: Tx, *, namespace: str, role: str, name: str | None) -> tuple[dict[str, Any], str]:
    """Store a new key's digest; return (row, the key itself — shown once, never stored)."""
    await signing.ensure(tx, namespace)
    key = new_key()
    row = {
        "id": new_id("key"),
        "namespace": namespace,
        "role": role,
        "name": name,
        "key_hash": hash_key(key),
        "prefix": key[:12],
        "created_at": tx.now,
        "revoked_at": None,
    }
    await tx.conn.execute(api_keys.insert(), [row])
    return row, key


async def list_keys(
    conn: AsyncConnection, *, namespace: str | None, limit: int, cursor: str | None
) -> Page[dict[str, Any]]:
    """Keys oldest first (digests never leave the database); every namespace when ``namespace`` is None."""
    stmt = sa.select(*(c for c in api_keys.c if c.key != "key_hash"))
    if namespace is not None:
        stmt = stmt.where(api_keys.c.namespace == namespace)
    rows, next_cursor = await keyset_page(conn, stmt, api_keys.c.id, limit=limit, cursor=cursor)
    return Page[dict[str, Any]](items=[dict(r) for r in rows], next_cursor=next_cursor)


async def revoke_key(tx: Tx, *, key_id: str, namespace: str | None) -> dict[str, Any]:
    """Revoke a key (a repeat is a no-op). ``namespace`` None: any namespace (the operator)."""
    stmt = sa.select(api_keys).where(api_keys.c.id == key_id)
    if namespace is not None:
        stmt = stmt.where(api_keys.c.namespace == namespace)
    row = (await tx.conn.execute(tx.for_update(stmt))).mappings().first()
    if row is None:
        raise NotFound(f"API key {key_id!r} does not exist")
    if row["revoked_at"] is None:
        await tx.conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=tx.now))
        return {**row, "revoked_at": tx.now}
    return dict(row)


async def find_key(conn: AsyncConnection, key: str) -> dict[str, Any] | None:
    """The live key row for a presented key, or None (unknown or revoked)."""
    stmt = sa.select(api_keys.c.id, api_keys.c.namespace, api_keys.c.role).where(
        api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None)
    )
    row = (await conn.execute(stmt)).mappings().first()
    return dict(row) if row is not None else None
