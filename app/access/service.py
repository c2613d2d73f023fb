"""Namespaces: made on first use, each with its own signing secret."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.access.models import namespaces
from app.core.db import Tx
from app.deliveries.sender import new_secret


async def ensure(tx: Tx, name: str) -> dict[str, Any]:
    """The namespace row, created with a fresh signing secret when it does not exist yet."""
    stmt = sa.select(namespaces).where(namespaces.c.name == name)
    row = (await tx.conn.execute(stmt)).mappings().first()
    if row is not None:
        return dict(row)
    insert = tx.insert(namespaces).values(name=name, signing_secret=new_secret(), created_at=tx.now)
    await tx.conn.execute(insert.on_conflict_do_nothing())
    return dict((await tx.conn.execute(stmt)).mappings().one())
