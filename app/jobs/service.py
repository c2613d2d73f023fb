"""Job registration, completion reports and timeouts. Services flush, never commit.

Jobs that reach an end publish ``JobsFinished`` in the same transaction; what reacts to it (the gathers that
hold them; later, workflows) subscribes at the composition root (``app.main``), so this package names none of
it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx
from app.errors import Conflict
from app.jobs import store
from app.jobs.models import ACTIVE, JobRow, jobs
from app.jobs.schemas import BulkReport, EndStatus, JobRegister, ReportOutcome


@dataclass(frozen=True)
class Report:
    """One completion, from a client, a timeout or a batch ledger."""

    id: str
    status: EndStatus
    output: Any = None
    error: Any = None


@dataclass(frozen=True)
class ReportResult:
    id: str
    result: ReportOutcome
    job: JobRow


class JobConflict(Conflict):
    """A 409 about a job: the problem carries the job as it is, rendered with the app's read model (the
    composition root's handler adds it as ``job``)."""

    def __init__(self, detail: str, row: JobRow) -> None:
        super().__init__(detail)
        self.row = row


@dataclass(frozen=True)
class JobsFinished:
    """Jobs of one namespace that reached an end in this transaction, in report order (published once per
    report, bulk report, timeout batch or ledger completion)."""

    namespace: str
    finished: tuple[tuple[str, EndStatus], ...]


@dataclass(frozen=True)
class JobsReopened:
    """Jobs of one namespace taken back from their end in this transaction, each with the end it left: only
    a redriven or rerun workflow run's own job, which ends again with the run."""

    namespace: str
    reopened: tuple[tuple[str, EndStatus], ...]


async def reopen(tx: Tx, *, namespace: str, job_id: str) -> None:
    """Take a finished job back to ``running`` (its output, error and end cleared) and tell the domains that
    counted its end. Every other job's end is final; this is for a run's own job, whose run runs again."""
    j = jobs.c
    where = (j.namespace == namespace, j.id == job_id)
    status = (await tx.conn.execute(sa.select(j.status).where(*where))).scalar_one_or_none()
    if status is None or status in ACTIVE:
        return
    values = {"status": "running", "output": None, "error": None, "finished_at": None, "updated_at": tx.now}
    if (await tx.conn.execute(sa.update(jobs).where(*where, j.status == status).values(values))).rowcount:
        await tx.publish(JobsReopened(namespace, ((job_id, cast(EndStatus, status)),)))


def registration_values(body: JobRegister, now: datetime) -> dict[str, Any]:
    """The jobs columns a registration sets. With ``heartbeat_seconds`` the timeout becomes a hard deadline
    (``timeout_at``) and the first deadline is one heartbeat away."""
    deadline = now + timedelta(seconds=body.timeout_seconds) if body.timeout_seconds else None
    timeout_at = deadline if body.heartbeat_seconds else None
    if body.heartbeat_seconds:
        deadline = beat_deadline(now, body.heartbeat_seconds, timeout_at)
    return {
        "name": body.name,
        "meta": body.metadata,
        "timeout_seconds": body.timeout_seconds,
        "heartbeat_seconds": body.heartbeat_seconds,
        "timeout_at": timeout_at,
        "deadline_at": deadline,
        "registered": True,
    }


def beat_deadline(now: datetime, seconds: float, timeout_at: datetime | None) -> datetime:
    """The deadline a heartbeat (or a dispatch) sets: ``seconds`` from now, never past ``timeout_at``."""
    deadline = now + timedelta(seconds=seconds)
    return deadline if timeout_at is None else min(deadline, timeout_at)


def _same_registration(row: JobRow, body: JobRegister) -> bool:
    return (row["name"], row["meta"], row["timeout_seconds"], row["heartbeat_seconds"]) == (
        body.name,
        body.metadata,
        body.timeout_seconds,
        body.heartbeat_seconds,
    )


async def register(tx: Tx, *, namespace: str, job_id: str, body: JobRegister) -> tuple[JobRow, bool]:
    """Register a job; returns (row, created). Same body again → the job; another body → Conflict."""
    values = registration_values(body, tx.now)
    new = store.new_row(namespace, job_id, tx.now, **values)
    if job_id in await store.insert_new(tx, [new]):
        return new, True
    row = (await store.lock_jobs(tx, namespace, [job_id]))[job_id]
    if row["registered"]:
        if _same_registration(row, body):
            return row, False
        raise JobConflict(f"job {job_id!r} is already registered with another body", row)
    # Known only from a gather or a report so far: the registration fills in its details.
    if row["status"] not in ACTIVE:
        values["deadline_at"] = values["timeout_at"] = None
    values["updated_at"] = tx.now
    await tx.conn.execute(
        sa.update(jobs).where(jobs.c.namespace == namespace, jobs.c.id == job_id).values(**values)
    )
    return cast(JobRow, {**row, **values}), False


