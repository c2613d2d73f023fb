"""Opaque cursors for keyset pagination: ``?limit=&cursor=`` → ``{items, next_cursor}``."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from app.errors import Invalid

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list and the cursor of the next, or null at the end."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """Decode a cursor made by ``encode_cursor``; a damaged one is a 422 naming ``cursor``."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or not key:
        raise Invalid(
            "cursor is not valid",
            errors=[{"field": "cursor", "in": "query", "reason": "not a cursor this service issued"}],
        )
    return key
