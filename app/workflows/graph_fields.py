"""Reading one definition field at a time: each reader records every problem it finds and returns a usable
value (a default when the field is faulty), so compiling goes on and one pass lists every problem."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard, get_args

from app.workflows.graph_model import (
    MAX_DELAY_SECONDS,
    MAX_RETRY_COUNT,
    MAX_THROTTLE_KEY,
    MAX_THROTTLE_LIMIT,
    MAX_TIMEOUT_SECONDS,
    NAME_PATTERN,
    THROTTLE_KEY_PATTERN,
    HandlerRef,
    Problem,
    RetryPolicy,
    Strategy,
    Throttle,
)

_NAME = re.compile(NAME_PATTERN)
TEMPLATE = re.compile(r"\{([^{}]*)\}")
_BAD_ESCAPE = re.compile(r"~(?![01])")
RETRY_FIELDS = frozenset({"count", "strategy", "base_delay", "max_delay", "jitter"})
THROTTLE_FIELDS = frozenset({"key", "limit"})
HANDLER_FIELDS = frozenset({"name", "version"})
PTR = "$ptr"


@dataclass
class Issues:
    """The problems found so far, in the order they were found."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, loc: str, code: str, message: str, steps: tuple[str, ...] = ()) -> None:
        self.errors.append(Problem(loc, code, message, steps))

    def warn(self, loc: str, code: str, message: str, steps: tuple[str, ...] = ()) -> None:
        self.warnings.append(Problem(loc, code, message, steps))


@dataclass(frozen=True)
class Ref:
    """A JSON pointer found in a step (`each`, `params`, a throttle key template) or in the run's output,
    kept so the graph checks can tell whether the step it names is upstream."""

    loc: str
    owner: str | None
    target: str | None  # the step of /steps/{target}/output…, None for /input…
    each: bool = False


def at(loc: str, *parts: str | int) -> str:
    """`loc` extended by each part, escaped as RFC 6901 says."""
    return loc + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def is_name(value: str) -> bool:
    return _NAME.fullmatch(value) is not None


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def object_at(value: Any, loc: str, allowed: Collection[str], issues: Issues) -> dict[str, Any] | None:
    """`value` when it is a JSON object, with `unknown_field` for each key outside `allowed`."""
    if not isinstance(value, dict):
        issues.error(loc, "invalid", "must be an object")
        return None
    for key in value:
        if key not in allowed:
            issues.error(at(loc, key), "unknown_field", f"unknown field {key!r}")
    return value


def read_bool(obj: dict[str, Any], key: str, loc: str, issues: Issues) -> bool:
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        issues.error(at(loc, key), "invalid", "must be true or false")
        return False
    return value


def read_str(obj: dict[str, Any], key: str, loc: str, issues: Issues) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        issues.error(at(loc, key), "invalid", "must be a string")
        return None
    return value


def read_handler(entry: Any, loc: str, issues: Issues) -> HandlerRef | None:
    """A handler entry: a name, or {name, version}; the version is passed on as handler_version."""
    if isinstance(entry, str):
        if not is_name(entry):
            issues.error(loc, "name_invalid", f"handler name {entry!r} must match {NAME_PATTERN}")
            return None
        return HandlerRef(entry)
    obj = object_at(entry, loc, HANDLER_FIELDS, issues)
    if obj is None:
        return None
    name, version = obj.get("name"), obj.get("version")
    if not isinstance(name, str):
        issues.error(at(loc, "name"), "missing" if name is None else "invalid", "a handler name is required")
    elif not is_name(name):
        issues.error(at(loc, "name"), "name_invalid", f"handler name {name!r} must match {NAME_PATTERN}")
    if version is not None and not (isinstance(version, str) and version):
        issues.error(at(loc, "version"), "invalid", "must be a non-empty string")
        version = None
    return HandlerRef(name, version) if isinstance(name, str) and is_name(name) else None


def read_retry(value: Any, loc: str, issues: Issues) -> RetryPolicy:
    """The retry policy; `bad_retry` for values out of range, the default policy when faulty."""
    if value is None:
        return RetryPolicy()
    obj = object_at(value, loc, RETRY_FIELDS, issues)
    if obj is None:
        return RetryPolicy()
    before = len(issues.errors)
    count = obj.get("count", 1)
    if not is_int(count) or not 1 <= count <= MAX_RETRY_COUNT:
        issues.error(at(loc, "count"), "bad_retry", f"count (total attempts) must be 1–{MAX_RETRY_COUNT}")
    strategy = obj.get("strategy", "exponential")
    if strategy not in get_args(Strategy):
        issues.error(at(loc, "strategy"), "bad_retry", "strategy must be exponential, constant or linear")
    jitter = obj.get("jitter", False)
    if not isinstance(jitter, bool) and jitter != "full":
        issues.error(at(loc, "jitter"), "bad_retry", 'jitter must be true, false or "full"')
    base_delay = _delay(obj, "base_delay", 1.0, loc, issues)
    max_delay = _delay(obj, "max_delay", None, loc, issues)
    if len(issues.errors) > before:
        return RetryPolicy()
    return RetryPolicy(count, strategy, base_delay or 0.0, max_delay, jitter)


