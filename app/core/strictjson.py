"""The one rule for what enters: standard JSON (RFC 8259) of strings both databases can store.

Python's ``json`` module is lenient where the rule is not: it takes ``NaN``, ``Infinity`` and numbers that
overflow a double (stored as tokens no other parser reads, read back as ``null``), lets the last of two equal
keys win, and decodes ``"\\udfff"`` to a lone surrogate that no response can render. ``parse`` refuses all of
these, and U+0000 (which PostgreSQL cannot store), with the path of each offending value, so a 422 names the
field. Valid input costs one ``json.loads`` with cheap hooks; the tree is walked only when a hook or the raw
text says something may be wrong.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from app.core.problem import MAX_LISTED_ERRORS

# Where a string or key is refused: U+0000 (PostgreSQL text and jsonb cannot hold it) and the surrogate
# code points, which are not Unicode scalar values (a string holding one cannot be encoded as UTF-8).
BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# Only a \u escape can put such a character into a decoded string (raw control characters are invalid JSON
# and raw UTF-8 never decodes to a surrogate); a paired surrogate escape also matches, and is then found fine.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# The digits of the largest double: an integer literal this long or longer may overflow one.
_MAX_INT_DIGITS = len(str(int(sys.float_info.max)))


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot enter, or None when it may."""
    found = BAD_CHARACTER.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "must not contain the NUL character (U+0000)"
    return f"must be valid Unicode: a lone surrogate (U+{ord(char):04X}) is not a character"


class JsonRejected(Exception):
    """The body is not JSON this service accepts: ``status`` 400 or 422, with ``errors`` naming fields."""

    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["reason"] if errors else "invalid JSON")
        self.status = status
        self.errors = errors


class _Refused:
    """A value the hooks met that standard JSON does not have (non-finite or overflowing number)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


class _Duplicated(dict[str, Any]):
    """An object in which some key occurred more than once (the first such key is remembered)."""

    duplicate: str = ""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    marked = _Duplicated(obj)
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


class _Parser:
    """One parse: hooks that flag what standard JSON does not allow, so clean input is never walked."""

    def __init__(self) -> None:
        self.flagged = False

    def constant(self, token: str) -> Any:
        self.flagged = True
        return _Refused(token)

    def float_(self, token: str) -> Any:
        value = float(token)
        if math.isfinite(value):
            return value
        self.flagged = True
        return _Refused(token if len(token) <= 24 else token[:20] + "…")

    def int_(self, token: str) -> Any:
        if len(token) < _MAX_INT_DIGITS:
            return int(token)
        # Length first: a huge literal must not cost quadratic time in int() (nor pass its digit limit).
        digits = len(token) - token.startswith("-")
        if digits > _MAX_INT_DIGITS or abs(int(token)) > sys.float_info.max:
            self.flagged = True
            return _Refused(token[:20] + "…")
        return int(token)

    def object_(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = _object(pairs)
        if isinstance(obj, _Duplicated):
            self.flagged = True
        return obj


def parse(body: bytes) -> Any:
    """The JSON value of ``body``; JsonRejected when it is not standard JSON of storable strings."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"the body must be UTF-8: invalid byte at offset {exc.start}"
        raise JsonRejected(422, [{"field": "body", "in": "body", "reason": reason}]) from None
    parser = _Parser()
    try:
        value = json.loads(
            text,
            object_pairs_hook=parser.object_,
            parse_constant=parser.constant,
            parse_float=parser.float_,
            parse_int=parser.int_,
        )
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON at character {exc.pos}: {exc.msg}"
        raise JsonRejected(422, [{"field": "body", "in": "body", "reason": reason}]) from None
    except RecursionError:
        reason = "the JSON nests too deep to parse"
        raise JsonRejected(400, [{"field": "body", "in": "body", "reason": reason}]) from None
    if parser.flagged or _SUSPECT_ESCAPE.search(body):
        errors = problems(value)
        if errors:
            raise JsonRejected(422, errors)
    return value


def problems(value: Any, where: str = "body") -> list[dict[str, str]]:
    """Every refused value, key and string in ``value`` (up to MAX_LISTED_ERRORS), each named by its path."""
    found: list[dict[str, str]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack and len(found) < MAX_LISTED_ERRORS:
        item, path = stack.pop()
        field = ".".join(path) or where
        if isinstance(item, str):
            reason = string_problem(item)
            if reason is not None:
                found.append({"field": field, "in": where, "reason": reason})
        elif isinstance(item, _Refused):
            reason = f"must be a finite number that fits a double (RFC 8259), not {item.token}"
            found.append({"field": field, "in": where, "reason": reason})
        elif isinstance(item, dict):
            if isinstance(item, _Duplicated):
                reason = f"the key {item.duplicate!r} occurs more than once in this object"
                found.append({"field": ".".join((*path, item.duplicate)), "in": where, "reason": reason})
            for key, child in reversed(list(item.items())):
                reason = string_problem(key)
                if reason is not None:
                    shown = BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", key)
                    found.append({"field": ".".join((*path, shown)), "in": where, "reason": "key " + reason})
                    continue
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, str(i))) for i, child in reversed(list(enumerate(item))))
    return found
