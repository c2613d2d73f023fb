"""Runs, their steps and their items (one row per map element, handler or single task). An item holds its
current attempt; each attempt is a job with the id ``{run_id}:{step}:{idx}:a{attempt}``, found again from a
report through the unique ``job_id`` index. Redrive re-queues items in place: attempt numbers continue."""

from datetime import datetime
from typing import Any, Literal, TypedDict

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type, partial_index

RunEnd = Literal["succeeded", "failed", "timed_out", "cancelled"]
RunStatus = Literal["running", "paused", RunEnd]
RunOrder = Literal["id", "-finished_at"]
StepStatus = Literal["waiting", "running", "succeeded", "completed", "failed", "skipped", "cancelled"]
ItemStatus = Literal[
    "waiting",
    "ready",
    "throttled",
    "dispatched",
    "running",
    "retry_scheduled",
    "succeeded",
    "failed",
    "timed_out",
    "cancelled",
]
RUN_OPEN: tuple[RunStatus, ...] = ("running", "paused")
IN_FLIGHT: tuple[ItemStatus, ...] = ("dispatched", "running")
MAX_TRANSITIONS = 1000
STEP_DONE: tuple[StepStatus, ...] = ("succeeded", "completed", "failed", "skipped", "cancelled")

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("workflow", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("input", json_type(), nullable=True),
    sa.Column("output", json_type(), nullable=True),
    sa.Column("error", json_type(), nullable=True),
    sa.Column("current_phase", sa.String(64), nullable=True),
    sa.Column("callback", json_type(), nullable=True),
    sa.Column("failure_callback", json_type(), nullable=True),
    sa.Column("events", json_type(), nullable=False),
    sa.Column("meta", json_type(), nullable=True),
    sa.Column("timeout_seconds", sa.Float(), nullable=True),
    sa.Column("deadline_at", UTCDateTime(), nullable=True),
    sa.Column("paused_at", UTCDateTime(), nullable=True),
    # {from, to, at, reason}: phases entered, steps started, pauses and resumes; the first MAX_TRANSITIONS.
    sa.Column("transitions", json_type(), nullable=False),
    sa.Column("transitions_truncated", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("redrive_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Index("ix_runs_namespace_workflow", "namespace", "workflow"),
    sa.Index("ix_runs_namespace_status_id", "namespace", "status", "id"),
    partial_index(
        "ix_runs_due", "deadline_at", where="status IN ('running', 'paused') AND deadline_at IS NOT NULL"
    ),
    partial_index("ix_runs_finished", "finished_at", where="finished_at IS NOT NULL"),
    # The latest finished first, of one status (the console's failed runs).
    partial_index(
        "ix_runs_namespace_status_finished",
        "namespace",
        "status",
        "finished_at",
        "id",
        where="finished_at IS NOT NULL",
    ),
)


class RunRow(TypedDict):
    namespace: str
    id: str
    workflow: str
    version: int
    status: RunStatus
    input: Any
    output: Any
    error: Any
    current_phase: str | None
    callback: dict[str, Any] | None
    failure_callback: dict[str, Any] | None
    events: list[str]
    meta: Any
    timeout_seconds: float | None
    deadline_at: datetime | None
    paused_at: datetime | None
    transitions: list[dict[str, Any]]
    transitions_truncated: bool
    redrive_count: int
    body_hash: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


run_steps = sa.Table(
    "run_steps",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("run_id", sa.String(100), primary_key=True),
    sa.Column("step", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("succeeded", sa.Integer(), nullable=False),
    sa.Column("failed", sa.Integer(), nullable=False),
    sa.Column("in_flight", sa.Integer(), nullable=False),
    sa.Column("retry_scheduled", sa.Integer(), nullable=False),
    sa.Column("cancelled", sa.Integer(), nullable=False),
    # Items held back by a throttle key (they count against the step's concurrency, not the key's limit).
    sa.Column("throttled", sa.Integer(), nullable=False, server_default=sa.text("0")),
    # The highest attempt number its items had used when a rerun reset the step: new items continue after it,
    # so an attempt id is never made twice.
    sa.Column("attempt_floor", sa.Integer(), nullable=False, server_default=sa.text("0")),
    # Where the step's next waiting items are looked for: a hint that keeps a big map from walking past the
    # items it has sent (dead entries of ix_run_items_waiting until a vacuum). Sending raises it past what
    # went out; an item that waits again (a retry, a redrive) lowers it to its index. An item left below it
    # (its send rolled back after another moved the hint past it) is found by ``fill`` once the hint finds
    # fewer items than the step's counters say wait (near the step's end at worst): it looks from 0 then,
    # and sets the hint from what it found.
    sa.Column("wait_from", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("started_at", UTCDateTime(), nullable=True),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(["namespace", "run_id"], ["runs.namespace", "runs.id"], ondelete="CASCADE"),
)


class StepRow(TypedDict):
    namespace: str
    run_id: str
    step: str
    kind: str
    status: StepStatus
    total: int
    succeeded: int
    failed: int
    in_flight: int
    retry_scheduled: int
    cancelled: int
    throttled: int
    attempt_floor: int
    wait_from: int
    started_at: datetime | None
    finished_at: datetime | None


run_items = sa.Table(
    "run_items",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("run_id", sa.String(100), primary_key=True),
    sa.Column("step", sa.String(64), primary_key=True),
    sa.Column("idx", sa.Integer(), primary_key=True),
    sa.Column("item", json_type(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempt", sa.Integer(), nullable=False),
    # The attempts made before the item was last re-queued by a redrive or rerun: its retry budget counts
    # the attempts above it, and its attempt numbers continue from it.
    sa.Column("attempt_base", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("job_id", sa.String(200), nullable=True),
    sa.Column("output", json_type(), nullable=True),
    sa.Column("error", json_type(), nullable=True),
    sa.Column("due_at", UTCDateTime(), nullable=True),
    sa.Column("dispatched_at", UTCDateTime(), nullable=True),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    # The throttle key (internal form, see throttles) the item waits on or holds, and the handler of the
    # attempt in flight.
    sa.Column("throttle_key", sa.String(210), nullable=True),
    sa.Column("cap_key", sa.String(210), nullable=True),  # the second key an attempt holds or needs
    sa.Column("handler", sa.String(100), nullable=True),
    # A map step with ``batch_size``: while the item's attempt is in flight, the job id of the first item
    # of the message that carries it (the message's subject); null otherwise, and for a message of its own.
    sa.Column("batch_id", sa.String(200), nullable=True),
    sa.ForeignKeyConstraint(["namespace", "run_id"], ["runs.namespace", "runs.id"], ondelete="CASCADE"),
    sa.Index("ix_run_items_job", "namespace", "job_id", unique=True),
    partial_index("ix_run_items_batch", "namespace", "batch_id", where="batch_id IS NOT NULL"),
    partial_index("ix_run_items_due", "due_at", where="status = 'retry_scheduled'"),
    # A step's next waiting items in index order, without walking the ones already done.
    partial_index("ix_run_items_waiting", "namespace", "run_id", "step", "idx", where="status = 'waiting'"),
    partial_index(
        "ix_run_items_throttle",
        "namespace",
        "throttle_key",
        "status",
        "run_id",
        "step",
        "idx",
        where="throttle_key IS NOT NULL",
    ),
    partial_index(
        "ix_run_items_handler", "namespace", "handler", where="status IN ('dispatched', 'running')"
    ),
    partial_index("ix_run_items_cap", "namespace", "cap_key", "status", where="cap_key IS NOT NULL"),
)


def item_by_key() -> sa.Update:
    """An UPDATE of one item by its key, bound as ``b_ns``, ``b_run``, ``b_step`` and ``b_idx``."""
    return sa.update(run_items).where(
        run_items.c.namespace == sa.bindparam("b_ns"),
        run_items.c.run_id == sa.bindparam("b_run"),
        run_items.c.step == sa.bindparam("b_step"),
        run_items.c.idx == sa.bindparam("b_idx"),
    )


class ItemRow(TypedDict):
    namespace: str
    run_id: str
    step: str
    idx: int
    item: Any
    status: ItemStatus
    attempt: int
    attempt_base: int
    job_id: str | None
    output: Any
    error: Any
    due_at: datetime | None
    dispatched_at: datetime | None
    finished_at: datetime | None
    throttle_key: str | None
    cap_key: str | None
    handler: str | None
    batch_id: str | None


# A throttle key's attempts in flight across the namespace. Keys are stored in an internal form: a step's key
# as "k:<key>", a handler's max_in_flight as "h:<handler>", so the two never meet.
throttles = sa.Table(
    "throttles",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(210), primary_key=True),
    sa.Column("in_flight", sa.Integer(), nullable=False),
    sa.Column("grants", sa.BigInteger(), nullable=False),  # slots handed out so far: the round-robin clock
)

# Run steps with items waiting on a key, served round-robin: the least recent ``last_grant`` first, the older
# run on a tie. ``lim`` is the step's own limit for the key.
throttle_queue = sa.Table(
    "throttle_queue",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(210), primary_key=True),
    sa.Column("run_id", sa.String(100), primary_key=True),
    sa.Column("step", sa.String(64), primary_key=True),
    sa.Column("lim", sa.Integer(), nullable=False),
    sa.Column("last_grant", sa.BigInteger(), nullable=False),
    sa.Column("run_created_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["namespace", "run_id"], ["runs.namespace", "runs.id"], ondelete="CASCADE"),
    sa.Index("ix_throttle_queue_turn", "namespace", "key", "last_grant", "run_created_at", "run_id", "step"),
)

# A run's history, oldest first: what a person reads to see what happened without the logs. One row per
# transition, dispatch, attempt end, step end, pause, resume, redrive, rerun and end, written in the
# transaction that made it; the ids only grow, so they order the rows and page them.
run_history = sa.Table(
    "run_history",
    metadata,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("namespace", sa.String(100), nullable=False),
    sa.Column("run_id", sa.String(100), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("step", sa.String(64), nullable=True),
    sa.Column("idx", sa.Integer(), nullable=True),
    sa.Column("attempt", sa.Integer(), nullable=True),
    sa.Column("job_id", sa.String(200), nullable=True),
    sa.Column("data", json_type(), nullable=True),
    sa.ForeignKeyConstraint(["namespace", "run_id"], ["runs.namespace", "runs.id"], ondelete="CASCADE"),
    sa.Index("ix_run_history_run", "namespace", "run_id", "id"),
)