def _delay(obj: dict[str, Any], key: str, default: float | None, loc: str, issues: Issues) -> float | None:
    value = obj.get(key)
    if value is None:
        return default
    if not is_number(value) or not 0 <= value <= MAX_DELAY_SECONDS:
        issues.error(at(loc, key), "bad_retry", f"{key} must be 0–{MAX_DELAY_SECONDS} seconds")
        return default
    return float(value)


def read_timeouts(obj: dict[str, Any], loc: str, issues: Issues) -> tuple[float | None, float | None]:
    """timeout_seconds and heartbeat_seconds: each > 0 and at most 366 days, the heartbeat within the
    timeout (a heartbeat never moves the deadline past the timeout, so a longer one could never fire)."""
    found: list[float | None] = []
    for key in ("timeout_seconds", "heartbeat_seconds"):
        value = obj.get(key)
        if value is not None and (not is_number(value) or not 0 < value <= MAX_TIMEOUT_SECONDS):
            issues.error(at(loc, key), "bad_timeout", f"{key} must be > 0 and ≤ {MAX_TIMEOUT_SECONDS}")
            value = None
        found.append(None if value is None else float(value))
    timeout, heartbeat = found
    if timeout is not None and heartbeat is not None and heartbeat > timeout:
        issues.error(at(loc, "heartbeat_seconds"), "bad_timeout", "heartbeat_seconds exceeds timeout_seconds")
    return timeout, heartbeat


def read_throttle(value: Any, loc: str, owner: str, issues: Issues, refs: list[Ref]) -> Throttle | None:
    """{key, limit}: a key of 1–200 characters (templates such as "tenant:{/input/tenant_id}" allowed), a
    limit of 1–100,000."""
    if value is None:
        return None
    obj = object_at(value, loc, THROTTLE_FIELDS, issues)
    if obj is None:
        return None
    key = _throttle_key(obj.get("key"), at(loc, "key"), owner, issues, refs)
    limit = obj.get("limit")
    if not (is_int(limit) and 1 <= limit <= MAX_THROTTLE_LIMIT):
        issues.error(at(loc, "limit"), "bad_throttle", f"limit must be an integer 1–{MAX_THROTTLE_LIMIT}")
        return None
    return None if key is None else Throttle(key, limit)


def _throttle_key(key: Any, loc: str, owner: str, issues: Issues, refs: list[Ref]) -> str | None:
    if not (isinstance(key, str) and re.match(THROTTLE_KEY_PATTERN, key)):
        message = f"key must be a string of 1–{MAX_THROTTLE_KEY} characters without control characters"
        issues.error(loc, "bad_throttle", message)
        return None
    return key if _template_refs(key, loc, owner, issues, refs) else None


def _template_refs(key: str, loc: str, owner: str, issues: Issues, refs: list[Ref]) -> bool:
    """Record the pointer of each {…} template in a throttle key; False when a brace is unbalanced."""
    if "{" in TEMPLATE.sub("", key) or "}" in TEMPLATE.sub("", key):
        issues.error(loc, "bad_throttle", "unbalanced brace in the key template")
        return False
    return all(read_pointer(m.group(1), loc, owner, issues, refs) for m in TEMPLATE.finditer(key))


def pointer_target(ptr: str) -> tuple[Literal["input", "steps"], str | None] | None:
    """Where a pointer may lead: ("input", None) for /input…, ("steps", X) for /steps/X/output…; None for
    anything else, including a string that is not a JSON pointer."""
    if not ptr.startswith("/") or _BAD_ESCAPE.search(ptr):
        return None
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in ptr[1:].split("/")]
    if tokens[0] == "input":
        return "input", None
    if tokens[0] == "steps" and len(tokens) >= 3 and tokens[2] == "output":
        return "steps", tokens[1]
    return None


def read_pointer(
    ptr: Any, loc: str, owner: str | None, issues: Issues, refs: list[Ref], each: bool = False
) -> bool:
    """Check one pointer's form and root, and keep it for the upstream check."""
    found = pointer_target(ptr) if isinstance(ptr, str) else None
    if found is None:
        issues.error(loc, "bad_pointer", f"{ptr!r} is not a pointer to /input… or /steps/{{step}}/output…")
        return False
    refs.append(Ref(loc, owner, found[1], each))
    return True


def walk_pointers(value: Any, loc: str, owner: str | None, issues: Issues, refs: list[Ref]) -> None:
    """Find every {"$ptr": …} in a JSON value (iteratively: a value may nest deeper than Python recurses)."""
    for node, node_loc in _nodes(value, loc):
        if isinstance(node, dict) and PTR in node:
            if len(node) != 1:
                issues.error(node_loc, "bad_pointer", 'a {"$ptr": …} object has no other keys')
            read_pointer(node[PTR], at(node_loc, PTR), owner, issues, refs)


def _nodes(value: Any, loc: str) -> Iterator[tuple[Any, str]]:
    stack = [(value, loc)]
    while stack:
        node, node_loc = stack.pop()
        yield node, node_loc
        if isinstance(node, dict) and PTR not in node:
            stack.extend((v, at(node_loc, k)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, at(node_loc, i)) for i, v in reversed(list(enumerate(node))))


def check_registered(ref: HandlerRef, loc: str, registered: Collection[str] | None, issues: Issues) -> None:
    """Warn (never refuse) about a handler not registered yet: such a run waits at that step."""
    if registered is not None and ref.name not in registered:
        issues.warn(loc, "handler_not_registered", f"handler {ref.name!r} is not registered")
