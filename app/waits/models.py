"""The waits table (at most one open wait per group key) and its participants, in join order."""

from datetime import datetime
from typing import Any, Literal, TypedDict

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type, partial_index

WaitStatus = Literal["waiting", "resolved", "cancelled"]
WaitReason = Literal["quorum", "timeout"]
WaitEvent = Literal["wait.resolved"]

waits = sa.Table(
    "waits",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("namespace", sa.String(100), nullable=False),
    sa.Column("group_key", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(16), nullable=True),
    sa.Column("expected", sa.Integer(), nullable=False),
    sa.Column("participant_count", sa.Integer(), nullable=False),
    sa.Column("wait_seconds", sa.Float(), nullable=False),
    sa.Column("max_wait_seconds", sa.Float(), nullable=True),
    sa.Column("refire_on_quorum_after_timeout", sa.Boolean(), nullable=False),
    sa.Column("callback", json_type(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_added_at", UTCDateTime(), nullable=False),
    sa.Column("deadline_at", UTCDateTime(), nullable=True),
    sa.Column("timed_out_at", UTCDateTime(), nullable=True),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    partial_index("uq_waits_open_group", "namespace", "group_key", where="status = 'waiting'", unique=True),
    sa.Index("ix_waits_namespace_group", "namespace", "group_key", "id"),
    sa.Index("ix_waits_namespace_status", "namespace", "status", "id"),
    partial_index("ix_waits_due", "deadline_at", where="status = 'waiting' AND deadline_at IS NOT NULL"),
)


class WaitRow(TypedDict):
    id: str
    namespace: str
    group_key: str
    status: WaitStatus
    reason: WaitReason | None
    expected: int
    participant_count: int
    wait_seconds: float
    max_wait_seconds: float | None
    refire_on_quorum_after_timeout: bool
    callback: dict[str, Any]
    created_at: datetime
    last_added_at: datetime
    deadline_at: datetime | None
    timed_out_at: datetime | None
    resolved_at: datetime | None


wait_participants = sa.Table(
    "wait_participants",
    metadata,
    sa.Column("wait_id", sa.String(40), primary_key=True),
    sa.Column("participant_key", sa.String(200), primary_key=True),
    sa.Column("namespace", sa.String(100), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("joined_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["wait_id"], ["waits.id"], ondelete="CASCADE"),
    sa.UniqueConstraint("wait_id", "position"),
)


class WaitParticipantRow(TypedDict):
    wait_id: str
    participant_key: str
    namespace: str
    position: int
    joined_at: datetime
