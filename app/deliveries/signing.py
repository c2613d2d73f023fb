"""Each namespace's signing secret: made on the namespace's first use, rotated with a grace period, and looked
up by the deliverer. The namespaces admin API (``app.access``) calls in here; nothing here calls out."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from app.core.db import Tx
from app.deliveries.models import NamespaceRow, namespaces
from app.deliveries.sender import SECRET_PREFIX


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _row(mapping: RowMapping) -> NamespaceRow:
    return cast(NamespaceRow, dict(mapping))


def _select(name: str) -> sa.Select[Any]:
    return sa.select(namespaces).where(namespaces.c.name == name)


async def create(tx: Tx, name: str) -> tuple[NamespaceRow, bool]:
    """Create a namespace with a fresh signing secret: (its row, whether this call made it). An existing one
    is returned as it is."""
    insert = tx.insert(namespaces).values(name=name, signing_secret=new_secret(), created_at=tx.now)
    made = (await tx.conn.execute(insert.on_conflict_do_nothing().returning(namespaces.c.name))).first()
    return _row((await tx.conn.execute(_select(name))).mappings().one()), made is not None


async def ensure(tx: Tx, name: str) -> NamespaceRow:
    """The namespace's row, created with a fresh signing secret when it does not exist yet."""
    row = (await tx.conn.execute(_select(name))).mappings().first()
    if row is not None:
        return _row(row)
    created, _made = await create(tx, name)
    return created


async def rotate(tx: Tx, name: str, *, grace: timedelta) -> NamespaceRow:
    """A new signing secret; the old one keeps signing alongside it for ``grace``."""
    current = await ensure(tx, name)
    rotated: NamespaceRow = {
        **current,
        "signing_secret": new_secret(),
        "previous_signing_secret": current["signing_secret"],
        "previous_secret_expires_at": tx.now + grace,
        "secret_rotated_at": tx.now,
    }
    await tx.conn.execute(
        sa.update(namespaces)
        .where(namespaces.c.name == name)
        .values(
            signing_secret=rotated["signing_secret"],
            previous_signing_secret=rotated["previous_signing_secret"],
            previous_secret_expires_at=rotated["previous_secret_expires_at"],
            secret_rotated_at=rotated["secret_rotated_at"],
        )
    )
    tx.emit("signing", name)  # deliverers that keep the old secret look it up again
    return rotated


def signing_secrets(row: NamespaceRow, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its grace period."""
    found = [row["signing_secret"]]
    expires = row["previous_secret_expires_at"]
    if row["previous_signing_secret"] and expires is not None and expires > now:
        found.append(row["previous_signing_secret"])
    return found


async def for_namespaces(tx: Tx, names: set[str]) -> dict[str, list[str]]:
    """The secrets each namespace signs with now (two during a rotation's grace period); a namespace without
    a row yet gets one."""
    rows = await namespace_rows(tx, names)
    return {name: signing_secrets(row, tx.now) for name, row in rows.items()}


async def namespace_rows(tx: Tx, names: set[str]) -> dict[str, NamespaceRow]:
    """The rows of these namespaces; a namespace without a row yet gets one."""
    if not names:
        return {}
    stmt = sa.select(namespaces).where(namespaces.c.name.in_(names))
    rows = {r["name"]: _row(r) for r in (await tx.conn.execute(stmt)).mappings()}
    for name in names - rows.keys():
        rows[name] = await ensure(tx, name)
    return rows
