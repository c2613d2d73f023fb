"""Job request and response bodies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from app.core.schemas import JobId, Name, Seconds, SmallJson, Strict
from app.jobs.models import JobRow
from app.jobs.models import JobStatus as JobStatus  # re-exported: the API names it with the schemas

ReportStatus = Literal["succeeded", "failed", "cancelled"]
# A finished job's status: what a client reports, or what the service decides (a timeout).
EndStatus = Literal["succeeded", "failed", "cancelled", "timed_out"]
ReportOutcome = Literal["applied", "unchanged", "conflict"]
MAX_BULK_REPORTS = 1000


class JobRegister(Strict):
    """Register a job under the id in the path."""

    name: Name | None = None
    metadata: SmallJson | None = None
    timeout_seconds: Seconds | None = Field(
        default=None, description="The job times out this long after registration (a heartbeat may extend it)"
    )
    heartbeat_seconds: Seconds | None = Field(
        default=None,
        description="The job also times out when no heartbeat came for this long; with it, no heartbeat "
        "moves the deadline past timeout_seconds after registration. At most timeout_seconds",
    )

    @field_validator("heartbeat_seconds")
    @classmethod
    def _heartbeat_within_timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        timeout = info.data.get("timeout_seconds")  # absent when it was refused itself
        if value is not None and timeout is not None and value > timeout:
            raise ValueError(f"must not exceed timeout_seconds ({timeout:g})")
        return value


class JobCreate(JobRegister):
    """Register a job; the service picks the id when none is given."""

    id: JobId | None = None


class JobComplete(Strict):
    """A completion report."""

    status: ReportStatus = "succeeded"
    output: SmallJson = None
    error: SmallJson = None


class JobHeartbeat(Strict):
    """Mark a job running and move its deadline: ``timeout_seconds`` (else the job's ``heartbeat_seconds``)
    past now, never past the hard deadline of a job with ``heartbeat_seconds``."""

    timeout_seconds: Seconds | None = Field(
        default=None, description="Move the deadline to now + this (default: the job's heartbeat_seconds)"
    )


class BulkReport(JobComplete):
    id: JobId


class BulkComplete(Strict):
    reports: Annotated[list[BulkReport], Field(min_length=1, max_length=MAX_BULK_REPORTS)]

    @field_validator("reports")
    @classmethod
    def _unique_ids(cls, reports: list[BulkReport]) -> list[BulkReport]:
        seen: set[str] = set()
        for report in reports:
            if report.id in seen:
                raise ValueError(f"job id {report.id!r} is reported more than once")
            seen.add(report.id)
        return reports


class JobRead(BaseModel):
    """A job. Other domains add parts to it (see ``app.jobs.views``); this base is never served alone."""

    id: str
    name: str | None
    metadata: Any
    status: JobStatus
    output: Any
    error: Any
    timeout_seconds: float | None
    heartbeat_seconds: float | None = Field(description="Heartbeat interval; null when the job has none")
    deadline_at: datetime | None = Field(description="When the job times out unless it ends (or beats) first")
    timeout_at: datetime | None = Field(
        description="The hard deadline no heartbeat moves past: set for a job registered with "
        "heartbeat_seconds and for every workflow attempt"
    )
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: JobRow | Mapping[str, Any]) -> JobRead:
        """The one way from a jobs row to its read model."""
        m = row
        return cls(
            id=m["id"],
            name=m["name"],
            metadata=m["meta"],
            status=m["status"],
            output=m["output"],
            error=m["error"],
            timeout_seconds=m["timeout_seconds"],
            heartbeat_seconds=m["heartbeat_seconds"],
            deadline_at=m["deadline_at"],
            timeout_at=m["timeout_at"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
            finished_at=m["finished_at"],
        )


class BulkResult(BaseModel):
    id: str
    result: ReportOutcome
    job: JobRead


class BulkCompleteResult(BaseModel):
    results: list[BulkResult]
