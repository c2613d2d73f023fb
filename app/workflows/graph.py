"""Definitions → one step graph, with no database: the phase form (distribot) and the DAG form (JobFlow)
compile to the same `Graph`, and validation lists every problem of a definition, never only the first.

Problem codes: `invalid` (a value of the wrong JSON type where no more specific code applies), `missing` (a
required value), `unknown_field`, `duplicate_step` (a name twice in an array of steps), `name_mismatch`,
`name_invalid`, `too_many_steps`, `too_many_handlers`, `duplicate_handler`, `unknown_target`,
`final_with_transition`, `no_initial`, `several_initial`, `cycle`, `no_final_reachable`,
`unknown_dependency`, `bad_pointer`, `each_not_upstream`, `each_too_long`, `bad_retry`, `bad_throttle`,
`bad_concurrency`, `bad_timeout`, `bad_tolerance`, `bad_output`, `bad_failure_mode`. Warnings:
`unreachable_step`, `handler_not_registered`. Decisions on loops, concurrency without `each` and pointers
are stated in graph_phases and graph_tasks.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from app.workflows.graph_fields import Issues, at, is_name, object_at
from app.workflows.graph_model import (
    MAX_DELAY_SECONDS,
    MAX_DEPTH,
    MAX_MAP_ITEMS,
    MAX_PHASE_HANDLERS,
    MAX_PROBLEMS,
    MAX_STEPS,
    NAME_PATTERN,
    STEP_NAME_PATTERN,
    Compiled,
    Form,
    Graph,
    HandlerRef,
    Problem,
    RetryPolicy,
    Step,
    StepKind,
    Throttle,
    Tolerance,
)
from app.workflows.graph_phases import compile_phases
from app.workflows.graph_tasks import compile_tasks

__all__ = [
    "MAX_DELAY_SECONDS",
    "MAX_MAP_ITEMS",
    "MAX_PHASE_HANDLERS",
    "MAX_STEPS",
    "NAME_PATTERN",
    "STEP_NAME_PATTERN",
    "Compiled",
    "Form",
    "Graph",
    "HandlerRef",
    "Problem",
    "RetryPolicy",
    "Step",
    "StepKind",
    "Throttle",
    "Tolerance",
    "compile_definition",
]

NAME_KEYS = ("workflow", "name")
TOP_FIELDS: dict[Form, frozenset[str]] = {
    "phases": frozenset({"phases", *NAME_KEYS}),
    "tasks": frozenset({"tasks", "output", "failure_mode", *NAME_KEYS}),
}


def compile_definition(
    definition: Any, *, name: str | None = None, registered_handlers: Collection[str] | None = None
) -> Compiled:
    """Compile a definition of either form; the graph is None when there is any error. With `name`, a
    `workflow`/`name` key must equal it; with `registered_handlers`, unknown handlers are warnings."""
    issues = Issues()
    registered = None if registered_handlers is None else frozenset(registered_handlers)
    graph = _compile(definition, name, registered, issues) if _within_bounds(definition, issues) else None
    errors = issues.errors
    if len(errors) > MAX_PROBLEMS:
        more = len(errors) - MAX_PROBLEMS
        errors = [
            *errors[:MAX_PROBLEMS],
            Problem("", "too_many_problems", f"{more} more problems not listed"),
        ]
    return Compiled(graph, errors, issues.warnings)


def _within_bounds(definition: Any, issues: Issues) -> bool:
    """Checks that bound the rest, made first: nesting at most MAX_DEPTH deep (no answer could render a
    deeper one), at most MAX_STEPS steps (the graph checks then cost little)."""
    stack: list[tuple[Any, str, int]] = [(definition, "", 1)]
    while stack:
        value, loc, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                issues.error(loc, "too_deep", f"a definition nests at most {MAX_DEPTH} levels deep")
                return False
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((child, at(loc, key), depth + 1) for key, child in pairs)
    if isinstance(definition, dict):
        for key in ("phases", "tasks"):
            steps = definition.get(key)
            if isinstance(steps, dict | list) and len(steps) > MAX_STEPS:
                issues.error(at("", key), "too_many_steps", f"{len(steps)} steps; at most {MAX_STEPS}")
                return False
    return True


def _compile(
    definition: Any, name: str | None, registered: frozenset[str] | None, issues: Issues
) -> Graph | None:
    if not isinstance(definition, dict):
        issues.error("", "invalid", "a definition is a JSON object")
        return None
    form = _form(definition, issues)
    if form is None:
        return None
    object_at(definition, "", TOP_FIELDS[form], issues)
    _check_name(definition, name, issues)
    # The graph is built only from a definition without errors: a faulty one may name steps never built.
    if form == "phases":
        steps, entry = compile_phases(definition["phases"], issues, registered)
        return None if issues.errors else Graph("phases", entry, tuple(steps), None, "continue")
    dag = compile_tasks(definition, issues, registered)
    if issues.errors:
        return None
    return Graph("tasks", dag.entry, tuple(dag.steps), dag.output, dag.failure_mode)


def _form(definition: dict[str, Any], issues: Issues) -> Form | None:
    """Which form a definition has: exactly one of `phases` and `tasks`."""
    has_phases, has_tasks = "phases" in definition, "tasks" in definition
    if has_phases and has_tasks:
        issues.error("", "invalid", "a definition has phases or tasks, not both")
        return None
    if not has_phases and not has_tasks:
        issues.error("", "missing", "a definition has phases (distribot form) or tasks (DAG form)")
        return None
    return "phases" if has_phases else "tasks"


def _check_name(definition: dict[str, Any], name: str | None, issues: Issues) -> None:
    """A `workflow` or `name` key, when present, is a valid workflow name equal to `name` (when given)."""
    for key in NAME_KEYS:
        if key not in definition:
            continue
        value, loc = definition[key], at("", key)
        if not isinstance(value, str):
            issues.error(loc, "invalid", "must be a string")
        elif not is_name(value):
            issues.error(loc, "name_invalid", f"workflow name {value!r} must match {NAME_PATTERN}")
        if name is not None and value != name:
            issues.error(loc, "name_mismatch", f"{key} is {value!r} but the workflow is {name!r}")
