"""The DAG form (JobFlow): tasks with depends_on, map tasks over `each`, a run output, a failure mode.

Decisions: `concurrency` on a task without `each` is checked like any other but has no effect (a single task
has one attempt in flight); `tolerated_failures` there is a `bad_tolerance` and `batch_size` a
`bad_batch_size` (they only mean something for map items). A pointer in `each`, `params` or a throttle key
may name any upstream step, a dependency or a dependency's ancestor: all of their outputs exist when the
task is dispatched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any, cast, get_args

from app.workflows.graph_checks import cycles, reachable
from app.workflows.graph_entries import Entry, read_entries
from app.workflows.graph_fields import (
    PTR,
    Issues,
    Ref,
    at,
    check_registered,
    is_int,
    is_number,
    object_at,
    read_bool,
    read_handler,
    read_pointer,
    read_retry,
    read_throttle,
    read_timeouts,
    walk_pointers,
)
from app.workflows.graph_model import (
    DEFAULT_MAP_CONCURRENCY,
    MAX_BATCH_SIZE,
    MAX_CONCURRENCY,
    MAX_MAP_ITEMS,
    FailureMode,
    HandlerRef,
    Step,
    StepKind,
    Tolerance,
)

LOC = "/tasks"
TASK_FIELDS = frozenset(
    {
        "handler",
        "depends_on",
        "each",
        "concurrency",
        "params",
        "output",
        "retry",
        "throttle",
        "timeout_seconds",
        "heartbeat_seconds",
        "tolerated_failures",
        "allow_failed_dependencies",
        "batch_size",
    }
)
TOLERANCE_FIELDS = frozenset({"count", "percent"})


@dataclasses.dataclass(frozen=True)
class TaskGraph:
    steps: list[Step]
    entry: tuple[str, ...]
    output: Any
    failure_mode: FailureMode


def compile_tasks(
    definition: dict[str, Any], issues: Issues, registered: Collection[str] | None
) -> TaskGraph:
    """The task steps in definition order (sinks marked final), the entry steps, output and failure mode."""
    container = definition["tasks"]
    entries = read_entries(container, LOC, issues)
    allowed = TASK_FIELDS | {"name"} if isinstance(container, list) else TASK_FIELDS
    names = {e.name for e in entries}
    refs: list[Ref] = []
    steps = [
        _task(e, position, allowed, names, issues, refs, registered)
        for position, e in enumerate(entries)
        if e.body is not None
    ]
    output = definition.get("output")
    walk_pointers(output, "/output", None, issues, refs)
    failure_mode = _failure_mode(definition.get("failure_mode"), issues)
    _check_graph(steps, names, refs, issues)
    depended = {dep for s in steps for dep in s.depends_on}
    steps = [dataclasses.replace(s, final=s.name not in depended) for s in steps]
    return TaskGraph(steps, tuple(s.name for s in steps if s.initial), output, failure_mode)


def _task(
    entry: Entry,
    position: int,
    allowed: frozenset[str],
    names: set[str],
    issues: Issues,
    refs: list[Ref],
    registered: Collection[str] | None,
) -> Step:
    loc, obj = entry.loc, entry.body or {}
    object_at(obj, loc, allowed, issues)
    kind: StepKind = "task" if obj.get("each") is None else "map"
    depends_on = _depends_on(obj.get("depends_on"), at(loc, "depends_on"), names, issues)
    params = obj.get("params")
    walk_pointers(params, at(loc, "params"), entry.name, issues, refs)
    timeout, heartbeat = read_timeouts(obj, loc, issues)
    return Step(
        name=entry.name,
        kind=kind,
        handlers=_handler(obj.get("handler"), at(loc, "handler"), issues, registered),
        depends_on=depends_on,
        on_success=None,
        on_error=None,
        final=False,
        initial=not depends_on,
        outcome=None,
        retry=read_retry(obj.get("retry"), at(loc, "retry"), issues),
        throttle=read_throttle(obj.get("throttle"), at(loc, "throttle"), entry.name, issues, refs),
        concurrency=_concurrency(obj.get("concurrency"), kind, at(loc, "concurrency"), issues),
        timeout_seconds=timeout,
        heartbeat_seconds=heartbeat,
        each=_each(obj.get("each"), at(loc, "each"), entry.name, issues, refs),
        params={} if params is None else params,
        output=_output_keys(obj.get("output"), at(loc, "output"), issues),
        tolerated_failures=_tolerance(
            obj.get("tolerated_failures"), kind, at(loc, "tolerated_failures"), issues
        ),
        allow_failed_dependencies=read_bool(obj, "allow_failed_dependencies", loc, issues),
        position=position,
        batch_size=_batch_size(obj.get("batch_size"), kind, at(loc, "batch_size"), issues),
    )


def _handler(
    value: Any, loc: str, issues: Issues, registered: Collection[str] | None
) -> tuple[HandlerRef, ...]:
    """A task's one handler (required)."""
    if value is None:
        issues.error(loc, "missing", "a task names its handler")
        return ()
    ref = read_handler(value, loc, issues)
    if ref is None:
        return ()
    check_registered(ref, loc, registered, issues)
    return (ref,)


