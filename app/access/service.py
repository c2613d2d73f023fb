"""API keys: made (shown once, stored as a digest) and revoked. Services flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from typing import cast

import sqlalchemy as sa

from app.access.models import StoredKeyRow, api_keys
from app.core.caller import Role
from app.core.db import Tx
from app.core.ids import new_id
from app.deliveries import signing
from app.errors import NotFound

KEY_PREFIX = "rdv_"


def new_key() -> str:
    """An API key: ``rdv_`` and 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(tx: Tx, *, namespace: str, role: Role, name: str | None) -> tuple[StoredKeyRow, str]:
    """Store a new key's digest; return (row, the key itself — shown once, never stored). The namespace is
    made (with its signing secret) on its first key."""
    await signing.ensure(tx, namespace)
    key = new_key()
    row: StoredKeyRow = {
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


async def revoke_key(tx: Tx, *, key_id: str, namespace: str | None) -> StoredKeyRow:
    """Revoke a key (a repeat is a no-op). ``namespace`` None: any namespace (the operator)."""
    stmt = sa.select(api_keys).where(api_keys.c.id == key_id)
    if namespace is not None:
        stmt = stmt.where(api_keys.c.namespace == namespace)
    found = (await tx.conn.execute(tx.for_update(stmt))).mappings().first()
    if found is None:
        raise NotFound(f"API key {key_id!r} does not exist")
    row = cast(StoredKeyRow, dict(found))
    if row["revoked_at"] is None:
        await tx.conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=tx.now))
        row["revoked_at"] = tx.now
    return row
