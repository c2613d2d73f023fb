"""Opaque cursors for keyset pagination: ``?limit=&cursor=`` → ``{items, next_cursor}``."""

from __future__ import annotations

import base64
import json
from datetime import datetime
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


def _decode(cursor: str, *kinds: type) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        # The edge's rule: a forged cursor must not carry a string the database cannot take.
        key = strictjson.parse(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, strictjson.JsonRejected):
        key = None
    if not (isinstance(key, list) and len(key) == len(kinds)):
        raise bad_cursor()
    if any(type(part) is not kind for part, kind in zip(key, kinds, strict=True)):
        raise bad_cursor()
    return key


def decode_cursor(cursor: str | None, kind: type = str) -> Any:
    """The key a cursor made by ``encode_cursor`` holds; a damaged one is a 422 naming ``cursor``."""
    if cursor is None:
        return None
    return _decode(cursor, kind)[0]


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
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` in ``column`` order (or its reverse) after the cursor: the rows and the next
    cursor."""
    kind = int if isinstance(column.type, sa.Integer) else str
    after = decode_cursor(cursor, kind)
    if kind is int and after is not None and not 0 <= after < _int_limit(column):
        raise bad_cursor()
    if after is not None:
        stmt = stmt.where(column < after if descending else column > after)
    order = column.desc() if descending else column
    rows = list((await conn.execute(stmt.order_by(order).limit(limit + 1))).mappings())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1][column.key]])


async def newest_page(
    conn: AsyncConnection,
    stmt: sa.Select[Any],
    at: sa.ColumnElement[Any],
    key: sa.ColumnElement[Any],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt``'s rows that have an ``at`` time, the latest first (ties by ``key``, descending),
    after the cursor: the rows and the next cursor. ``key`` is a string column unique with ``at``."""
    stmt = stmt.where(at.is_not(None))
    if cursor is not None:
        when, after = _decode(cursor, str, str)
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            raise bad_cursor() from None
        if moment.tzinfo is None:
            raise bad_cursor()
        bound = sa.tuple_(sa.literal(moment, at.type), sa.literal(after, key.type))
        stmt = stmt.where(sa.tuple_(at, key) < bound)
    rows = list((await conn.execute(stmt.order_by(at.desc(), key.desc()).limit(limit + 1))).mappings())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1][at.key].isoformat(), rows[-1][key.key]])


def ended_status(status: str | None, ended: tuple[str, ...], order: str) -> str:
    """The status a latest-ended-first list is of: one of ``ended``, or a 422 naming ``status``."""
    if status not in ended:
        reason = f"order={order} lists one status that has ended: give status as one of {', '.join(ended)}"
        raise Invalid(reason, errors=[field_error("status", reason, "query")])
    return status
