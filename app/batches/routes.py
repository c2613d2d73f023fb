"""/v1/batch-jobs and /v1/jobs/{id}/batches…: item ledgers of jobs processed in batches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.batches import reads, service
from app.batches.models import BatchRow
from app.batches.schemas import (
    BatchAbort,
    BatchIndex,
    BatchItemRead,
    BatchJobCreate,
    BatchRead,
    BatchReport,
    BatchStatus,
    ItemList,
    JobItemRead,
    SetName,
)
from app.config import Settings
from app.core import routing  # noqa: F401  (registers the jobid path convertor)
from app.core.db import Tx
from app.core.pagination import Page
from app.core.schemas import PathId
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep, Services
from app.errors import responses
from app.jobs.schemas import JobRead, JobRegister, JobStatus
from app.jobs.views import JobViews

router = APIRouter(prefix="/v1", tags=["batches"])


def _retention(settings: Settings) -> timedelta:
    return timedelta(days=settings.batch_item_retention_days)


async def _answer(rt: Services, write: Callable[[Tx], Awaitable[BatchRow]]) -> BatchRead:
    """Run a batch write and read the batch it answers with in the same transaction."""

    async def run(tx: Tx) -> BatchRead:
        return await reads.to_read(tx.conn, await write(tx))

    return await rt.db.run(run)


@router.post(
    "/jobs/{job_id:jobid}/batches",
    operation_id="createBatch",
    status_code=status.HTTP_201_CREATED,
    responses=responses(404, 409, 413, 422),
)
async def create_batch(job_id: PathId, body: ItemList, rt: RuntimeDep, ns: NamespaceDep) -> BatchRead:
    """The job's next batch (indices 1, 2, 3 … never reused); its ids start pending."""
    max_items, retention = rt.settings.max_batch_items, _retention(rt.settings)
    return await _answer(
        rt,
        lambda tx: service.add_batch(
            tx, namespace=ns, job_id=job_id, items=body.items, max_items=max_items, retention=retention
        ),
    )


@router.get("/jobs/{job_id:jobid}/batches", operation_id="listBatches", responses=responses(404, 422))
async def list_batches(
    job_id: PathId,
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: BatchStatus | None = None,
) -> Page[BatchRead]:
    """The job's batches in index order, open ones only with ``status=open``."""
    async with rt.db.read() as conn:
        return await reads.list_batches(
            conn, namespace=ns, job_id=job_id, status=status, limit=limit, cursor=cursor
        )


