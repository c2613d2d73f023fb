"""Batch reads: progress of jobs, batch jobs, batches and the ids of their sets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from app.batches import store
from app.batches.models import BATCH_JOB, BatchRow, batch_items, batch_ledgers, batches
from app.batches.schemas import BatchItemRead, BatchProgress, BatchRead, BatchStatus, JobItemRead
from app.core import keyed
from app.core.db import chunks
from app.core.pagination import Page, bad_cursor, decode_cursor, encode_cursor, keyset_page
from app.errors import NotFound
from app.jobs import reads as job_reads
from app.jobs.models import JobRow, JobStatus, jobs
from app.jobs.views import ReadPart


async def progress(
    conn: AsyncConnection, *, namespace: str, job_ids: Sequence[str]
) -> dict[str, BatchProgress]:
    """The ledgers of the given jobs (those that have one), by job id."""
    found: dict[str, BatchProgress] = {}
    for part in chunks(list(job_ids)):
        stmt = sa.select(batch_ledgers).where(
            batch_ledgers.c.namespace == namespace, batch_ledgers.c.job_id.in_(part)
        )
        for row in (await conn.execute(stmt)).mappings():
            found[row["job_id"]] = BatchProgress.from_row(dict(row))
    return found


READ_PART = ReadPart(
    name="batches",
    annotation=BatchProgress | None,
    field=Field(default=None, description="Batch progress, on reads of a job that has batches"),
    load=lambda conn, namespace, job_ids: progress(conn, namespace=namespace, job_ids=job_ids),
)


async def get_batch_job(conn: AsyncConnection, *, namespace: str, job_id: str) -> JobRow:
    """The job, when it was made through /v1/batch-jobs: one query reads it and what its ledger says."""
    # The job is the first at or after its key in key order: only the primary key serves that, whatever the
    # statistics (with none, ``namespace = … AND id = …`` makes a (namespace, …) index look as cheap).
    key = sa.tuple_(jobs.c.namespace, jobs.c.id)
    job = (
        sa.select(jobs)
        .where(key >= sa.tuple_(sa.literal(namespace), sa.literal(job_id)))
        .order_by(jobs.c.namespace, jobs.c.id)
        .limit(1)
        .subquery("job")
    )
    on_ledger = sa.and_(batch_ledgers.c.namespace == job.c.namespace, batch_ledgers.c.job_id == job.c.id)
    stmt = (
        sa.select(job, batch_ledgers.c.batch_job.label("ledger_batch_job"))
        .outerjoin(batch_ledgers, on_ledger)
        .where(job.c.namespace == namespace, job.c.id == job_id)
    )
    found = (await conn.execute(stmt)).mappings().first()
    if found is None:
        raise NotFound(f"job {job_id!r} does not exist")
    if not found["ledger_batch_job"]:
        raise NotFound(f"batch job {job_id!r} does not exist")
    row = dict(found)
    del row["ledger_batch_job"]
    return cast(JobRow, row)


async def list_batch_jobs(
    conn: AsyncConnection,
    *,
    namespace: str,
    name: str | None,
    status: JobStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[JobRow], str | None]:
    """Jobs made through /v1/batch-jobs, in id order: a page of rows and the next cursor.

    Walked from the ledgers, never from the jobs (most of a namespace's jobs may be gather members of the
    same status): the batch jobs' partial index in job id order, each job read by its primary key. An open
    job (pending, running) has a ledger that has not completed it, which a smaller partial index holds, so
    the console's open batch jobs cost what is open, not every batch job there ever was."""
    ledger = batch_ledgers.c
    found, on = keyed.joined(conn.dialect.name, jobs.c.id, ledger.namespace, ledger.job_id)
    job = found.c
    stmt = (
        sa.select(*(job[c.name] for c in jobs.c), ledger.job_id)
        .select_from(batch_ledgers)
        .join(found, on)
        .where(ledger.namespace == namespace, BATCH_JOB)
    )
    if status in ("pending", "running"):
        stmt = stmt.where(ledger.completed_at.is_(None))
    if name is not None:
        stmt = stmt.where(job.name == name)
    if status is not None:
        stmt = stmt.where(job.status == status)
    rows, next_cursor = await keyset_page(conn, stmt, ledger.job_id, limit=limit, cursor=cursor)
    return [cast(JobRow, {k: v for k, v in row.items() if k != "job_id"}) for row in rows], next_cursor


