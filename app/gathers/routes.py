"""/v1/gathers: create, list, add members, seal, read, long-poll, explain, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core import routing  # noqa: F401  (registers the gatherid path convertor)
from app.core.pagination import Page
from app.core.schemas import PathId
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep, WaitQuery
from app.errors import responses
from app.gathers import reads, service
from app.gathers.models import GatherOrder, GatherStatus
from app.gathers.schemas import (
    GatherAddJobs,
    GatherCreate,
    GatherExplain,
    GatherRead,
    GatherSummary,
    MemberRead,
)

router = APIRouter(prefix="/v1/gathers", tags=["gathers"])


@router.get("", operation_id="listGathers", responses=responses(422))
async def list_gathers(
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: GatherStatus | None = None,
    order: Annotated[
        GatherOrder,
        Query(description="`id`, or `-resolved_at`: the latest ended first, of one ended `status`"),
    ] = "id",
) -> Page[GatherSummary]:
    """The namespace's gathers in id order (``?status=waiting``: the open ones), with their progress; a
    gather's members are read with ``GET /v1/gathers/{id}``. ``?status=failed&order=-resolved_at``: the
    gathers that failed, the latest first."""
    async with rt.db.read() as conn:
        return await reads.list_gathers(
            conn, namespace=ns, status=status, order=order, limit=limit, cursor=cursor
        )


@router.post(
    "",
    operation_id="createGather",
    status_code=status.HTTP_201_CREATED,
    responses={
        **responses(409, 413, 422),
        200: {"model": GatherRead, "description": "Created before, same body"},
    },
)
async def create_gather(
    body: GatherCreate, response: Response, rt: RuntimeDep, ns: NamespaceDep
) -> GatherRead:
    """Create a gather (201); the same id and body again answers 200, another body 409."""
    max_jobs = rt.settings.max_gather_jobs
    read, created = await rt.db.run(lambda tx: service.create(tx, namespace=ns, body=body, max_jobs=max_jobs))
    if not created:
        response.status_code = status.HTTP_200_OK
    return read


@router.post(
    "/{gather_id:gatherid}/jobs", operation_id="addGatherJobs", responses=responses(404, 409, 413, 422)
)
async def add_gather_jobs(
    gather_id: PathId, body: GatherAddJobs, rt: RuntimeDep, ns: NamespaceDep
) -> GatherRead:
    """Add members to an unsealed gather; ids already in it are ignored."""
    max_jobs = rt.settings.max_gather_jobs
    return await rt.db.run(
        lambda tx: service.add_jobs(
            tx, namespace=ns, gather_id=gather_id, job_ids=body.job_ids, max_jobs=max_jobs
        )
    )


@router.post("/{gather_id:gatherid}/seal", operation_id="sealGather", responses=responses(404, 409, 422))
async def seal_gather(gather_id: PathId, rt: RuntimeDep, ns: NamespaceDep) -> GatherRead:
    """Close the member list; the gather resolves as soon as its members allow."""
    return await rt.db.run(lambda tx: service.seal(tx, namespace=ns, gather_id=gather_id))


@router.get("/{gather_id:gatherid}/members", operation_id="listGatherMembers", responses=responses(404, 422))
async def list_members(
    gather_id: PathId, rt: RuntimeDep, ns: NamespaceDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> Page[MemberRead]:
    """Members in the order given, with status and outputs."""
    async with rt.db.read() as conn:
        return await reads.members(conn, namespace=ns, gather_id=gather_id, limit=limit, cursor=cursor)


@router.get("/{gather_id:gatherid}/explain", operation_id="explainGather", responses=responses(404, 422))
async def explain_gather(gather_id: PathId, rt: RuntimeDep, ns: NamespaceDep) -> GatherExplain:
    """Why the gather has not resolved yet (or how it did)."""
    async with rt.db.read() as conn:
        return await reads.explain(conn, namespace=ns, gather_id=gather_id, now=rt.clock.now())


@router.get("/{gather_id:gatherid}", operation_id="getGather", responses=responses(404, 422))
async def get_gather(
    gather_id: PathId, rt: RuntimeDep, ns: NamespaceDep, wait: WaitQuery = None
) -> GatherRead:
    """The gather with its progress; ``?wait=`` holds the request until it resolves (at most 60 s)."""
    with rt.notifier.subscribe(("gather", ns, gather_id)) as resolved:
        async with rt.db.read() as conn:
            row = await reads.get(conn, namespace=ns, gather_id=gather_id)
            if not (wait and row["status"] == "waiting"):
                return await reads.to_read(conn, row)
        woken = await resolved.wait(wait)
    async with rt.db.read() as conn:
        if woken:
            row = await reads.get(conn, namespace=ns, gather_id=gather_id)
        return await reads.to_read(conn, row)


@router.delete("/{gather_id:gatherid}", operation_id="cancelGather", responses=responses(404, 409, 422))
async def cancel_gather(gather_id: PathId, rt: RuntimeDep, ns: NamespaceDep) -> GatherRead:
    """Cancel a waiting gather: it will never call back."""
    return await rt.db.run(lambda tx: service.cancel(tx, namespace=ns, gather_id=gather_id))