@router.get(
    "/jobs/{job_id:jobid}/batches/{index:int}/sets/{set_name}",
    operation_id="listBatchSetItems",
    responses=responses(404, 422),
)
async def list_set_items(
    job_id: PathId,
    index: BatchIndex,
    set_name: SetName,
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[BatchItemRead]:
    """The ids of one set, in id order; errored ids carry their reason."""
    async with rt.db.read() as conn:
        return await reads.list_items(
            conn, namespace=ns, job_id=job_id, index=index, set_name=set_name, limit=limit, cursor=cursor
        )


@router.get(
    "/jobs/{job_id:jobid}/sets/{set_name}", operation_id="listJobSetItems", responses=responses(404, 422)
)
async def list_job_set_items(
    job_id: PathId,
    set_name: SetName,
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[JobItemRead]:
    """One set across every batch of the job (e.g. all its errored ids, with reasons and batch index)."""
    async with rt.db.read() as conn:
        return await reads.list_job_items(
            conn, namespace=ns, job_id=job_id, set_name=set_name, limit=limit, cursor=cursor
        )


@router.put(
    "/jobs/{job_id:jobid}/batches/{index:int}/sets/{set_name}",
    operation_id="replaceBatchSet",
    responses=responses(404, 409, 413, 422),
)
async def replace_set(
    job_id: PathId, index: BatchIndex, set_name: SetName, body: ItemList, rt: RuntimeDep, ns: NamespaceDep
) -> BatchRead:
    """Replace a set. ``pending`` re-plans an open batch (emptying it finishes the batch); ``skipped`` and
    ``errored`` belong to reports (409); other names are free."""
    settings = rt.settings
    return await _answer(
        rt,
        lambda tx: service.replace_set(
            tx,
            namespace=ns,
            job_id=job_id,
            index=index,
            set_name=set_name,
            items=body.items,
            max_items=settings.max_batch_items,
            retention=_retention(settings),
        ),
    )


@router.delete(
    "/jobs/{job_id:jobid}/batches/{index:int}/sets/{set_name}",
    operation_id="removeBatchSet",
    responses=responses(404, 422),
)
async def remove_set(
    job_id: PathId, index: BatchIndex, set_name: SetName, rt: RuntimeDep, ns: NamespaceDep
) -> BatchRead:
    """The seed's ``remove_set``: removing ``pending`` withdraws its ids and finishes the batch."""
    retention = _retention(rt.settings)
    return await _answer(
        rt,
        lambda tx: service.remove_set(
            tx, namespace=ns, job_id=job_id, index=index, set_name=set_name, retention=retention
        ),
    )


@router.post(
    "/jobs/{job_id:jobid}/batches/{index:int}/report",
    operation_id="reportBatch",
    responses=responses(404, 409, 413, 422),
)
async def report_batch(
    job_id: PathId, index: BatchIndex, body: BatchReport, rt: RuntimeDep, ns: NamespaceDep
) -> BatchRead:
    """Outcomes of pending ids (all must be pending, else 422 and nothing applied). ``done`` or an
    emptied pending set finishes the batch."""
    settings = rt.settings
    return await _answer(
        rt,
        lambda tx: service.report(
            tx,
            namespace=ns,
            job_id=job_id,
            index=index,
            body=body,
            max_items=settings.max_batch_items,
            retention=_retention(settings),
        ),
    )


@router.post(
    "/jobs/{job_id:jobid}/batches/{index:int}/abort",
    operation_id="abortBatch",
    responses=responses(404, 409, 422),
)
async def abort_batch(
    job_id: PathId, index: BatchIndex, body: BatchAbort, rt: RuntimeDep, ns: NamespaceDep
) -> BatchRead:
    """Every pending id goes to errored with the reason; the batch finishes."""
    retention = _retention(rt.settings)
    return await _answer(
        rt,
        lambda tx: service.abort(
            tx, namespace=ns, job_id=job_id, index=index, error=body.error, retention=retention
        ),
    )


@router.get(
    "/jobs/{job_id:jobid}/batches/{index:int}", operation_id="getBatch", responses=responses(404, 422)
)
async def get_batch(job_id: PathId, index: BatchIndex, rt: RuntimeDep, ns: NamespaceDep) -> BatchRead:
    """A batch with its counts and the size of each stored set."""
    async with rt.db.read() as conn:
        return await reads.get_batch(conn, namespace=ns, job_id=job_id, index=index)


@router.delete(
    "/jobs/{job_id:jobid}/batches/{index:int}",
    operation_id="deleteBatch",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(404, 422),
)
async def delete_batch(job_id: PathId, index: BatchIndex, rt: RuntimeDep, ns: NamespaceDep) -> Response:
    """Delete a batch and its sets; its outcomes stay counted on the job. The index is not reused."""
    await rt.db.run(lambda tx: service.delete_batch(tx, namespace=ns, job_id=job_id, index=index))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def build_job_router(views: JobViews) -> APIRouter:
    """The routes that answer with a job (batch jobs, seal), built with the app's read model."""
    jobs_router = APIRouter(prefix="/v1", tags=["batches"])
    read_model = views.model

    @jobs_router.post(
        "/batch-jobs",
        operation_id="createBatchJob",
        status_code=status.HTTP_201_CREATED,
        response_model=read_model,
        responses=responses(413, 422),
    )
    async def create_batch_job(body: BatchJobCreate, rt: RuntimeDep, ns: NamespaceDep) -> Any:
        """A job named ``name:YYYY-mm-dd_HH-MM-SS_ddddd`` whose batches drive its completion once sealed."""
        register = JobRegister(name=body.name, metadata=body.metadata, timeout_seconds=body.timeout_seconds)
        callback = body.callback.model_dump(mode="json") if body.callback else None

        async def create(tx: Tx) -> JobRead:
            row = await service.create_batch_job(
                tx,
                namespace=ns,
                name=body.name,
                register=register,
                fail_on_errors=body.fail_on_errors,
                callback=callback,
            )
            return await views.render_one(tx.conn, ns, row)

        return await rt.db.run(create)

    @jobs_router.get(
        "/batch-jobs", operation_id="listBatchJobs", response_model=views.page, responses=responses(422)
    )
    async def list_batch_jobs(
        rt: RuntimeDep,
        ns: NamespaceDep,
        limit: LimitQuery = 100,
        cursor: CursorQuery = None,
        name: Annotated[str | None, Query(max_length=200)] = None,
        status: JobStatus | None = None,
    ) -> Any:
        """Batch jobs in id order (ids start with the name, then the time), with their progress."""
        async with rt.db.read() as conn:
            rows, next_cursor = await reads.list_batch_jobs(
                conn, namespace=ns, name=name, status=status, limit=limit, cursor=cursor
            )
            return views.page(items=await views.render(conn, ns, rows), next_cursor=next_cursor)

    @jobs_router.get(
        "/batch-jobs/{job_id:jobid}",
        operation_id="getBatchJob",
        response_model=read_model,
        responses=responses(404, 422),
    )
    async def get_batch_job(job_id: PathId, rt: RuntimeDep, ns: NamespaceDep) -> Any:
        async with rt.db.read() as conn:
            row = await reads.get_batch_job(conn, namespace=ns, job_id=job_id)
            return await views.render_one(conn, ns, row)

    @jobs_router.post(
        "/jobs/{job_id:jobid}/seal",
        operation_id="sealJob",
        response_model=read_model,
        responses=responses(404, 409, 422),
    )
    async def seal_job(job_id: PathId, rt: RuntimeDep, ns: NamespaceDep) -> Any:
        """No more batches. The job completes as soon as no batch is open: here, or with its last batch."""

        async def seal(tx: Tx) -> JobRead:
            row = await service.seal(tx, namespace=ns, job_id=job_id)
            return await views.render_one(tx.conn, ns, row)

        return await rt.db.run(seal)

    return jobs_router
