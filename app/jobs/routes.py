"""/v1/jobs: register, report, read. The router is built with the app's ``JobViews`` (the read model with
the parts other domains add), so the parts are served without this package naming them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response, status

from app.core import routing  # noqa: F401  (registers the jobid path convertor)
from app.core.ids import new_id
from app.core.schemas import PathId
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep
from app.errors import responses
from app.jobs import reads, service
from app.jobs.schemas import BulkComplete, JobComplete, JobCreate, JobHeartbeat, JobRegister, JobStatus
from app.jobs.views import JobViews


def build_router(views: JobViews) -> APIRouter:
    router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
    read_model = views.model

    @router.post(
        "",
        operation_id="createJob",
        status_code=status.HTTP_201_CREATED,
        response_model=read_model,
        responses={
            **responses(409, 413, 422),
            200: {"model": read_model, "description": "Registered before, same body"},
        },
    )
    async def create_job(body: JobCreate, response: Response, rt: RuntimeDep, ns: NamespaceDep) -> Any:
        """Register a job (201); the same body again answers 200, another body 409."""
        job_id = body.id or new_id("job")
        register = JobRegister.model_validate(body.model_dump(exclude={"id"}))
        row, created = await rt.db.run(
            lambda tx: service.register(tx, namespace=ns, job_id=job_id, body=register)
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return views.bare(row)

    @router.post(
        "/complete",
        operation_id="completeJobs",
        response_model=views.bulk_complete_result,
        responses=responses(413, 422),
    )
    async def complete_jobs(body: BulkComplete, rt: RuntimeDep, ns: NamespaceDep) -> Any:
        """Up to 1,000 reports in one transaction; each item says applied, unchanged or conflict."""
        reports = service.reports_from(body.reports)
        results = await rt.db.run(lambda tx: service.complete_many(tx, namespace=ns, reports=reports))
        return views.bulk_complete_result(
            results=[views.bulk_result(id=r.id, result=r.result, job=views.bare(r.job)) for r in results]
        )

    @router.get("", operation_id="listJobs", response_model=views.page, responses=responses(422))
    async def list_jobs(
        rt: RuntimeDep,
        ns: NamespaceDep,
        limit: LimitQuery = 100,
        cursor: CursorQuery = None,
        status: JobStatus | None = None,
        name: str | None = Query(default=None, max_length=200),
    ) -> Any:
        """Jobs in id order, optionally filtered by status and name."""
        async with rt.db.read() as conn:
            rows, next_cursor = await reads.list_jobs(
                conn, namespace=ns, status=status, name=name, limit=limit, cursor=cursor
            )
            items = await views.render(conn, ns, rows)
        return views.page(items=items, next_cursor=next_cursor)

    @router.put(
        "/{job_id:jobid}",
        operation_id="registerJob",
        response_model=read_model,
        responses={**responses(409, 413, 422), 201: {"model": read_model, "description": "Registered now"}},
    )
    async def register_job(
        job_id: PathId, body: JobRegister, response: Response, rt: RuntimeDep, ns: NamespaceDep
    ) -> Any:
        """Register a job under its id: 201 when new, 200 when the same, 409 when the body differs."""
        row, created = await rt.db.run(
            lambda tx: service.register(tx, namespace=ns, job_id=job_id, body=body)
        )
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return views.bare(row)

    @router.post(
        "/{job_id:jobid}/complete",
        operation_id="completeJob",
        response_model=read_model,
        responses=responses(409, 413, 422),
    )
    async def complete_job(
        job_id: PathId, rt: RuntimeDep, ns: NamespaceDep, body: JobComplete | None = None
    ) -> Any:
        """Report a job finished (no body: succeeded). Unknown ids are recorded; a repeat is a no-op;
        another result is 409."""
        body = body or JobComplete()
        report = service.Report(job_id, body.status, body.output, body.error)
        row = await rt.db.run(lambda tx: service.complete(tx, namespace=ns, job_id=job_id, report=report))
        return views.bare(row)

    @router.post(
        "/{job_id:jobid}/heartbeat",
        operation_id="heartbeatJob",
        response_model=read_model,
        responses=responses(409, 422),
    )
    async def heartbeat_job(
        job_id: PathId, rt: RuntimeDep, ns: NamespaceDep, body: JobHeartbeat | None = None
    ) -> Any:
        """Mark the job running and move its deadline. With timeout_seconds the deadline moves to now +
        that; without it, a job registered with heartbeat_seconds moves it to now + heartbeat_seconds, and
        others keep it. A job with a timeout_at (one registered with heartbeat_seconds, and every workflow
        attempt) never gets a deadline past it. A finished job (timed out, cancelled…) is 409 with
        the job, and nothing changes."""
        timeout = (body or JobHeartbeat()).timeout_seconds
        row = await rt.db.run(
            lambda tx: service.heartbeat(tx, namespace=ns, job_id=job_id, timeout_seconds=timeout)
        )
        return views.bare(row)

    @router.get(
        "/{job_id:jobid}", operation_id="getJob", response_model=read_model, responses=responses(404, 422)
    )
    async def get_job(job_id: PathId, rt: RuntimeDep, ns: NamespaceDep) -> Any:
        """The job; with batch progress when it has batches."""
        async with rt.db.read() as conn:
            return await views.render_one(conn, ns, await reads.get(conn, namespace=ns, job_id=job_id))

    return router
