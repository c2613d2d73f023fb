"""The gathers table and its membership, indexed by job so a report finds its gathers at once."""

from datetime import datetime
from typing import Any, Literal, TypedDict

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type, partial_index
from app.jobs.models import JobStatus

GatherOutcome = Literal["succeeded", "completed", "failed", "timed_out", "cancelled"]
GatherStatus = Literal["waiting", GatherOutcome]
OnFailure = Literal["wait_all", "fail_fast"]
GatherOrder = Literal["id", "-resolved_at"]
GatherEvent = Literal["gather.succeeded", "gather.completed", "gather.failed", "gather.timed_out"]

gathers = sa.Table(
    "gathers",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("sealed", sa.Boolean(), nullable=False),
    sa.Column("on_failure", sa.String(16), nullable=False),
    sa.Column("include_outputs", sa.Boolean(), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("done", sa.Integer(), nullable=False),
    sa.Column("succeeded", sa.Integer(), nullable=False),
    sa.Column("failed", sa.Integer(), nullable=False),
    sa.Column("callback", json_type(), nullable=True),
    sa.Column("failure_callback", json_type(), nullable=True),
    sa.Column("timeout_seconds", sa.Float(), nullable=True),
    sa.Column("poll_interval_seconds", sa.Float(), nullable=True),
    sa.Column("max_attempts", sa.Integer(), nullable=True),
    sa.Column("deadline_at", UTCDateTime(), nullable=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    # Led by status: a lookup by key finds no (namespace, …) index to take for its primary key.
    sa.Index("ix_gathers_status_namespace_id", "status", "namespace", "id"),
    # The latest ended first, of one status (the console's gathers that timed out or failed).
    partial_index(
        "ix_gathers_namespace_status_resolved",
        "namespace",
        "status",
        "resolved_at",
        "id",
        where="resolved_at IS NOT NULL",
    ),
    partial_index("ix_gathers_due", "deadline_at", where="status = 'waiting' AND deadline_at IS NOT NULL"),
)


class GatherRow(TypedDict):
    namespace: str
    id: str
    status: GatherStatus
    sealed: bool
    on_failure: OnFailure
    include_outputs: bool
    total: int
    done: int
    succeeded: int
    failed: int
    callback: dict[str, Any] | None
    failure_callback: dict[str, Any] | None
    timeout_seconds: float | None
    poll_interval_seconds: float | None
    max_attempts: int | None
    deadline_at: datetime | None
    request_hash: str
    created_at: datetime
    resolved_at: datetime | None


gather_members = sa.Table(
    "gather_members",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("gather_id", sa.String(200), primary_key=True),
    sa.Column("job_id", sa.String(200), primary_key=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(
        ["namespace", "gather_id"], ["gathers.namespace", "gathers.id"], ondelete="CASCADE"
    ),
    sa.UniqueConstraint("namespace", "gather_id", "position"),
    sa.Index("ix_gather_members_job", "namespace", "job_id"),
)


class GatherMemberRow(TypedDict):
    namespace: str
    gather_id: str
    job_id: str
    position: int


class MemberJobRow(TypedDict):
    """A member joined with its job: what the member list and resolution events show."""

    job_id: str
    position: int
    status: JobStatus
    output: Any
    error: Any