def _same_report(row: JobRow, report: Report) -> bool:
    return (row["status"], row["output"], row["error"]) == (report.status, report.output, report.error)


async def complete_many(tx: Tx, *, namespace: str, reports: Sequence[Report]) -> list[ReportResult]:
    """Apply completion reports in one transaction; resolve what they complete. Results in input order.

    One statement finishes every job still active (registering unknown ids finished); only the reports it
    did not apply read their job, to tell a repeat ("unchanged") from another result ("conflict")."""
    # An id reported twice: the first report is the one applied, the repeat is compared with it.
    first = {r.id: i for i, r in reversed(list(enumerate(reports)))}
    ends = [
        store.new_row(
            namespace, r.id, tx.now, status=r.status, output=r.output, error=r.error, finished_at=tx.now
        )
        for r in (reports[i] for i in first.values())
    ]
    applied = await store.finish(tx, ends)
    others = await store.read_jobs(tx, namespace, [i for i in first if i not in applied])
    results: list[ReportResult] = []
    finishing: list[Report] = []
    for index, report in enumerate(reports):
        if report.id in applied and first[report.id] == index:
            finishing.append(report)
            results.append(ReportResult(report.id, "applied", applied[report.id]))
        else:
            row = applied.get(report.id) or others[report.id]
            outcome: ReportOutcome = "unchanged" if _same_report(row, report) else "conflict"
            results.append(ReportResult(report.id, outcome, row))
    if finishing:
        for report in finishing:
            tx.observe("report", report.status)
        await tx.publish(JobsFinished(namespace, tuple((r.id, r.status) for r in finishing)))
    return results


async def complete(tx: Tx, *, namespace: str, job_id: str, report: Report) -> JobRow:
    """Apply one report; a conflicting repeat raises JobConflict."""
    (result,) = await complete_many(tx, namespace=namespace, reports=[report])
    if result.result == "conflict":
        raise JobConflict(
            f"job {job_id!r} already finished as {result.job['status']!r} with another result", result.job
        )
    return result.job


def reports_from(items: Sequence[BulkReport]) -> list[Report]:
    return [Report(i.id, i.status, i.output, i.error) for i in items]


async def heartbeat(tx: Tx, *, namespace: str, job_id: str, timeout_seconds: float | None) -> JobRow:
    """Mark an unfinished job running and move its deadline ``timeout_seconds`` (else the job's
    ``heartbeat_seconds``) past now, never past the job's ``timeout_at`` when it has one."""
    rows = await store.ensure_and_lock(tx, namespace, [job_id])
    row = rows[job_id]
    if row["status"] not in ACTIVE:
        raise JobConflict(f"job {job_id!r} already finished as {row['status']!r}", row)
    values: dict[str, Any] = {"status": "running", "updated_at": tx.now}
    interval = timeout_seconds if timeout_seconds is not None else row["heartbeat_seconds"]
    if interval is not None:
        values["deadline_at"] = beat_deadline(tx.now, interval, row["timeout_at"])
    await tx.conn.execute(
        sa.update(jobs).where(jobs.c.namespace == namespace, jobs.c.id == job_id).values(**values)
    )
    return cast(JobRow, {**row, **values})


def _expiry_error(heartbeat: float | None, deadline: datetime, timeout_at: datetime | None) -> dict[str, Any]:
    """Why a job timed out: a heartbeat that did not come in time, or its timeout."""
    if heartbeat is not None and (timeout_at is None or deadline < timeout_at):
        detail = f"no heartbeat came within {heartbeat:g} s"
        return {"reason": "heartbeat_missed", "detail": detail, "heartbeat_seconds": heartbeat}
    return {"reason": "timeout", "detail": "the job passed its timeout_seconds"}


async def expire_due(tx: Tx, *, limit: int) -> int:
    """Time out unfinished jobs whose deadline has passed (``reason``: ``timeout`` or ``heartbeat_missed``);
    they count as failures in their gathers."""
    j = jobs.c
    stmt = tx.due(
        sa.select(j.namespace, j.id, j.heartbeat_seconds, j.deadline_at, j.timeout_at).where(
            j.status.in_(ACTIVE)
        ),
        j.deadline_at,
        limit=limit,
    )
    due = (await tx.conn.execute(stmt)).all()
    by_namespace: dict[str, list[Report]] = {}
    for namespace, job_id, heartbeat_seconds, deadline_at, timeout_at in due:
        error = _expiry_error(heartbeat_seconds, deadline_at, timeout_at)
        by_namespace.setdefault(namespace, []).append(Report(job_id, "timed_out", None, error))
    for namespace, reports in by_namespace.items():
        await complete_many(tx, namespace=namespace, reports=reports)
    return len(due)
