"""Job reads: one job, and pages of jobs."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.pagination import keyset_page
from app.errors import NotFound
from app.jobs.models import JobRow, JobStatus, jobs


async def get(conn: AsyncConnection, *, namespace: str, job_id: str) -> JobRow:
    row = (
        (await conn.execute(sa.select(jobs).where(jobs.c.namespace == namespace, jobs.c.id == job_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"job {job_id!r} does not exist")
    return cast(JobRow, dict(row))


async def list_jobs(
    conn: AsyncConnection,
    *,
    namespace: str,
    status: JobStatus | None,
    name: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[JobRow], str | None]:
    """Jobs in id order, filtered by status and name: a page of rows and the next cursor."""
    stmt = sa.select(jobs).where(jobs.c.namespace == namespace)
    if status is not None:
        stmt = stmt.where(jobs.c.status == status)
    if name is not None:
        stmt = stmt.where(jobs.c.name == name)
    rows, next_cursor = await keyset_page(conn, stmt, jobs.c.id, limit=limit, cursor=cursor)
    return [cast(JobRow, dict(r)) for r in rows], next_cursor
