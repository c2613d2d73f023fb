"""throttles and heartbeats: throttle counters and their round-robin queue, the key and handler of an
attempt in flight, a step's throttled count, a job's heartbeat interval and hard deadline; a handler's
in_flight is counted, not stored; indexes of finished runs (for their retention) and of a step's
waiting items

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEMS_KEYED = "throttle_key IS NOT NULL"
ITEMS_FLYING = "status IN ('dispatched', 'running')"
RUNS_FINISHED = "finished_at IS NOT NULL"
ITEMS_WAITING = "status = 'waiting'"
ITEMS_CAPPED = "cap_key IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "throttles",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=210), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
        sa.Column("grants", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "key", name=op.f("pk_throttles")),
    )
    op.create_table(
        "throttle_queue",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=210), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("lim", sa.Integer(), nullable=False),
        sa.Column("last_grant", sa.BigInteger(), nullable=False),
        sa.Column("run_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["namespace", "run_id"],
            ["runs.namespace", "runs.id"],
            name=op.f("fk_throttle_queue_namespace_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("namespace", "key", "run_id", "step", name=op.f("pk_throttle_queue")),
    )
    with op.batch_alter_table("throttle_queue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_throttle_queue_turn",
            ["namespace", "key", "last_grant", "run_created_at", "run_id", "step"],
            unique=False,
        )
    with op.batch_alter_table("run_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("throttled", sa.Integer(), nullable=False, server_default=sa.text("0")))
    with op.batch_alter_table("run_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("throttle_key", sa.String(length=210), nullable=True))
        batch_op.add_column(sa.Column("cap_key", sa.String(length=210), nullable=True))
        batch_op.add_column(sa.Column("handler", sa.String(length=100), nullable=True))
        batch_op.create_index(
            "ix_run_items_throttle",
            ["namespace", "throttle_key", "status", "run_id", "step", "idx"],
            unique=False,
            sqlite_where=sa.text(ITEMS_KEYED),
            postgresql_where=sa.text(ITEMS_KEYED),
        )
        batch_op.create_index(
            "ix_run_items_cap",
            ["namespace", "cap_key", "status"],
            unique=False,
            sqlite_where=sa.text(ITEMS_CAPPED),
            postgresql_where=sa.text(ITEMS_CAPPED),
        )
        batch_op.create_index(
            "ix_run_items_waiting",
            ["namespace", "run_id", "step", "idx"],
            unique=False,
            sqlite_where=sa.text(ITEMS_WAITING),
            postgresql_where=sa.text(ITEMS_WAITING),
        )
        batch_op.create_index(
            "ix_run_items_handler",
            ["namespace", "handler"],
            unique=False,
            sqlite_where=sa.text(ITEMS_FLYING),
            postgresql_where=sa.text(ITEMS_FLYING),
        )
    op.create_index(  # not a batch: other tables reference runs, so SQLite must not rebuild it
        "ix_runs_finished",
        "runs",
        ["finished_at"],
        unique=False,
        sqlite_where=sa.text(RUNS_FINISHED),
        postgresql_where=sa.text(RUNS_FINISHED),
    )
    with op.batch_alter_table("handlers", schema=None) as batch_op:
        batch_op.drop_column("in_flight")  # counted from run_items instead
    # Plain ALTER TABLE: other tables reference jobs, so SQLite must not rebuild it.
    op.add_column("jobs", sa.Column("heartbeat_seconds", sa.Float(), nullable=True))
    op.add_column("jobs", sa.Column("timeout_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "timeout_at")
    op.drop_column("jobs", "heartbeat_seconds")
    with op.batch_alter_table("handlers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_flight", sa.Integer(), nullable=False, server_default=sa.text("0")))
    with op.batch_alter_table("run_items", schema=None) as batch_op:
        batch_op.drop_index("ix_run_items_handler")
        batch_op.drop_index("ix_run_items_waiting")
        batch_op.drop_index("ix_run_items_cap")
        batch_op.drop_column("cap_key")
        batch_op.drop_index("ix_run_items_throttle")
        batch_op.drop_column("handler")
        batch_op.drop_column("throttle_key")
    with op.batch_alter_table("run_steps", schema=None) as batch_op:
        batch_op.drop_column("throttled")
    op.drop_index("ix_runs_finished", table_name="runs")
    op.drop_table("throttle_queue")
    op.drop_table("throttles")
