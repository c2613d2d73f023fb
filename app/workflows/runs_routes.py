"""/v1/runs and POST /v1/workflows/{name}/runs: start, read, long-poll, list items, explain, pause, resume,
cancel; and /v1/throttles/{key}, the keys runs share."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

from app.core.pagination import Page
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep, WaitQuery
from app.errors import responses
from app.workflows import runs_again, runs_reads, runs_service
from app.workflows.graph import NAME_PATTERN, STEP_NAME_PATTERN
from app.workflows.graph_model import THROTTLE_KEY_PATTERN
from app.workflows.run_models import RunOrder, RunStatus
from app.workflows.runs_schemas import (
    RUN_ID_PATTERN,
    RunCancel,
    RunCreate,
    RunExplain,
    RunHistoryRead,
    RunItemRead,
    RunRead,
    RunRerun,
    ThrottleRead,
)

router = APIRouter(prefix="/v1", tags=["runs"])
WorkflowName = Annotated[str, Path(pattern=NAME_PATTERN, description="A workflow's name")]
RunId = Annotated[str, Path(pattern=RUN_ID_PATTERN, description="A run's id")]
StepName = Annotated[str, Path(pattern=STEP_NAME_PATTERN, description="A step's name")]


@router.post(
    "/workflows/{name}/runs",
    operation_id="createRun",
    status_code=status.HTTP_201_CREATED,
    responses={
        **responses(404, 409, 413, 422),
        200: {"model": RunRead, "description": "Started before, same body"},
    },
)
async def create_run(
    name: WorkflowName, body: RunCreate, response: Response, rt: RuntimeDep, ns: NamespaceDep
) -> RunRead:
    """Start a run of the latest version (201); the same id and body again answers 200, another body 409."""
    read, created = await rt.db.run(
        lambda tx: runs_service.create(tx, namespace=ns, workflow=name, body=body)
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return read


@router.get("/runs", operation_id="listRuns", responses=responses(422))
async def list_runs(
    rt: RuntimeDep,
    ns: NamespaceDep,
    workflow: Annotated[str | None, Query(pattern=NAME_PATTERN, description="Only this workflow's")] = None,
    status: Annotated[RunStatus | None, Query(description="Only runs in this status")] = None,
    order: Annotated[
        RunOrder,
        Query(description="`id`, or `-finished_at`: the latest finished first, of one ended `status`"),
    ] = "id",
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[RunRead]:
    """Runs by id, without their steps; ``?status=failed&order=-finished_at``: the failed ones, the latest
    first."""
    async with rt.db.read() as conn:
        return await runs_reads.list_runs(
            conn, namespace=ns, workflow=workflow, status=status, order=order, limit=limit, cursor=cursor
        )


@router.get("/runs/{run_id}", operation_id="getRun", responses=responses(404, 422))
async def get_run(run_id: RunId, rt: RuntimeDep, ns: NamespaceDep, wait: WaitQuery = None) -> RunRead:
    """The run with its steps; ``?wait=`` holds the request until it ends (at most 60 s)."""
    with rt.notifier.subscribe(("run", ns, run_id)) as ended:
        async with rt.db.read() as conn:
            row = await runs_reads.get(conn, namespace=ns, run_id=run_id)
            if not (wait and row["status"] in ("running", "paused")):
                return await runs_reads.run_read(conn, row)
        await ended.wait(wait)
    async with rt.db.read() as conn:
        return await runs_reads.run_read(conn, await runs_reads.get(conn, namespace=ns, run_id=run_id))


@router.get("/runs/{run_id}/steps/{step}/items", operation_id="listRunItems", responses=responses(404, 422))
async def list_items(
    run_id: RunId,
    step: StepName,
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[RunItemRead]:
    """A step's items in index order, with status, attempts, job id, output and error."""
    async with rt.db.read() as conn:
        return await runs_reads.items(
            conn, namespace=ns, run_id=run_id, step=step, limit=limit, cursor=cursor
        )


