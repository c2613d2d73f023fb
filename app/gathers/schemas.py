"""Gather request and response bodies."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from app.core.ids import SUB_RESOURCES
from app.core.schemas import ClientId, JobId, Seconds, Strict
from app.deliveries.schemas import Callback, CallbackRead
from app.gathers.models import GatherRow, GatherStatus, MemberJobRow, OnFailure
from app.jobs.models import JobStatus

PARTS = SUB_RESOURCES["gathers"].leaves
# How many ids a gather holds is a setting (max_gather_jobs), enforced by the service.
JobIds = Annotated[
    list[JobId], Field(description="At most RENDEZVOUS_MAX_GATHER_JOBS ids (100,000 unless configured)")
]


def _no_duplicates(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        dupes = sorted(v for v, n in Counter(value).items() if n > 1)
        raise ValueError(f"job ids must be unique; repeated: {', '.join(dupes[:10])}")
    return value


class GatherCreate(Strict):
    """Create a gather over ``job_ids``; unknown ids are registered as pending."""

    id: ClientId | None = None
    job_ids: JobIds
    callback: Callback | None = None
    failure_callback: Callback | None = None
    on_failure: OnFailure = "wait_all"
    timeout_seconds: Seconds | None = None
    poll_interval_seconds: Seconds | None = 2.0
    max_attempts: Annotated[int, Field(ge=1, le=1_000_000)] | None = 10
    include_outputs: bool = True
    sealed: bool = True

    _unique = field_validator("job_ids")(_no_duplicates)

    @field_validator("id")
    @classmethod
    def _routable(cls, value: str | None) -> str | None:
        if value is not None and "/" in value and value.rsplit("/", 1)[-1] in PARTS:
            ends = ", ".join(f"/{part}" for part in PARTS[:-1]) + f" or /{PARTS[-1]}"
            raise ValueError(f"must not end in {ends} (the paths of the gather's parts)")
        return value


class GatherAddJobs(Strict):
    """More members for an unsealed gather; ids already in it are ignored."""

    job_ids: Annotated[JobIds, Field(min_length=1)]

    _unique = field_validator("job_ids")(_no_duplicates)


class GatherSummary(BaseModel):
    """A gather's progress, without its members (as ``GET /v1/gathers`` lists them)."""

    id: str
    status: GatherStatus
    sealed: bool
    on_failure: str
    include_outputs: bool
    total: int
    done: int
    succeeded: int
    failed: int
    pending: int
    callback: CallbackRead | None
    failure_callback: CallbackRead | None
    timeout_seconds: float | None
    poll_interval_seconds: float | None
    max_attempts: int | None
    deadline_at: datetime | None
    created_at: datetime
    resolved_at: datetime | None

    @staticmethod
    def fields_of(row: GatherRow) -> dict[str, Any]:
        return {
            "id": row["id"],
            "status": row["status"],
            "sealed": row["sealed"],
            "on_failure": row["on_failure"],
            "include_outputs": row["include_outputs"],
            "total": row["total"],
            "done": row["done"],
            "succeeded": row["succeeded"],
            "failed": row["failed"],
            "pending": row["total"] - row["done"],
            "callback": row["callback"],
            "failure_callback": row["failure_callback"],
            "timeout_seconds": row["timeout_seconds"],
            "poll_interval_seconds": row["poll_interval_seconds"],
            "max_attempts": row["max_attempts"],
            "deadline_at": row["deadline_at"],
            "created_at": row["created_at"],
            "resolved_at": row["resolved_at"],
        }

    @classmethod
    def of(cls, row: GatherRow) -> GatherSummary:
        return cls(**cls.fields_of(row))


class GatherRead(GatherSummary):
    pending_job_ids: list[str] = Field(description="The first 100 members that have not finished")

    @classmethod
    def from_row(cls, row: GatherRow, *, pending_job_ids: list[str]) -> GatherRead:
        return cls(**cls.fields_of(row), pending_job_ids=pending_job_ids)


class MemberRead(BaseModel):
    id: str
    position: int
    status: JobStatus
    output: Any = None
    error: Any = None

    @classmethod
    def from_row(cls, row: MemberJobRow, *, with_outputs: bool) -> MemberRead:
        """A member with its job's status; its output and error only when the gather includes outputs."""
        if with_outputs:
            return cls(
                id=row["job_id"],
                position=row["position"],
                status=row["status"],
                output=row["output"],
                error=row["error"],
            )
        return cls(id=row["job_id"], position=row["position"], status=row["status"])


class GatherExplain(BaseModel):
    id: str
    status: GatherStatus
    resolved: bool
    reasons: list[str]
    missing_job_ids: list[str]
    failed_job_ids: list[str]
    deadline_at: datetime | None
    seconds_to_deadline: float | None
