"""The steps of a definition as (name, loc, body), from a map keyed by name or an array of {name, …}."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.workflows.graph_fields import Issues, at
from app.workflows.graph_model import MAX_STEPS, STEP_NAME_PATTERN

_STEP_NAME = re.compile(STEP_NAME_PATTERN)


@dataclass(frozen=True)
class Entry:
    name: str
    loc: str
    body: dict[str, Any] | None  # None when the body is not an object (the name still resolves references)


def read_entries(container: Any, loc: str, issues: Issues) -> list[Entry]:
    """Every named entry in definition order; names are checked, duplicates and overflows reported."""
    if isinstance(container, dict):
        entries = [_map_entry(name, body, loc, issues) for name, body in container.items()]
    elif isinstance(container, list):
        entries = _array_entries(container, loc, issues)
    else:
        issues.error(loc, "invalid", "must be an object keyed by step name, or an array of {name, …}")
        return []
    if len(entries) > MAX_STEPS:
        issues.error(loc, "too_many_steps", f"{len(entries)} steps; at most {MAX_STEPS}")
    return entries


def _map_entry(name: str, body: Any, loc: str, issues: Issues) -> Entry:
    entry_loc = at(loc, name)
    _check_name(name, entry_loc, issues)
    if not isinstance(body, dict):
        issues.error(entry_loc, "invalid", "must be an object")
        return Entry(name, entry_loc, None)
    return Entry(name, entry_loc, body)


def _array_entries(items: list[Any], loc: str, issues: Issues) -> list[Entry]:
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, body in enumerate(items):
        entry_loc = at(loc, i)
        if not isinstance(body, dict):
            issues.error(entry_loc, "invalid", "must be an object with a name")
            continue
        name = body.get("name")
        if not isinstance(name, str):
            issues.error(
                at(entry_loc, "name"), "missing" if name is None else "invalid", "a name is required"
            )
            continue
        if name in seen:
            issues.error(at(entry_loc, "name"), "duplicate_step", f"{name!r} is defined twice")
            continue
        seen.add(name)
        _check_name(name, at(entry_loc, "name"), issues)
        entries.append(Entry(name, entry_loc, body))
    return entries


def _check_name(name: str, loc: str, issues: Issues) -> None:
    if _STEP_NAME.fullmatch(name) is None:
        issues.error(loc, "name_invalid", f"step name {name!r} must match {STEP_NAME_PATTERN}")