@router.get("/runs/{run_id}/explain", operation_id="explainRun", responses=responses(404, 422))
async def explain_run(run_id: RunId, rt: RuntimeDep, ns: NamespaceDep) -> RunExplain:
    """What the run waits for, as a list of blockers."""
    async with rt.db.read() as conn:
        return await runs_reads.explain(conn, namespace=ns, run_id=run_id)


@router.post("/runs/{run_id}/pause", operation_id="pauseRun", responses=responses(404, 409, 422))
async def pause_run(run_id: RunId, rt: RuntimeDep, ns: NamespaceDep) -> RunRead:
    """Dispatch nothing new until resumed; attempts in flight continue."""
    return await rt.db.run(lambda tx: runs_service.pause(tx, namespace=ns, run_id=run_id))


@router.post("/runs/{run_id}/resume", operation_id="resumeRun", responses=responses(404, 409, 422))
async def resume_run(run_id: RunId, rt: RuntimeDep, ns: NamespaceDep) -> RunRead:
    """Dispatch what became ready while paused, overdue retries at once."""
    return await rt.db.run(lambda tx: runs_service.resume(tx, namespace=ns, run_id=run_id))


@router.post("/runs/{run_id}/cancel", operation_id="cancelRun", responses=responses(404, 409, 413, 422))
async def cancel_run(
    run_id: RunId, rt: RuntimeDep, ns: NamespaceDep, body: RunCancel | None = None
) -> RunRead:
    """Cancel a running or paused run; attempts in flight are cancelled and their handlers told."""
    cancel = body or RunCancel()
    return await rt.db.run(lambda tx: runs_service.cancel(tx, namespace=ns, run_id=run_id, body=cancel))


@router.post("/runs/{run_id}/redrive", operation_id="redriveRun", responses=responses(404, 409, 422))
async def redrive_run(run_id: RunId, rt: RuntimeDep, ns: NamespaceDep) -> RunRead:
    """Run a failed, timed-out or cancelled run again, re-queuing only what did not succeed: succeeded items
    keep their outputs, attempt numbers continue, each re-queued task gets a fresh retry budget."""
    return await rt.db.run(lambda tx: runs_again.redrive(tx, namespace=ns, run_id=run_id))


@router.post("/runs/{run_id}/rerun", operation_id="rerunRun", responses=responses(404, 409, 413, 422))
async def rerun_run(run_id: RunId, body: RunRerun, rt: RuntimeDep, ns: NamespaceDep) -> RunRead:
    """Run a finished run again from ``from_step``: that step and every step after it are reset; the steps
    before it keep their outputs."""
    return await rt.db.run(
        lambda tx: runs_again.rerun(tx, namespace=ns, run_id=run_id, from_step=body.from_step)
    )


@router.get("/runs/{run_id}/events", operation_id="listRunEvents", responses=responses(404, 422))
async def list_run_events(
    run_id: RunId,
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    order: Annotated[
        Literal["id", "-id"], Query(description="`id`: the oldest first; `-id`: the newest first")
    ] = "id",
) -> Page[RunHistoryRead]:
    """The run's history, oldest first (``?order=-id``: the newest first): its transitions, dispatches,
    attempts with their errors, step ends, pauses, redrives and end."""
    async with rt.db.read() as conn:
        return await runs_reads.history(
            conn, namespace=ns, run_id=run_id, limit=limit, cursor=cursor, newest_first=order == "-id"
        )


@router.get(
    "/throttles/{key:path}", operation_id="getThrottle", tags=["throttles"], responses=responses(404, 422)
)
async def get_throttle(
    key: Annotated[str, Path(pattern=THROTTLE_KEY_PATTERN, description="A throttle key, as steps name it")],
    rt: RuntimeDep,
    ns: NamespaceDep,
) -> ThrottleRead:
    """A throttle key: attempts in flight under it across the namespace's runs, attempts waiting for a
    slot, and the first holders; 404 until a step of the namespace uses it."""
    async with rt.db.read() as conn:
        return await runs_reads.throttle(conn, namespace=ns, key=key)
