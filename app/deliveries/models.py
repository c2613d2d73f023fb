"""The outbox: one row per callback, written in the transaction that caused it, and its attempts; and the
namespaces, each with the secret its callbacks are signed with."""

from datetime import datetime
from typing import Literal, TypedDict

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type, partial_index

DeliveryStatus = Literal["pending", "delivering", "succeeded", "dead"]

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("namespace", sa.String(100), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("subject_kind", sa.String(16), nullable=False),
    sa.Column("subject_id", sa.String(200), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("headers", json_type(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    # Claims lost to a replica that died (released when its heartbeat went stale): counted in ``attempts``,
    # so a late answer from the old claim never matches the new one, but not against the retry schedule.
    sa.Column("interrupted", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("round_start", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("locked_until", UTCDateTime(), nullable=True),
    sa.Column("locked_by", sa.String(40), nullable=True),
    sa.Column("last_status_code", sa.Integer(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.Index("ix_deliveries_namespace_status", "namespace", "status", "id"),
    sa.Index("ix_deliveries_subject", "namespace", "subject_kind", "subject_id"),
    partial_index("ix_deliveries_due", "next_attempt_at", where="status = 'pending'"),
    # The dead ones, for /metrics' count of every namespace's (the others are counted by their namespace).
    partial_index("ix_deliveries_dead", "id", where="status = 'dead'"),
    partial_index("ix_deliveries_leased", "locked_until", where="status = 'delivering'"),
)


class DeliveryRow(TypedDict):
    id: str
    namespace: str
    event_id: str
    event_type: str
    subject_kind: str
    subject_id: str
    url: str
    headers: dict[str, str]
    body: str
    status: DeliveryStatus
    attempts: int
    interrupted: int
    round_start: int
    next_attempt_at: datetime | None
    locked_until: datetime | None
    locked_by: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("delivery_id", sa.String(40), primary_key=True),
    sa.Column("namespace", sa.String(100), nullable=False),
    sa.Column("attempt", sa.Integer(), primary_key=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("duration_ms", sa.Float(), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("response_body", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="CASCADE"),
)


class AttemptRow(TypedDict):
    delivery_id: str
    namespace: str
    attempt: int
    started_at: datetime
    duration_ms: float
    status_code: int | None
    error: str | None
    response_body: str | None


namespaces = sa.Table(
    "namespaces",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("signing_secret", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    # After a rotation the previous secret keeps signing (a second signature) until it expires.
    sa.Column("previous_signing_secret", sa.String(100), nullable=True),
    sa.Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
    sa.Column("secret_rotated_at", UTCDateTime(), nullable=True),
)


class NamespaceEntry(TypedDict):
    """What the namespaces listing shows of a row."""

    name: str
    created_at: datetime


class NamespaceRow(NamespaceEntry):
    signing_secret: str
    previous_signing_secret: str | None
    previous_secret_expires_at: datetime | None
    secret_rotated_at: datetime | None
