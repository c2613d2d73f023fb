"""What a task message carries: input, params with pointers resolved, dependencies' outputs (normalised to
declared keys, in element order), and the task itself. Input and outputs are inlined up to the caps of the
settings (``*_truncated`` beyond); what every item of a step shares is computed once per dispatch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import TaskMessages
from app.core.db import Tx
from app.workflows.graph import Step
from app.workflows.graph_model import MAX_MAP_ITEMS
from app.workflows.models import HandlerRow
from app.workflows.run_context import Ctx
from app.workflows.run_models import ItemRow, RunRow, run_items, run_steps

# A run's input never changes, and runs with the same body hash have the same input: its size is kept.
_INPUT_SIZES: dict[str, int] = {}
_INPUT_SIZES_KEPT = 4096
# The shared part of a DAG step's messages, by (namespace, run id, run creation, step, redrive count): never
# changes once the step started, since it holds only the input and what its dependencies ended with.
_BASES: dict[tuple[str, str, str, str, int], dict[str, Any]] = {}
_BASES_KEPT = 32


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON, as a delivery's body writes it (ASCII, so characters are bytes)."""
    return len(json.dumps(value, separators=(",", ":")))


def resolve(value: Any, doc: dict[str, Any]) -> Any:
    """``value`` with every ``{"$ptr": …}`` replaced by what it points at in ``doc`` (null when absent)."""
    if isinstance(value, dict):
        if set(value) == {"$ptr"} and isinstance(value["$ptr"], str):
            return pointer(doc, value["$ptr"])
        return {k: resolve(v, doc) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, doc) for v in value]
    return value


def pointer(doc: Any, ptr: str) -> Any:
    for token in ptr[1:].split("/") if ptr else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, dict):
            doc = doc.get(token)
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc


def normalise(output: Any, keys: tuple[str, ...] | None) -> Any:
    """A report's output reduced to the step's declared keys (missing → null, extra dropped)."""
    if keys is None:
        return output
    source = output if isinstance(output, dict) else {}
    return {k: source.get(k) for k in keys}


async def _output_rows(conn: AsyncConnection, run: RunRow, step: Step, limit: int) -> Sequence[Any]:
    i = run_items.c
    stmt = (
        sa.select(i.idx, i.output)
        .where(i.namespace == run["namespace"], i.run_id == run["id"], i.step == step.name)
        .order_by(i.idx)
        .limit(limit)
    )
    return (await conn.execute(stmt)).all()


def _shaped(step: Step, rows: Sequence[Any]) -> Any:
    """A map's outputs in element order, a phase's by handler, a task's own (null when it has none: an item
    that failed or never ran has no output)."""
    if step.kind == "map":
        return [r.output for r in rows]
    if step.kind == "phase":
        return {step.handlers[r.idx].name: r.output for r in rows}
    return rows[0].output if rows else None


async def step_output(conn: AsyncConnection, run: RunRow, step: Step) -> Any:
    """What a step's output is to pointers and to the run's output: a map's outputs in element order (all
    of them: an ``each`` over a 5,000-item map sees 5,000 elements), a task's output, a phase's outputs by
    handler. Only task messages cap what they inline."""
    return _shaped(step, await _output_rows(conn, run, step, MAX_MAP_ITEMS))


async def inline_outputs(
    conn: AsyncConnection, run: RunRow, steps: Sequence[Step], caps: TaskMessages
) -> tuple[dict[str, Any], bool]:
    """The steps' outputs as a message inlines them, and whether some were left out. Entries (a map's items,
    a phase's handlers, a task's output) are kept in order, step after step, while they fit in the caps on
    their count and their JSON size; past the first that does not fit, nothing more is kept. A step cut
    short shows what fits (a map a prefix of its list); a step none of whose entries fit is left out."""
    entries, size = caps.outputs, caps.outputs_bytes
    found: dict[str, Any] = {}
    for step in steps:
        rows = await _output_rows(conn, run, step, entries + 1)
        kept = 0
        for r in rows[:entries]:
            cost = json_size(r.output)
            if cost > size:
                break
            kept, size = kept + 1, size - cost
        entries -= kept
        if kept < len(rows):
            if kept:
                found[step.name] = _shaped(step, rows[:kept])
            return found, True
        found[step.name] = _shaped(step, rows)
    return found, False


async def outputs_doc(conn: AsyncConnection, ctx: Ctx, names: list[str]) -> dict[str, Any]:
    """``{"input": …, "steps": {name: {"output": …}}}`` for the given steps, what pointers resolve in."""
    steps = {n: {"output": await step_output(conn, ctx.run, ctx.graph.step(n))} for n in names}
    return {"input": ctx.run["input"], "steps": steps}


async def message_base(tx: Tx, ctx: Ctx, step: Step) -> dict[str, Any]:
    """The data every message of the step's dispatch shares, computed once for the batch: input, params,
    upstream outputs, their ``*_truncated`` flags and, in an error phase, the error that led there.

    A DAG step's shares only what ended before it started (the input, its dependencies' outputs), so it is
    kept per run step and redrive: the reports of a large map do not read its dependencies again."""
    run = ctx.run
    key = (run["namespace"], run["id"], run["created_at"].isoformat(), step.name, run["redrive_count"])
    if ctx.graph.form == "tasks" and (kept := _BASES.get(key)) is not None:
        return kept
    base = await _message_base(tx, ctx, step)
    if ctx.graph.form == "tasks":
        if len(_BASES) >= _BASES_KEPT:
            _BASES.clear()
        _BASES[key] = base
    return base


