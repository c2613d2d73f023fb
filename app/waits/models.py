"""The waits table (at most one open wait per group key) and its participants, in join order."""

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type, partial_index

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