def _depends_on(value: Any, loc: str, names: set[str], issues: Issues) -> tuple[str, ...]:
    """The known dependencies, each once; `unknown_dependency` for a name that is no task."""
    if value is None:
        return ()
    if not isinstance(value, list):
        issues.error(loc, "invalid", "depends_on must be an array of task names")
        return ()
    found: dict[str, None] = {}  # insertion-ordered set
    for i, dep in enumerate(value):
        if not isinstance(dep, str):
            issues.error(at(loc, i), "invalid", "must be a task name")
        elif dep not in names:
            issues.error(at(loc, i), "unknown_dependency", f"depends_on names no task: {dep!r}")
        elif dep in found:
            issues.error(at(loc, i), "invalid", f"{dep!r} is listed twice")
        else:
            found[dep] = None
    return tuple(found)


def _each(value: Any, loc: str, owner: str, issues: Issues, refs: list[Ref]) -> Any:
    """A literal array (at most 100,000 elements) or {"$ptr": …} into the input or an upstream output."""
    if value is None:
        return None
    if isinstance(value, list):
        if len(value) > MAX_MAP_ITEMS:
            issues.error(loc, "each_too_long", f"{len(value)} elements; at most {MAX_MAP_ITEMS}")
    elif isinstance(value, dict) and PTR in value:
        if len(value) != 1:
            issues.error(loc, "bad_pointer", 'a {"$ptr": …} object has no other keys')
        read_pointer(value[PTR], at(loc, PTR), owner, issues, refs, each=True)
    else:
        issues.error(loc, "invalid", 'each must be an array or {"$ptr": …}')
    return value


def _concurrency(value: Any, kind: StepKind, loc: str, issues: Issues) -> int:
    """Map items in flight per run: 1–10,000, default 100; always 1 for a single task."""
    if value is not None and not (is_int(value) and 1 <= value <= MAX_CONCURRENCY):
        issues.error(loc, "bad_concurrency", f"concurrency must be an integer 1–{MAX_CONCURRENCY}")
        value = None
    if kind == "task":
        return 1
    return DEFAULT_MAP_CONCURRENCY if value is None else int(value)


def _batch_size(value: Any, kind: StepKind, loc: str, issues: Issues) -> int | None:
    """Items per task message of a map task: 1–1,000 (what one bulk report takes), default none."""
    if value is None:
        return None
    if not (is_int(value) and 1 <= value <= MAX_BATCH_SIZE):
        issues.error(loc, "bad_batch_size", f"batch_size must be an integer 1–{MAX_BATCH_SIZE}")
    elif kind != "map":
        issues.error(loc, "bad_batch_size", "batch_size applies only to a map task (with each)")
    else:
        return int(value)
    return None


def _output_keys(value: Any, loc: str, issues: Issues) -> tuple[str, ...] | None:
    """Declared output keys: unique non-empty strings."""
    if value is None:
        return None
    ok = (
        isinstance(value, list)
        and all(isinstance(k, str) and k for k in value)
        and len(set(value)) == len(value)
    )
    if not ok:
        issues.error(loc, "bad_output", "output must be an array of unique non-empty key names")
        return None
    return tuple(value)


def _tolerance(value: Any, kind: StepKind, loc: str, issues: Issues) -> Tolerance | None:
    """{count} (≥ 0) or {percent} (0–100): how many failed items a map step may end `completed` with."""
    if value is None:
        return None
    obj = object_at(value, loc, TOLERANCE_FIELDS, issues)
    if obj is None:
        return None
    count, percent = obj.get("count"), obj.get("percent")
    if (count is None) == (percent is None):
        issues.error(loc, "bad_tolerance", "give exactly one of count or percent")
    elif count is not None and not (is_int(count) and count >= 0):
        issues.error(at(loc, "count"), "bad_tolerance", "count must be an integer ≥ 0")
    elif percent is not None and not (is_number(percent) and 0 <= percent <= 100):
        issues.error(at(loc, "percent"), "bad_tolerance", "percent must be 0–100")
    elif kind != "map":
        issues.error(loc, "bad_tolerance", "tolerated_failures applies only to a map task (with each)")
    else:
        return Tolerance(count, None if percent is None else float(percent))
    return None


def _failure_mode(value: Any, issues: Issues) -> FailureMode:
    if value is None:
        return "continue"
    if value not in get_args(FailureMode):
        issues.error("/failure_mode", "bad_failure_mode", 'failure_mode must be "continue" or "fail_fast"')
        return "continue"
    return cast(FailureMode, value)


def _check_graph(steps: list[Step], names: set[str], refs: list[Ref], issues: Issues) -> None:
    """At least one task, no cycle, and every pointer to a step's output naming a step upstream."""
    if not names:
        issues.error(LOC, "no_initial", "a workflow has at least one task")
    edges = {s.name: s.depends_on for s in steps}
    for members in cycles([s.name for s in steps], edges):
        issues.error(LOC, "cycle", f"tasks depend on each other in a loop: {', '.join(members)}", members)
    upstream: dict[str, set[str]] = {}
    for ref in refs:
        if ref.target is None:
            continue
        if ref.owner is None:
            if ref.target not in names:
                issues.error(ref.loc, "bad_pointer", f"/steps/{ref.target} names no task")
            continue
        if ref.owner not in upstream:
            upstream[ref.owner] = reachable(edges.get(ref.owner, ()), lambda n: edges.get(n, ()))
        if ref.target not in upstream[ref.owner]:
            code = "each_not_upstream" if ref.each else "bad_pointer"
            issues.error(ref.loc, code, f"{ref.target!r} is not upstream of {ref.owner!r}")
