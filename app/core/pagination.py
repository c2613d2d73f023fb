"""Opaque cursors for keyset pagination: ``?limit=&cursor=`` → ``{items, next_cursor}``."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core import strictjson
from app.core.problem import field_error
from app.errors import Invalid

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list and the cursor of the next, or null at the end."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: type = str) -> Any:
    """The key a cursor made by ``encode_cursor`` holds; a damaged one is a 422 naming ``cursor``."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        # The edge's rule: a forged cursor must not carry a string the database cannot take.
        key = strictjson.parse(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, strictjson.JsonRejected):
        key = None
    if not (isinstance(key, list) and len(key) == 1 and type(key[0]) is kind):
        raise bad_cursor()
    return key[0]


def _int_limit(column: sa.ColumnElement[Any]) -> int:
    return 2**63 if isinstance(column.type, sa.BigInteger) else 2**31


def bad_cursor() -> Invalid:
    return Invalid(
        "cursor is not valid",
        errors=[field_error("cursor", "not a cursor this service issued", "query")],
    )


async def keyset_page(
    conn: AsyncConnection,
    stmt: sa.Select[Any],
    column: sa.ColumnElement[Any],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` in ``column`` order after the cursor: the rows and the next cursor."""
    kind = int if isinstance(column.type, sa.Integer) else str
    after = decode_cursor(cursor, kind)
    if kind is int and after is not None and not 0 <= after < _int_limit(column):
        raise bad_cursor()
    if after is not None:
        stmt = stmt.where(column > after)
    rows = list((await conn.execute(stmt.order_by(column).limit(limit + 1))).mappings())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1][column.key]])
