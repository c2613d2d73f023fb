"""The phase form (distribot): phases with handlers, transitions and on-error transitions.

Decision: phases may not loop. The engine enters each phase at most once per run (a phase's attempt ids and
counters are per step), so any cycle through `transitions_to` or `on_error_transition_to` is a `cycle`
(loc /phases, steps = its members); retrying a phase is what `retry` is for.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal, cast

from app.workflows.graph_checks import cycles, reachable
from app.workflows.graph_entries import Entry, read_entries
from app.workflows.graph_fields import (
    Issues,
    Ref,
    at,
    check_registered,
    object_at,
    read_bool,
    read_handler,
    read_retry,
    read_str,
    read_throttle,
    read_timeouts,
)
from app.workflows.graph_model import MAX_PHASE_HANDLERS, HandlerRef, Step

LOC = "/phases"
PHASE_FIELDS = frozenset(
    {
        "is_initial",
        "is_final",
        "transitions_to",
        "on_error_transition_to",
        "handlers",
        "retry",
        "timeout_seconds",
        "heartbeat_seconds",
        "throttle",
        "outcome",
    }
)
OUTCOMES = ("succeeded", "failed")


def compile_phases(
    container: Any, issues: Issues, registered: Collection[str] | None
) -> tuple[list[Step], tuple[str, ...]]:
    """The phase steps in definition order and the entry (the initial phase)."""
    entries = read_entries(container, LOC, issues)
    allowed = PHASE_FIELDS | {"name"} if isinstance(container, list) else PHASE_FIELDS
    names = {e.name for e in entries}
    refs: list[Ref] = []
    steps = [
        _phase(e, position, allowed, names, issues, refs, registered)
        for position, e in enumerate(entries)
        if e.body is not None
    ]
    for ref in refs:
        if ref.target is not None:
            issues.error(ref.loc, "bad_pointer", "a phase's throttle key may only use /input…")
    _check_graph(steps, {e.name: e.loc for e in entries}, issues)
    return steps, tuple(s.name for s in steps if s.initial)[:1]


def _phase(
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
    final = read_bool(obj, "is_final", loc, issues)
    on_success = _target(obj, "transitions_to", loc, names, final, issues)
    on_error = _target(obj, "on_error_transition_to", loc, names, final, issues)
    timeout, heartbeat = read_timeouts(obj, loc, issues)
    return Step(
        name=entry.name,
        kind="phase",
        handlers=_handlers(obj.get("handlers"), at(loc, "handlers"), issues, registered),
        depends_on=(),
        on_success=on_success,
        on_error=on_error,
        final=final,
        initial=read_bool(obj, "is_initial", loc, issues),
        outcome=_outcome(obj.get("outcome"), final, at(loc, "outcome"), issues),
        retry=read_retry(obj.get("retry"), at(loc, "retry"), issues),
        throttle=read_throttle(obj.get("throttle"), at(loc, "throttle"), entry.name, issues, refs),
        concurrency=1,
        timeout_seconds=timeout,
        heartbeat_seconds=heartbeat,
        each=None,
        params=None,
        output=None,
        tolerated_failures=None,
        allow_failed_dependencies=False,
        position=position,
    )


def _target(
    obj: dict[str, Any], key: str, loc: str, names: set[str], final: bool, issues: Issues
) -> str | None:
    """A transition's target: a phase of this definition, and none at all from a final phase."""
    target = read_str(obj, key, loc, issues)
    if target is None:
        return None
    if target not in names:
        issues.error(at(loc, key), "unknown_target", f"{key} names no phase: {target!r}")
    if final:
        issues.error(at(loc, key), "final_with_transition", f"a final phase has no {key}")
    return target


def _outcome(value: Any, final: bool, loc: str, issues: Issues) -> Literal["succeeded", "failed"] | None:
    """The outcome of a run that ends in this final phase after an on-error transition."""
    if value is None:
        return None
    if value not in OUTCOMES:
        issues.error(loc, "invalid", 'outcome must be "succeeded" or "failed"')
        return None
    if not final:
        issues.error(loc, "invalid", "outcome applies only to a final phase")
    return cast(Literal["succeeded", "failed"], value)


def _handlers(
    value: Any, loc: str, issues: Issues, registered: Collection[str] | None
) -> tuple[HandlerRef, ...]:
    """A phase's handlers in order: at most 20, each listed once."""
    if value is None:
        return ()
    if not isinstance(value, list):
        issues.error(loc, "invalid", "handlers must be an array")
        return ()
    if len(value) > MAX_PHASE_HANDLERS:
        issues.error(loc, "too_many_handlers", f"{len(value)} handlers; at most {MAX_PHASE_HANDLERS}")
    found: list[HandlerRef] = []
    for i, item in enumerate(value):
        ref = read_handler(item, at(loc, i), issues)
        if ref is None:
            continue
        if any(h.name == ref.name for h in found):
            issues.error(at(loc, i), "duplicate_handler", f"handler {ref.name!r} is listed twice")
            continue
        check_registered(ref, at(loc, i), registered, issues)
        found.append(ref)
    return tuple(found)


def _check_graph(steps: list[Step], loc_of: dict[str, str], issues: Issues) -> None:
    """One initial phase, no loops, a final phase at the end of every success path; phases nothing reaches
    are a warning."""
    initial = tuple(s.name for s in steps if s.initial)
    if not initial:
        issues.error(LOC, "no_initial", "no phase has is_initial: true")
    elif len(initial) > 1:
        issues.error(LOC, "several_initial", "more than one phase has is_initial: true", initial)
    edges = {s.name: [t for t in (s.on_success, s.on_error) if t is not None and t in loc_of] for s in steps}
    for members in cycles([s.name for s in steps], edges):
        issues.error(LOC, "cycle", f"phases loop: {', '.join(members)}", members)
    if steps and not any(s.final for s in steps):
        issues.error(LOC, "no_final_reachable", "no phase has is_final: true")
    else:
        for s in steps:
            if not s.final and s.on_success is None:
                issues.error(
                    at(loc_of[s.name], "transitions_to"),
                    "no_final_reachable",
                    f"phase {s.name!r} is not final and has no transitions_to: a run there never ends",
                    (s.name,),
                )
    seen = reachable(initial, lambda n: edges.get(n, ()))
    for s in steps:
        if initial and s.name not in seen:
            issues.warn(
                loc_of[s.name],
                "unreachable_step",
                f"no path from the initial phase reaches {s.name!r}",
                (s.name,),
            )
