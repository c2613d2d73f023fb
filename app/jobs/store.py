"""Row-level job helpers shared by the job and gather services (no FastAPI, no commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.core.db import Tx, chunks
from app.core.prepared import Prepared
from app.jobs.models import ACTIVE, JobRow, jobs


async def lock_jobs(tx: Tx, namespace: str, ids: Sequence[str]) -> dict[str, JobRow]:
    """Read and (on PostgreSQL) lock the given jobs in id order, so concurrent lockers cannot deadlock."""
    found: dict[str, JobRow] = {}
    for part in chunks(sorted(ids)):
        stmt = sa.select(jobs).where(jobs.c.namespace == namespace, jobs.c.id.in_(part)).order_by(jobs.c.id)
        result = await tx.conn.execute(tx.for_update(stmt))
        for row in result.mappings():
            found[row["id"]] = cast(JobRow, dict(row))
    return found


def new_row(namespace: str, job_id: str, now: datetime, **values: Any) -> JobRow:
    """A complete jobs row with defaults, for inserts."""
    row: dict[str, Any] = {
        "namespace": namespace,
        "id": job_id,
        "name": None,
        "meta": None,
        "status": "pending",
        "registered": False,
        "timeout_seconds": None,
        "deadline_at": None,
        "heartbeat_seconds": None,
        "timeout_at": None,
        "output": None,
        "error": None,
        "created_at": now,
        "updated_at": now,
        "finished_at": None,
    }
    row.update(values)
    return cast(JobRow, row)


async def insert_new(tx: Tx, rows: Sequence[JobRow]) -> set[str]:
    """Insert rows whose ids are free; return the ids actually inserted (others exist already)."""
    if not rows:
        return set()
    stmt = tx.insert(jobs).on_conflict_do_nothing().returning(jobs.c.id)
    ordered = sorted(rows, key=lambda r: r["id"])
    return set((await tx.conn.execute(stmt, ordered)).scalars())


@cache
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE (a no-op write that takes the row lock) RETURNING the row."""
    insert = postgresql.insert(jobs) if dialect == "postgresql" else sqlite.insert(jobs)
    return insert.on_conflict_do_update(
        index_elements=[jobs.c.namespace, jobs.c.id], set_={"registered": jobs.c.registered}
    ).returning(*jobs.c)


@cache
def _finish_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE that finishes each job still pending or running (an unknown id is
    inserted finished), RETURNING the rows it finished. The guard is the statement's own WHERE: of two
    concurrent reports, the database lets one finish the job."""
    insert = postgresql.insert(jobs) if dialect == "postgresql" else sqlite.insert(jobs)
    new = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=[jobs.c.namespace, jobs.c.id],
        set_={k: new[k] for k in ("status", "output", "error", "finished_at", "updated_at")},
        where=sa.or_(*(jobs.c.status == status for status in ACTIVE)),  # no IN: one statement per batch
    ).returning(*jobs.c)


_FINISH_ONE = Prepared({d: _finish_upsert(d) for d in ("postgresql", "sqlite")})


async def finish(tx: Tx, rows: Sequence[JobRow]) -> dict[str, JobRow]:
    """Finish the given jobs (complete rows carrying their end) where they are still active, registering
    unknown ids as they are; returns the rows finished now, by id. One statement, in id order, so concurrent
    writers over overlapping ids take their row locks in one order. A job already finished is left as it
    is, locked on PostgreSQL (ON CONFLICT locks the row it does not update), and not returned."""
    if not rows:
        return {}
    if len(rows) == 1:
        return {row["id"]: cast(JobRow, row) for row in await _FINISH_ONE.rows(tx, rows[0])}
    ordered = sorted(rows, key=lambda r: r["id"])
    result = await tx.conn.execute(_finish_upsert(tx.dialect), ordered)
    return {row["id"]: cast(JobRow, dict(row)) for row in result.mappings()}


async def read_jobs(tx: Tx, namespace: str, ids: Sequence[str]) -> dict[str, JobRow]:
    """The given jobs as they are, by id (no lock)."""
    found: dict[str, JobRow] = {}
    for part in chunks(sorted(ids)):
        stmt = sa.select(jobs).where(jobs.c.namespace == namespace, jobs.c.id.in_(part))
        for row in (await tx.conn.execute(stmt)).mappings():
            found[row["id"]] = cast(JobRow, dict(row))
    return found


async def ensure_and_lock(tx: Tx, namespace: str, ids: Sequence[str]) -> dict[str, JobRow]:
    """Register unknown ids as pending and return every job by id, locked.

    One upsert in id order takes every row lock (new or existing) in a single sorted pass, so concurrent
    reports, bulk reports and gather creations over overlapping ids cannot deadlock.
    """
    if not ids:
        return {}
    # One statement, sent as executemany batches in id order (SQLAlchemy's insertmanyvalues).
    rows = [new_row(namespace, job_id, tx.now) for job_id in sorted(set(ids))]
    result = await tx.conn.execute(_upsert(tx.dialect), rows)
    return {row["id"]: cast(JobRow, dict(row)) for row in result.mappings()}
