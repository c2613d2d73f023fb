"""Batch ledgers: per job counters, its batches (indexed 1, 2, 3 …) and the item sets of each batch; and
their rows as stores return them."""

from datetime import datetime
from typing import Any, Literal, TypedDict

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type, partial_index

COUNTERS = ("items", "pending", "processed", "skipped", "errored", "withdrawn")
BatchStatus = Literal["open", "finished"]
FinishedBy = Literal["created_empty", "report", "abort", "pending_set"]

# One row per job that has (or had) batches. Counters are updated with atomic increments, so reports on
# different batches of one job may run at the same time and still add up exactly.
batch_ledgers = sa.Table(
    "batch_ledgers",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("job_id", sa.String(200), primary_key=True),
    sa.Column("batch_job", sa.Boolean(), nullable=False),
    sa.Column("fail_on_errors", sa.Boolean(), nullable=False),
    sa.Column("callback", json_type(), nullable=True),
    sa.Column("sealed", sa.Boolean(), nullable=False),
    sa.Column("next_index", sa.Integer(), nullable=False),
    sa.Column("batches_total", sa.Integer(), nullable=False),
    sa.Column("batches_open", sa.Integer(), nullable=False),
    *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("sealed_at", UTCDateTime(), nullable=True),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["namespace", "job_id"], ["jobs.namespace", "jobs.id"]),
    partial_index("ix_batch_ledgers_batch_jobs", "namespace", "job_id", where="batch_job"),
    # The batch jobs the ledger has not completed: every open one (and one ended by a cancel or a timeout).
    partial_index(
        "ix_batch_ledgers_open_batch_jobs",
        "namespace",
        "job_id",
        where="batch_job AND completed_at IS NULL",
    ),
)

# "A batch job's ledger", written as the partial indexes' conditions say it: SQLite takes a partial index only
# for the same term (``batch_job``, not the ``batch_job = 1`` it renders for a boolean column).
BATCH_JOB: sa.ColumnElement[bool] = sa.literal_column("batch_ledgers.batch_job")

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("namespace", sa.String(100), nullable=False),
    sa.Column("job_id", sa.String(200), nullable=False),
    sa.Column("batch_index", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("finished_by", sa.String(16), nullable=True),
    sa.Column("abort_error", sa.Text(), nullable=True),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("items_expire_at", UTCDateTime(), nullable=True),
    sa.Column("items_expired", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(
        ["namespace", "job_id"], ["batch_ledgers.namespace", "batch_ledgers.job_id"], ondelete="CASCADE"
    ),
    sa.UniqueConstraint("namespace", "job_id", "batch_index"),
    partial_index("ix_batches_items_due", "items_expire_at", where="items_expire_at IS NOT NULL"),
)

# Sets are sets: an id is at most once in a set. ``error`` holds the reason of an ``errored`` id.
batch_items = sa.Table(
    "batch_items",
    metadata,
    sa.Column("batch_id", sa.String(40), primary_key=True),
    sa.Column("set_name", sa.String(64), primary_key=True),
    sa.Column("item", sa.String(255), primary_key=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["batch_id"], ["batches.id"], ondelete="CASCADE"),
)


class _Counts(TypedDict):
    """The COUNTERS columns, which ledgers and batches share."""

    items: int
    pending: int
    processed: int
    skipped: int
    errored: int
    withdrawn: int


class BatchLedgerRow(_Counts):
    namespace: str
    job_id: str
    batch_job: bool
    fail_on_errors: bool
    callback: dict[str, Any] | None
    sealed: bool
    next_index: int
    batches_total: int
    batches_open: int
    created_at: datetime
    updated_at: datetime
    sealed_at: datetime | None
    completed_at: datetime | None


class BatchRow(_Counts):
    id: str
    namespace: str
    job_id: str
    batch_index: int
    status: BatchStatus
    finished_by: FinishedBy | None
    abort_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    items_expire_at: datetime | None
    items_expired: bool
