"""The one rule for what enters: standard JSON (RFC 8259) of strings both databases can store.

Python's ``json`` module is lenient where the rule is not: it takes ``NaN``, ``Infinity`` and numbers that
overflow a double (stored as tokens no other parser reads, read back as ``null``), lets the last of two equal
keys win, and decodes ``"\\udfff"`` to a lone surrogate that no response can render. ``parse`` refuses all of
these, U+0000 (which PostgreSQL cannot store) and a non-zero number that underflows to zero, with the path of
each offending value, so a 422 names the field.

Cost: one ``json.loads`` with hooks for objects and numbers (about twice a plain parse). The tree is walked,
once and in linear time, only when a hook met something refused or the raw text holds an escape that can
make a refused character (a lone surrogate escape, ``\\u0000``); a paired surrogate escape (an emoji) does not
count.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterator
from typing import Any

from app.core.problem import MAX_LISTED_ERRORS, field_error

# Where a string or key is refused: U+0000 (PostgreSQL text and jsonb cannot hold it) and the surrogate
# code points, which are not Unicode scalar values (a string holding one cannot be encoded as UTF-8).
BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# Only a \u escape can put such a character into a decoded string (raw control characters are invalid JSON
# and raw UTF-8 never decodes to a surrogate). Each pattern starts with a literal, so the search is fast: a
# NUL escape, a high surrogate escape not followed by a low one, a low one not preceded by a high one. An
# escaped backslash before "u" may match too; the walk then finds nothing.
_SUSPECT_ESCAPES = (
    re.compile(rb"\\u0000"),
    re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"),
    re.compile(
        rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    ),
)
# The digits of the largest double: an integer literal this long or longer may overflow one.
_MAX_INT_DIGITS = len(str(int(sys.float_info.max)))
_NONZERO_MANTISSA = re.compile(r"^-?[0.]*[1-9]")


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot enter, or None when it may."""
    found = BAD_CHARACTER.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "must not contain the NUL character (U+0000)"
    return f"must be valid Unicode: a lone surrogate (U+{ord(char):04X}) is not a character"


def shown(text: str) -> str:
    """``text`` with each refused character written as its escape, so a problem can name it."""
    return BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class JsonRejected(Exception):
    """The body is not JSON this service accepts: ``status`` 400 or 422, with ``errors`` naming fields."""

    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["reason"] if errors else "invalid JSON")
        self.status = status
        self.errors = errors


class _Refused:
    """A number the hooks met that standard JSON of doubles does not allow, and why."""

    __slots__ = ("reason",)

    def __init__(self, token: str, why: str) -> None:
        token = token if len(token) <= 24 else token[:20] + "…"
        self.reason = f"must be a finite number that fits a double (RFC 8259): {token} {why}"


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
        return _Refused(token, "is not a number JSON has")

    def float_(self, token: str) -> Any:
        value = float(token)
        if math.isfinite(value) and (value != 0.0 or not _NONZERO_MANTISSA.match(token)):
            return value
        self.flagged = True
        return _Refused(token, "overflows a double" if value else "underflows a double to zero")

    def int_(self, token: str) -> Any:
        if len(token) < _MAX_INT_DIGITS:
            return int(token)
        # Length first: a huge literal must not cost quadratic time in int() (nor pass its digit limit).
        digits = len(token) - token.startswith("-")
        if digits > _MAX_INT_DIGITS or abs(int(token)) > sys.float_info.max:
            self.flagged = True
            return _Refused(token, "overflows a double")
        return int(token)

    def object_(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = _object(pairs)
        if type(obj) is _Duplicated:
            self.flagged = True
        return obj


def parse(body: bytes) -> Any:
    """The JSON value of ``body``; JsonRejected when it is not standard JSON of storable strings."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"the body must be UTF-8 JSON: invalid byte at offset {exc.start}"
        raise JsonRejected(422, [field_error("body", reason)]) from None
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
        raise JsonRejected(422, [field_error("body", reason)]) from None
    except RecursionError:
        reason = "the JSON nests too deep to parse"
        raise JsonRejected(400, [field_error("body", reason)]) from None
    if parser.flagged or any(pattern.search(body) for pattern in _SUSPECT_ESCAPES):
        errors = problems(value)
        if errors:
            raise JsonRejected(422, errors)
    return value


def _children(item: Any) -> tuple[Iterator[tuple[str, Any]], bool]:
    """The (name, child) pairs of a container, and whether the names are keys (to be checked too)."""
    if isinstance(item, dict):
        return iter(item.items()), True
    return ((str(i), child) for i, child in enumerate(item)), False


def problems(value: Any, where: str = "body") -> list[dict[str, str]]:
    """Every refused value, key and string in ``value`` (up to MAX_LISTED_ERRORS), each named by its path.
    Depth first, with one shared path: linear in the size of ``value``, whatever its depth."""
    found: list[dict[str, str]] = []
    path: list[str] = []

    def report(reason: str, *more: str) -> None:
        found.append(field_error(".".join((*path, *more)) or where, reason, where))

    def check(item: Any, key: str | None) -> bool:
        """Report what is wrong with ``item`` itself; True when it is a container to enter."""
        at = () if key is None else (key,)
        if isinstance(item, str):
            reason = string_problem(item)
            if reason is not None:
                report(reason, *at)
        elif isinstance(item, _Refused):
            report(item.reason, *at)
        elif isinstance(item, dict):
            if type(item) is _Duplicated:
                duplicate = shown(item.duplicate)
                report(f"the key {duplicate!r} occurs more than once in this object", *at, duplicate)
            return True
        elif isinstance(item, list):
            return True
        return False

    if not check(value, None):
        return found
    stack = [_children(value)]
    while stack and len(found) < MAX_LISTED_ERRORS:
        pairs, keyed = stack[-1]
        step = next(pairs, None)
        if step is None:
            stack.pop()
            if path:
                path.pop()
            continue
        key, child = step
        if keyed:
            reason = string_problem(key)
            if reason is not None:
                report("key " + reason, shown(key))
                continue
        if check(child, key):
            path.append(key)
            stack.append(_children(child))
    return found[:MAX_LISTED_ERRORS]
