"""What a task message carries: input, params with pointers resolved, dependencies' outputs (normalised to
declared keys, in element order), and the task itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import Tx
from app.workflows.graph import Step
from app.workflows.models import HandlerRow
from app.workflows.run_context import Ctx
from app.workflows.run_models import ItemRow, RunRow, run_items, run_steps

MAX_INLINE_OUTPUTS = 1000


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


async def step_output(conn: AsyncConnection, run: RunRow, step: Step) -> Any:
    """What a step's output is to its dependents: a map's outputs in element order, a task's output, a
    phase's outputs by handler."""
    i = run_items.c
    stmt = (
        sa.select(i.idx, i.output)
        .where(i.namespace == run["namespace"], i.run_id == run["id"], i.step == step.name)
        .order_by(i.idx)
        .limit(MAX_INLINE_OUTPUTS)
    )
    rows = (await conn.execute(stmt)).all()
    if step.kind == "map":
        return [r.output for r in rows]
    if step.kind == "phase":
        return {step.handlers[r.idx].name: r.output for r in rows}
    return rows[0].output if rows else None


async def outputs_doc(conn: AsyncConnection, ctx: Ctx, names: list[str]) -> dict[str, Any]:
    """``{"input": …, "steps": {name: {"output": …}}}`` for the given steps, what pointers resolve in."""
    steps = {n: {"output": await step_output(conn, ctx.run, ctx.graph.step(n))} for n in names}
    return {"input": ctx.run["input"], "steps": steps}


async def message_base(tx: Tx, ctx: Ctx, step: Step) -> dict[str, Any]:
    """The parts of a message every item of the step shares: input, params and upstream outputs."""
    g = ctx.graph
    if g.form == "phases":
        done = await _entered_phases(tx.conn, ctx.run, exclude=step.name)
        outputs = {n: await step_output(tx.conn, ctx.run, g.step(n)) for n in done if g.step(n).handlers}
        error = ctx.run["error"] if step.name == _error_target(ctx) else None
        return {"outputs": outputs, "params": {}, "error": error}
    names = list(step.depends_on)
    doc = await outputs_doc(tx.conn, ctx, sorted(set(names) | _pointed_steps(step.params)))
    return {
        "outputs": {n: doc["steps"][n]["output"] for n in names},
        "params": resolve(step.params, doc) if step.params is not None else {},
    }


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
    ctx: Ctx, step: Step, it: ItemRow, handler: HandlerRow, job_id: str, attempt: int
) -> dict[str, Any]:
    run = ctx.run
    ref = step.handlers[it["idx"] if step.kind == "phase" else 0]
    path = f"/v1/jobs/{quote(job_id, safe='')}"
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
        "max_attempts": step.retry.count,
        "heartbeat_seconds": step.heartbeat_seconds or handler["heartbeat_seconds"],
        "complete_url": f"{path}/complete",
        "heartbeat_url": f"{path}/heartbeat",
    }
    if ref.version is not None:
        task["handler_version"] = ref.version
    return task
