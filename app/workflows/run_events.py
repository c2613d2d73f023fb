"""Run events: the run's end, and the transitions a run opted in to with ``events``, each written to the
outbox in the transaction of the transition, once per decision. A run that opted in to nothing pays one set
lookup per decision; the run's read model is built only for an event that is sent."""

from __future__ import annotations

from typing import Any

from app.core.db import Tx
from app.deliveries import service as deliveries
from app.workflows.run_context import Ctx
from app.workflows.run_models import ItemRow, RunRow, RunStatus, StepStatus
from app.workflows.runs_reads import run_read

# Sent whether or not the run asked; every other event only when it is in the run's ``events``.
ALWAYS = frozenset({"run.succeeded", "run.failed", "run.timed_out"})
# An item that ended failed or timed out (retries spent) failed for good.
_TASK_EVENTS = {
    "failed": "task.failed",
    "timed_out": "task.failed",
    "retry_scheduled": "task.retry_scheduled",
}


def route(run: RunRow, event_type: str) -> dict[str, Any] | None:
    """Where an event goes, as for gathers: failures and timeouts to ``failure_callback`` when there is one,
    everything else (and those too, without one) to ``callback``; None when there is no callback."""
    if event_type.endswith((".failed", ".timed_out")) and run["failure_callback"] is not None:
        return run["failure_callback"]
    return run["callback"]


async def _send(
    tx: Tx, ctx: Ctx, event_type: str, *, step: str | None = None, task: dict[str, Any] | None = None
) -> None:
    """``data: {run, step?, task?}``: the run as GET shows it, its steps without their item counts; a
    ``step.*`` event's ``step`` is that step as GET shows it (with them), ``phase.entered``'s its name."""
    callback = route(ctx.run, event_type)
    if callback is None:
        return
    read = await run_read(tx.conn, ctx.run, ctx.graph)
    data: dict[str, Any] = {"run": read.model_dump(mode="json", exclude={"steps": {"__all__": {"items"}}})}
    if step is not None:
        steps = {s.name: s for s in read.steps or []}
        data["step"] = steps[step].model_dump(mode="json") if event_type.startswith("step.") else step
    if task is not None:
        data["task"] = task
    await deliveries.enqueue(
        tx,
        namespace=ctx.run["namespace"],
        event_type=event_type,
        subject=("run", ctx.run["id"]),
        callback=callback,
        data=data,
    )


async def run_ended(tx: Tx, ctx: Ctx, status: RunStatus) -> None:
    """``run.succeeded``, ``run.failed``, ``run.timed_out``, and ``run.cancelled`` when opted in."""
    event_type = f"run.{status}"
    if event_type in ALWAYS or event_type in ctx.events:
        await _send(tx, ctx, event_type)


async def run_moved(tx: Tx, ctx: Ctx, event_type: str) -> None:
    """``run.paused`` or ``run.resumed``, when opted in."""
    if event_type in ctx.events:
        await _send(tx, ctx, event_type)


async def phase_entered(tx: Tx, ctx: Ctx, phase: str) -> None:
    """``phase.entered`` with the phase's name, when opted in."""
    if "phase.entered" in ctx.events:
        await _send(tx, ctx, "phase.entered", step=phase)


async def step_ended(tx: Tx, ctx: Ctx, step: str, status: StepStatus) -> None:
    """``step.succeeded``, ``step.completed``, ``step.failed`` or ``step.skipped``, when opted in."""
    event_type = f"step.{status}"
    if event_type in ctx.events:
        await _send(tx, ctx, event_type, step=step)


async def attempt_ended(tx: Tx, ctx: Ctx, item: ItemRow, values: dict[str, Any]) -> None:
    """``task.failed`` (the item failed for good) or ``task.retry_scheduled``, when opted in; ``values`` are
    what the item was just set to."""
    event_type = _TASK_EVENTS.get(values["status"])
    if event_type is None or event_type not in ctx.events:
        return
    task: dict[str, Any] = {
        "job_id": item["job_id"],
        "task_key": f"{item['run_id']}:{item['step']}:{item['idx']}",
    }
    task |= {"step": item["step"], "index": item["idx"], "attempt": item["attempt"], "error": values["error"]}
    if values.get("due_at") is not None:
        task["retry_at"] = values["due_at"].isoformat()
    await _send(tx, ctx, event_type, task=task)
