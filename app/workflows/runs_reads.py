"""Run reads: a run with its steps, lists of runs, a step's items in index order, and what a run waits for."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.pagination import Page, keyset_page
from app.errors import NotFound
from app.workflows.models import handlers
from app.workflows.run_context import graph_of
from app.workflows.run_models import (
    STEP_DONE,
    ItemRow,
    RunRow,
    RunStatus,
    StepRow,
    run_items,
    run_steps,
    runs,
)
from app.workflows.runs_schemas import ItemRead, RunExplain, RunRead, StepItems, StepRead

PREVIEW = 100


async def get(conn: AsyncConnection, *, namespace: str, run_id: str) -> RunRow:
    stmt = sa.select(runs).where(runs.c.namespace == namespace, runs.c.id == run_id)
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"run {run_id!r} does not exist")
    return cast(RunRow, dict(row))


async def _steps(conn: AsyncConnection, run: RunRow) -> list[StepRow]:
    s = run_steps.c
    stmt = sa.select(run_steps).where(s.namespace == run["namespace"], s.run_id == run["id"])
    rows = [cast(StepRow, dict(r)) for r in (await conn.execute(stmt)).mappings()]
    graph = await graph_of(conn, run["namespace"], run["workflow"], run["version"])
    order = {st.name: st.position for st in graph.steps}
    return sorted(rows, key=lambda r: order.get(r["step"], 0))


def _step_read(row: StepRow) -> StepRead:
    done = row["succeeded"] + row["failed"] + row["cancelled"]
    waiting = row["total"] - done - row["in_flight"] - row["retry_scheduled"]
    items = StepItems(
        total=row["total"],
        waiting=waiting,
        in_flight=row["in_flight"],
        retry_scheduled=row["retry_scheduled"],
        succeeded=row["succeeded"],
        failed=row["failed"],
        cancelled=row["cancelled"],
    )
    return StepRead(
        name=row["step"],
        kind=row["kind"],
        status=row["status"],
        items=items,
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


async def run_read(conn: AsyncConnection, run: RunRow) -> RunRead:
    """The run as the API shows it, with its steps' progress."""
    return RunRead.from_row(run, [_step_read(r) for r in await _steps(conn, run)])


async def list_runs(
    conn: AsyncConnection,
    *,
    namespace: str,
    workflow: str | None,
    status: RunStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[RunRead]:
    """Runs in id order, by workflow and status; without their steps."""
    stmt = sa.select(runs).where(runs.c.namespace == namespace)
    if workflow is not None:
        stmt = stmt.where(runs.c.workflow == workflow)
    if status is not None:
        stmt = stmt.where(runs.c.status == status)
    rows, next_cursor = await keyset_page(conn, stmt, runs.c.id, limit=limit, cursor=cursor)
    return Page[RunRead](
        items=[RunRead.from_row(cast(RunRow, dict(r))) for r in rows], next_cursor=next_cursor
    )


async def items(
    conn: AsyncConnection, *, namespace: str, run_id: str, step: str, limit: int, cursor: str | None
) -> Page[ItemRead]:
    """A step's items in index order (a step that is not a map has one, index 0)."""
    run = await get(conn, namespace=namespace, run_id=run_id)
    s = run_steps.c
    known = sa.select(s.step).where(s.namespace == namespace, s.run_id == run["id"], s.step == step)
    if (await conn.execute(known)).first() is None:
        raise NotFound(f"run {run_id!r} has no step {step!r}")
    i = run_items.c
    stmt = sa.select(run_items).where(i.namespace == namespace, i.run_id == run_id, i.step == step)
    rows, next_cursor = await keyset_page(conn, stmt, i.idx, limit=limit, cursor=cursor)
    return Page[ItemRead](
        items=[ItemRead.from_row(cast(ItemRow, dict(r))) for r in rows], next_cursor=next_cursor
    )


async def explain(conn: AsyncConnection, *, namespace: str, run_id: str) -> RunExplain:
    """What an open run waits for, as blockers; none once it ended."""
    run = await get(conn, namespace=namespace, run_id=run_id)
    blockers: list[dict[str, Any]] = []
    if run["status"] == "paused":
        blockers.append({"reason": "paused", "since": run["paused_at"]})
    if run["status"] in ("running", "paused"):
        graph = await graph_of(conn, namespace, run["workflow"], run["version"])
        steps = {r["step"]: r for r in await _steps(conn, run)}
        for st in graph.steps:
            row = steps[st.name]
            if row["status"] == "running":
                blockers += await _running_blockers(
                    conn, run, st.concurrency if st.kind == "map" else None, row
                )
                blockers += await _handler_blockers(conn, namespace, st.name, [h.name for h in st.handlers])
            elif row["status"] == "waiting" and graph.form == "tasks":
                # A step that allows failed dependencies waits only for those that have not ended.
                ended = STEP_DONE if st.allow_failed_dependencies else ("succeeded", "completed")
                pending = [steps[d] for d in st.depends_on if steps[d]["status"] not in ended]
                if pending:
                    waiting_for = [
                        {"step": d["step"], "done": _done(d), "total": d["total"]} for d in pending
                    ]
                    blockers.append({"step": st.name, "reason": "dependencies", "waiting_for": waiting_for})
    return RunExplain(run_id=run["id"], status=run["status"], blockers=blockers)


def _done(row: StepRow) -> int:
    return row["succeeded"] + row["failed"] + row["cancelled"]


async def _running_blockers(
    conn: AsyncConnection, run: RunRow, concurrency: int | None, row: StepRow
) -> list[dict[str, Any]]:
    i = run_items.c
    mine = (i.namespace == run["namespace"], i.run_id == run["id"], i.step == row["step"])
    found: list[dict[str, Any]] = []
    if row["in_flight"]:
        stmt = sa.select(i.job_id).where(*mine, i.status.in_(("dispatched", "running"))).order_by(i.idx)
        job_ids = list((await conn.execute(stmt.limit(PREVIEW))).scalars())
        found.append({"step": row["step"], "reason": "in_flight", "job_ids": job_ids})
    waiting = row["total"] - _done(row) - row["in_flight"] - row["retry_scheduled"]
    if concurrency is not None and waiting and row["in_flight"] >= concurrency:
        found.append(
            {
                "step": row["step"],
                "reason": "concurrency",
                "limit": concurrency,
                "in_flight": row["in_flight"],
            }
        )
    if row["retry_scheduled"]:
        stmt = sa.select(run_items).where(*mine, i.status == "retry_scheduled").order_by(i.idx).limit(PREVIEW)
        for it in (await conn.execute(stmt)).mappings():
            found.append(
                {"step": row["step"], "index": it["idx"], "reason": "retry_scheduled"}
                | {"attempt": it["attempt"] + 1, "at": it["due_at"], "last_error": it["error"]}
            )
    return found


async def _handler_blockers(
    conn: AsyncConnection, namespace: str, step: str, names: list[str]
) -> list[dict[str, Any]]:
    stmt = sa.select(handlers.c.name).where(handlers.c.namespace == namespace, handlers.c.name.in_(names))
    present = set((await conn.execute(stmt)).scalars())
    return [{"step": step, "reason": "handler_unavailable", "handler": n} for n in names if n not in present]
