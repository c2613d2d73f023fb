"""Run reads: a run with its steps, lists of runs, a step's items in index order, and what a run waits for."""

from __future__ import annotations

from typing import Any, cast, get_args

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.pagination import Page, ended_status, keyset_page, newest_page
from app.deliveries.models import deliveries
from app.errors import NotFound
from app.workflows import run_history
from app.workflows import throttles as th
from app.workflows.graph import Graph, Step
from app.workflows.models import handlers
from app.workflows.run_context import graph_of
from app.workflows.run_models import (
    STEP_DONE,
    ItemRow,
    RunEnd,
    RunOrder,
    RunRow,
    RunStatus,
    StepRow,
    run_items,
    run_steps,
    runs,
    throttle_queue,
    throttles,
)
from app.workflows.runs_schemas import (
    RunExplain,
    RunHistoryRead,
    RunItemRead,
    RunRead,
    StepItems,
    StepRead,
    ThrottleRead,
)

PREVIEW = 100


async def get(conn: AsyncConnection, *, namespace: str, run_id: str) -> RunRow:
    # The first run at or after the key in key order: only the primary key serves that, whatever the
    # statistics. With none (a fresh or bulk-loaded table), ``namespace = … AND id = …`` makes a
    # (namespace, …) index look as cheap, and a plan cached then scans the namespace on every read.
    key = sa.tuple_(runs.c.namespace, runs.c.id)
    stmt = sa.select(runs).where(key >= sa.tuple_(sa.literal(namespace), sa.literal(run_id)))
    stmt = stmt.order_by(runs.c.namespace, runs.c.id).limit(1)
    row = (await conn.execute(stmt)).mappings().first()
    if row is None or (row["namespace"], row["id"]) != (namespace, run_id):
        raise NotFound(f"run {run_id!r} does not exist")
    return cast(RunRow, dict(row))


async def _steps(conn: AsyncConnection, run: RunRow, graph: Graph) -> list[StepRow]:
    s = run_steps.c
    stmt = sa.select(run_steps).where(s.namespace == run["namespace"], s.run_id == run["id"])
    rows = [cast(StepRow, dict(r)) for r in (await conn.execute(stmt)).mappings()]
    order = {st.name: st.position for st in graph.steps}
    return sorted(rows, key=lambda r: order.get(r["step"], 0))