async def _message_base(tx: Tx, ctx: Ctx, step: Step) -> dict[str, Any]:
    g, caps = ctx.graph, tx.task_messages
    if g.form == "phases":
        done = [g.step(n) for n in await _entered_phases(tx.conn, ctx.run, exclude=step.name)]
        outputs, cut = await inline_outputs(tx.conn, ctx.run, [s for s in done if s.handlers], caps)
        params: Any = {}
    else:
        deps = [g.step(n) for n in step.depends_on]
        outputs, cut = await inline_outputs(tx.conn, ctx.run, deps, caps)
        params = {}
        if step.params is not None:
            doc = await outputs_doc(tx.conn, ctx, sorted(_pointed_steps(step.params)))
            params = resolve(step.params, doc)
    fits = _input_size(ctx.run) <= caps.input_bytes
    base = {"input": ctx.run["input"] if fits else None, "params": params, "outputs": outputs}
    base |= {"input_truncated": not fits, "outputs_truncated": cut}
    error = ctx.run["error"] if g.form == "phases" and step.name == _error_target(ctx) else None
    if error is not None:
        base["error"] = error
    return base


def _input_size(run: RunRow) -> int:
    size = _INPUT_SIZES.get(run["body_hash"])
    if size is None:
        size = json_size(run["input"])
        if len(_INPUT_SIZES) >= _INPUT_SIZES_KEPT:
            _INPUT_SIZES.clear()
        _INPUT_SIZES[run["body_hash"]] = size
    return size


def _pointed_steps(value: Any) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ptr = node.get("$ptr")
            if isinstance(ptr, str) and ptr.startswith("/steps/"):
                found.add(ptr.split("/")[2])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _error_target(ctx: Ctx) -> str | None:
    err = ctx.run["error"]
    return ctx.run["current_phase"] if isinstance(err, dict) else None


async def _entered_phases(conn: AsyncConnection, run: RunRow, *, exclude: str) -> list[str]:
    s = run_steps.c
    stmt = sa.select(s.step).where(
        s.namespace == run["namespace"], s.run_id == run["id"], s.started_at.is_not(None), s.step != exclude
    )
    return sorted(set((await conn.execute(stmt)).scalars()))


def task_json(
    ctx: Ctx, step: Step, it: ItemRow, handler: HandlerRow, job_id: str, attempt: int, public_url: str | None
) -> dict[str, Any]:
    """The message's ``task``: which attempt of which item, and where to report (absolute with a public URL,
    which the settings keep without a trailing slash)."""
    run = ctx.run
    ref = step.handlers[it["idx"] if step.kind == "phase" else 0]
    path = f"{public_url or ''}/v1/jobs/{quote(job_id, safe='')}"
    task: dict[str, Any] = {
        "job_id": job_id,
        "task_key": f"{run['id']}:{step.name}:{it['idx']}",
        "run_id": run["id"],
        "workflow": run["workflow"],
        "version": run["version"],
        "step": step.name,
        "handler": handler["name"],
        "kind": {"map": "map_item", "phase": "phase_handler"}.get(step.kind, "task"),
        "index": it["idx"],
        "item": it["item"],
        "attempt": attempt,
        "max_attempts": it["attempt_base"] + step.retry.count,
        "heartbeat_seconds": step.heartbeat_seconds or handler["heartbeat_seconds"],
        "complete_url": f"{path}/complete",
        "heartbeat_url": f"{path}/heartbeat",
    }
    if ref.version is not None:
        task["handler_version"] = ref.version
    return task


# A map step's message with ``batch_size``: what its items share is said once, the rest item by item.
_BATCH_SHARED = [
    "run_id",
    "workflow",
    "version",
    "step",
    "handler",
    "handler_version",
    "deadline_at",
    "heartbeat_seconds",
]
_BATCH_ITEM = [
    "index",
    "item",
    "job_id",
    "task_key",
    "attempt",
    "max_attempts",
    "complete_url",
    "heartbeat_url",
]


def batch_item(task: dict[str, Any], previous_error: Any) -> dict[str, Any]:
    """One item of a ``map_batch`` message, from the ``task`` a message of its own would carry."""
    return {k: task[k] for k in _BATCH_ITEM} | {"previous_error": previous_error}


def batch_json(first: dict[str, Any], items: list[dict[str, Any]], public_url: str | None) -> dict[str, Any]:
    """A ``map_batch`` message's ``task``: what its items share (taken from the first item's ``task``), the
    bulk report route, and the items in index order."""
    task: dict[str, Any] = {"kind": "map_batch"} | {k: first[k] for k in _BATCH_SHARED if k in first}
    return task | {"complete_url": f"{public_url or ''}/v1/jobs/complete", "items": items}