async def to_read(conn: AsyncConnection, row: BatchRow) -> BatchRead:
    counts = await store.set_counts(conn, [row["id"]])
    return BatchRead.from_row(row, counts[row["id"]])


async def get_batch(conn: AsyncConnection, *, namespace: str, job_id: str, index: int) -> BatchRead:
    return await to_read(conn, await store.get_row(conn, namespace, job_id, index))


async def list_batches(
    conn: AsyncConnection,
    *,
    namespace: str,
    job_id: str,
    status: BatchStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[BatchRead]:
    """A job's batches in index order; 404 when the job does not exist."""
    await job_reads.get(conn, namespace=namespace, job_id=job_id)
    stmt = sa.select(batches).where(batches.c.namespace == namespace, batches.c.job_id == job_id)
    if status is not None:
        stmt = stmt.where(batches.c.status == status)
    rows, next_cursor = await keyset_page(conn, stmt, batches.c.batch_index, limit=limit, cursor=cursor)
    counts = await store.set_counts(conn, [r["id"] for r in rows])
    return Page[BatchRead](
        items=[BatchRead.from_row(r, counts[r["id"]]) for r in rows], next_cursor=next_cursor
    )


async def list_items(
    conn: AsyncConnection,
    *,
    namespace: str,
    job_id: str,
    index: int,
    set_name: str,
    limit: int,
    cursor: str | None,
) -> Page[BatchItemRead]:
    """The ids of one set of a batch, in id order (a set never written is empty)."""
    batch = await store.get_row(conn, namespace, job_id, index)
    stmt = sa.select(batch_items.c.item, batch_items.c.error).where(
        batch_items.c.batch_id == batch["id"], batch_items.c.set_name == set_name
    )
    rows, next_cursor = await keyset_page(conn, stmt, batch_items.c.item, limit=limit, cursor=cursor)
    return Page[BatchItemRead](
        items=[BatchItemRead(id=r["item"], error=r["error"]) for r in rows], next_cursor=next_cursor
    )


async def list_job_items(
    conn: AsyncConnection,
    *,
    namespace: str,
    job_id: str,
    set_name: str,
    limit: int,
    cursor: str | None,
) -> Page[JobItemRead]:
    """One set across all the job's batches (the seed's job-wide ``errored`` and ``skipped`` sets), in
    (batch index, id) order."""
    await job_reads.get(conn, namespace=namespace, job_id=job_id)
    stmt = (
        sa.select(batches.c.batch_index, batch_items.c.item, batch_items.c.error)
        .join(batches, batches.c.id == batch_items.c.batch_id)
        .where(
            batches.c.namespace == namespace, batches.c.job_id == job_id, batch_items.c.set_name == set_name
        )
        .order_by(batches.c.batch_index, batch_items.c.item)
        .limit(limit + 1)
    )
    after = decode_cursor(cursor)
    if after is not None:
        index, _, item = after.partition("|")
        if not (index.isascii() and index.isdigit() and len(index) <= 10 and int(index) < 2**31):
            raise bad_cursor()
        stmt = stmt.where(sa.tuple_(batches.c.batch_index, batch_items.c.item) > (int(index), item))
    rows = list((await conn.execute(stmt)).mappings())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([f"{rows[-1]['batch_index']}|{rows[-1]['item']}"])
    items = [JobItemRead(id=r["item"], error=r["error"], batch_index=r["batch_index"]) for r in rows]
    return Page[JobItemRead](items=items, next_cursor=next_cursor)