def _step_read(row: StepRow, step: Step | None) -> StepRead:
    unstarted = th.waiting(row)
    limit = row["total"] if step is None or step.kind != "map" else step.concurrency
    room = limit - row["in_flight"] - row["throttled"] if step is None else th.dispatch_room(step, row)
    ready = max(min(unstarted, room), 0) if row["status"] == "running" else 0
    items = StepItems(
        total=row["total"],
        waiting=unstarted - ready,
        ready=ready,
        throttled=row["throttled"],
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


async def run_read(conn: AsyncConnection, run: RunRow, graph: Graph | None = None) -> RunRead:
    """The run as the API shows it, with its steps' progress (``graph``: the run's, if the caller has it)."""
    if graph is None:
        graph = await graph_of(conn, run["namespace"], run["workflow"], run["version"])
    steps = await _steps(conn, run, graph)
    return RunRead.from_row(run, [_step_read(r, graph.step(r["step"])) for r in steps])


async def list_runs(
    conn: AsyncConnection,
    *,
    namespace: str,
    workflow: str | None,
    status: RunStatus | None,
    order: RunOrder = "id",
    limit: int,
    cursor: str | None,
) -> Page[RunRead]:
    """Runs in id order, by workflow and status, or the latest finished first (``order="-finished_at"``, of
    one ended status); without their steps."""
    r = runs.c
    stmt = sa.select(runs).where(r.namespace == namespace)
    if workflow is not None:
        stmt = stmt.where(r.workflow == workflow)
    if order == "-finished_at":
        stmt = stmt.where(r.status == ended_status(status, get_args(RunEnd), order))
        rows, next_cursor = await newest_page(conn, stmt, r.finished_at, r.id, limit=limit, cursor=cursor)
    else:
        if status is not None:
            stmt = stmt.where(r.status == status)
        rows, next_cursor = await keyset_page(conn, stmt, r.id, limit=limit, cursor=cursor)
    return Page[RunRead](
        items=[RunRead.from_row(cast(RunRow, dict(row))) for row in rows], next_cursor=next_cursor
    )


async def items(
    conn: AsyncConnection, *, namespace: str, run_id: str, step: str, limit: int, cursor: str | None
) -> Page[RunItemRead]:
    """A step's items in index order (a step that is not a map has one, index 0)."""
    run = await get(conn, namespace=namespace, run_id=run_id)
    s = run_steps.c
    known = sa.select(s.step).where(s.namespace == namespace, s.run_id == run["id"], s.step == step)
    if (await conn.execute(known)).first() is None:
        raise NotFound(f"run {run_id!r} has no step {step!r}")
    i = run_items.c
    stmt = sa.select(run_items).where(i.namespace == namespace, i.run_id == run_id, i.step == step)
    rows, next_cursor = await keyset_page(conn, stmt, i.idx, limit=limit, cursor=cursor)
    return Page[RunItemRead](
        items=[RunItemRead.from_row(cast(ItemRow, dict(r))) for r in rows], next_cursor=next_cursor
    )


async def history(
    conn: AsyncConnection,
    *,
    namespace: str,
    run_id: str,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> Page[RunHistoryRead]:
    """The run's history, oldest first (or the newest), by its index on (namespace, run_id, id)."""
    await get(conn, namespace=namespace, run_id=run_id)
    stmt = run_history.page_query(namespace, run_id)
    rows, next_cursor = await keyset_page(
        conn, stmt, run_history.ID, limit=limit, cursor=cursor, descending=newest_first
    )
    return Page[RunHistoryRead](
        items=[
            RunHistoryRead(
                **{k: v for k, v in r.items() if k not in ("namespace", "run_id", "idx")}, index=r["idx"]
            )
            for r in rows
        ],
        next_cursor=next_cursor,
    )


async def explain(conn: AsyncConnection, *, namespace: str, run_id: str) -> RunExplain:
    """What an open run waits for, as blockers; none once it ended."""
    run = await get(conn, namespace=namespace, run_id=run_id)
    blockers: list[dict[str, Any]] = []
    if run["status"] == "paused":
        blockers.append({"reason": "paused", "since": run["paused_at"]})
    if run["status"] in ("running", "paused"):
        graph = await graph_of(conn, namespace, run["workflow"], run["version"])
        steps = {r["step"]: r for r in await _steps(conn, run, graph)}
        for st in graph.steps:
            row = steps[st.name]
            if row["status"] == "running":
                blockers += await _running_blockers(conn, run, st, row)
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
    conn: AsyncConnection, run: RunRow, step: Step, row: StepRow
) -> list[dict[str, Any]]:
    concurrency = step.concurrency if step.kind == "map" else None
    i = run_items.c
    mine = (i.namespace == run["namespace"], i.run_id == run["id"], i.step == row["step"])
    found: list[dict[str, Any]] = []
    if row["in_flight"]:
        stmt = sa.select(i.job_id).where(*mine, i.status.in_(("dispatched", "running"))).order_by(i.idx)
        job_ids = list((await conn.execute(stmt.limit(PREVIEW))).scalars())
        found.append({"step": row["step"], "reason": "in_flight", "job_ids": job_ids})
        found += await _dispatch_failing(conn, run, row["step"], batched=step.batch_size is not None)
    if concurrency is not None and th.waiting(row) and th.dispatch_room(step, row) <= 0:
        # Full, or with ``batch_size`` without room for a whole message yet.
        blocker = {"step": row["step"], "reason": "concurrency", "limit": concurrency}
        blocker["in_flight"] = row["in_flight"]
        if step.batch_size is not None:
            blocker["batch_size"] = step.batch_size
        found.append(blocker)
    if row["throttled"]:
        found += await _throttled_blockers(conn, run, row["step"])
    if row["retry_scheduled"]:
        stmt = sa.select(run_items).where(*mine, i.status == "retry_scheduled").order_by(i.idx).limit(PREVIEW)
        for it in (await conn.execute(stmt)).mappings():
            found.append(
                {"step": row["step"], "index": it["idx"], "reason": "retry_scheduled"}
                | {"attempt": it["attempt"] + 1, "at": it["due_at"], "last_error": it["error"]}
            )
    return found


async def _throttled_blockers(conn: AsyncConnection, run: RunRow, step: str) -> list[dict[str, Any]]:
    """One blocker per key the step has items waiting on: its count in flight, this step's limit for it and
    the first holders (of every run)."""
    q, t = throttle_queue.c, throttles.c
    stmt = (
        sa.select(q.key, q.lim, t.in_flight)
        .join(throttles, sa.and_(t.namespace == q.namespace, t.key == q.key))
        .where(q.namespace == run["namespace"], q.run_id == run["id"], q.step == step)
        .order_by(q.key)
    )
    found = []
    for key, lim, in_flight in (await conn.execute(stmt)).all():
        found.append(
            {"step": step, "reason": "throttled", "key": th.public_key(key), "limit": lim}
            | {"in_flight": in_flight, "holders": await th.holders(conn, run["namespace"], key)}
        )
    return found


async def _dispatch_failing(
    conn: AsyncConnection, run: RunRow, step: str, *, batched: bool
) -> list[dict[str, Any]]:
    """The step's attempts in flight whose task message failed and waits for its next try (not dead yet): one
    blocker with the status and next try of the one due first, and their job ids (the first 100). Each
    attempt in flight costs one look-up by subject: its job id, or in a step with ``batch_size`` the
    ``batch_id`` of the message that carries it."""
    i, d = run_items.c, deliveries.c
    kind, subject = ("task_batch", i.batch_id) if batched else ("task", i.job_id)
    stmt = (
        sa.select(i.job_id, d.last_status_code, d.next_attempt_at)
        .join(
            deliveries,
            sa.and_(d.namespace == i.namespace, d.subject_kind == kind, d.subject_id == subject),
        )
        .where(i.namespace == run["namespace"], i.run_id == run["id"], i.step == step)
        .where(i.status.in_(("dispatched", "running")), d.event_type == "task.requested")
        .where(d.status.in_(("pending", "delivering")), d.last_error.is_not(None))
        .order_by(d.next_attempt_at, i.idx)
        .limit(PREVIEW)
    )
    rows = (await conn.execute(stmt)).all()
    if not rows:
        return []
    first = rows[0]
    return [
        {"step": step, "reason": "dispatch_failing", "last_status": first.last_status_code}
        | {"next_attempt_at": first.next_attempt_at, "job_ids": [r.job_id for r in rows]}
    ]


async def _handler_blockers(
    conn: AsyncConnection, namespace: str, step: str, names: list[str]
) -> list[dict[str, Any]]:
    stmt = sa.select(handlers.c.name).where(handlers.c.namespace == namespace, handlers.c.name.in_(names))
    present = set((await conn.execute(stmt)).scalars())
    return [{"step": step, "reason": "handler_unavailable", "handler": n} for n in names if n not in present]


async def throttle(conn: AsyncConnection, *, namespace: str, key: str) -> ThrottleRead:
    """A throttle key as the namespace uses it now: a step's key, or ``handler:<name>`` for a handler's
    ``max_in_flight`` (a step key of that very name is found first); 404 for a key nothing used."""
    t, i = throttles.c, run_items.c
    candidates = [th.STEP_KEY + key]
    if key.startswith("handler:"):
        candidates.append(th.HANDLER_KEY + key.removeprefix("handler:"))
    for stored in candidates:
        found = sa.select(t.in_flight).where(t.namespace == namespace, t.key == stored)
        in_flight = (await conn.execute(found)).scalar()
        if in_flight is not None:
            break
    else:
        raise NotFound(f"throttle key {key!r} has not been used in this namespace")
    waiting = sa.select(sa.func.count()).where(
        i.namespace == namespace, i.throttle_key == stored, i.status == "throttled"
    )
    return ThrottleRead.model_validate(
        {
            "key": key,
            "in_flight": in_flight,
            "waiting": (await conn.execute(waiting)).scalar_one(),
            "holders": await th.holders(conn, namespace, stored),
        }
    )
