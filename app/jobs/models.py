"""The jobs table, and its row as stores return it."""

from datetime import datetime
from typing import Any, Literal, TypedDict

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type, partial_index

JobStatus = Literal["pending", "running", "succeeded", "failed", "cancelled", "timed_out"]
ACTIVE: tuple[JobStatus, ...] = ("pending", "running")

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("meta", json_type(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("registered", sa.Boolean(), nullable=False, default=False),
    sa.Column("timeout_seconds", sa.Float(), nullable=True),
    sa.Column("deadline_at", UTCDateTime(), nullable=True),
    # With a heartbeat interval, each heartbeat moves deadline_at to now + heartbeat_seconds, never past
    # timeout_at (the deadline set by timeout_seconds).
    sa.Column("heartbeat_seconds", sa.Float(), nullable=True),
    sa.Column("timeout_at", UTCDateTime(), nullable=True),
    sa.Column("output", json_type(), nullable=True),
    sa.Column("error", json_type(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Index("ix_jobs_namespace_status", "namespace", "status"),
    sa.Index("ix_jobs_namespace_name", "namespace", "name"),
    partial_index(
        "ix_jobs_due", "deadline_at", where="status IN ('pending', 'running') AND deadline_at IS NOT NULL"
    ),
)


class JobRow(TypedDict):
    namespace: str
    id: str
    name: str | None
    meta: Any
    status: JobStatus
    registered: bool
    timeout_seconds: float | None
    deadline_at: datetime | None
    heartbeat_seconds: float | None
    timeout_at: datetime | None
    output: Any
    error: Any
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
