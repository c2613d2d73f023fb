"""/v1/jobs: register, report, read."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status

from app.batches import reads as batches
from app.core import routing  # noqa: F401  (registers the jobid path convertor)
from app.core.ids import new_id
from app.core.pagination import Page
from app.core.schemas import PathId
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep
from app.errors import responses
from app.jobs import service
from app.jobs.schemas import (
    BulkComplete,
    BulkCompleteResult,
    BulkResult,
    JobComplete,
    JobCreate,
    JobHeartbeat,
    JobRead,
    JobRegister,
    JobStatus,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post(
    "",
    operation_id="createJob",
    status_code=status.HTTP_201_CREATED,
    responses={
        **responses(409, 413, 422),
        200: {"model": JobRead, "description": "Registered before, same body"},
    },
)
async def create_job(body: JobCreate, response: Response, rt: RuntimeDep, ns: NamespaceDep) -> JobRead:
    """Register a job (201); the same body again answers 200, another body 409."""
    job_id = body.id or new_id("job")
    register = JobRegister.model_validate(body.model_dump(exclude={"id"}))
    row, created = await rt.db.run(
        lambda tx: service.register(tx, namespace=ns, job_id=job_id, body=register)
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return JobRead.from_row(row)


@router.post("/complete", operation_id="completeJobs", responses=responses(413, 422))
async def complete_jobs(body: BulkComplete, rt: RuntimeDep, ns: NamespaceDep) -> BulkCompleteResult:
    """Up to 1,000 reports in one transaction; each item says applied, unchanged or conflict."""
    reports = service.reports_from(body.reports)
    results = await rt.db.run(lambda tx: service.complete_many(tx, namespace=ns, reports=reports))
    return BulkCompleteResult(
        results=[BulkResult(id=r.id, result=r.result, job=JobRead.from_row(r.job)) for r in results]  # type: ignore[arg-type]
    )


@router.get("", operation_id="listJobs", responses=responses(422))
async def list_jobs(
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: JobStatus | None = None,
    name: str | None = Query(default=None, max_length=200),
) -> Page[JobRead]:
    """Jobs in id order, optionally filtered by status and name."""
    async with rt.db.read() as conn:
        page = await service.list_jobs(
            conn, namespace=ns, status=status, name=name, limit=limit, cursor=cursor
        )
        ledgers = await batches.progress(conn, namespace=ns, job_ids=[job.id for job in page.items])
    for job in page.items:
        job.batches = ledgers.get(job.id)
    return page


@router.put(
    "/{job_id:jobid}",
    operation_id="registerJob",
    responses={**responses(409, 413, 422), 201: {"model": JobRead, "description": "Registered now"}},
)
async def register_job(
    job_id: PathId, body: JobRegister, response: Response, rt: RuntimeDep, ns: NamespaceDep
) -> JobRead:
    """Register a job under its id: 201 when new, 200 when the same, 409 when the body differs."""
    row, created = await rt.db.run(lambda tx: service.register(tx, namespace=ns, job_id=job_id, body=body))
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return JobRead.from_row(row)


@router.post("/{job_id:jobid}/complete", operation_id="completeJob", responses=responses(409, 413, 422))
async def complete_job(
    job_id: PathId, rt: RuntimeDep, ns: NamespaceDep, body: JobComplete | None = None
) -> JobRead:
    """Report a job finished (no body: succeeded). Unknown ids are recorded; a repeat is a no-op;
    another result is 409."""
    body = body or JobComplete()
    report = service.Report(job_id, body.status, body.output, body.error)
    row, _ = await rt.db.run(lambda tx: service.complete(tx, namespace=ns, job_id=job_id, report=report))
    return JobRead.from_row(row)


@router.post("/{job_id:jobid}/heartbeat", operation_id="heartbeatJob", responses=responses(409, 422))
async def heartbeat_job(
    job_id: PathId, rt: RuntimeDep, ns: NamespaceDep, body: JobHeartbeat | None = None
) -> JobRead:
    """Mark the job running; with timeout_seconds, its deadline moves to now + that."""
    body = body or JobHeartbeat()
    row = await rt.db.run(
        lambda tx: service.heartbeat(tx, namespace=ns, job_id=job_id, timeout_seconds=body.timeout_seconds)
    )
    return JobRead.from_row(row)


@router.get("/{job_id:jobid}", operation_id="getJob", responses=responses(404, 422))
async def get_job(job_id: PathId, rt: RuntimeDep, ns: NamespaceDep) -> JobRead:
    """The job; with batch progress when it has batches."""
    async with rt.db.read() as conn:
        return await batches.job_with_progress(conn, await service.get(conn, namespace=ns, job_id=job_id), ns)
