"""workflow runs: runs, run_steps, run_items

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNS_DUE = "status IN ('running', 'paused') AND deadline_at IS NOT NULL"
ITEMS_DUE = "status = 'retry_scheduled'"


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("workflow", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input", _json(), nullable=True),
        sa.Column("output", _json(), nullable=True),
        sa.Column("error", _json(), nullable=True),
        sa.Column("current_phase", sa.String(length=64), nullable=True),
        sa.Column("callback", _json(), nullable=True),
        sa.Column("failure_callback", _json(), nullable=True),
        sa.Column("events", _json(), nullable=False),
        sa.Column("meta", _json(), nullable=True),
        sa.Column("timeout_seconds", sa.Float(), nullable=True),
        _time("deadline_at", True),
        _time("paused_at", True),
        sa.Column("transitions", _json(), nullable=False),
        sa.Column("transitions_truncated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("redrive_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        _time("created_at", False),
        _time("updated_at", False),
        _time("finished_at", True),
        sa.PrimaryKeyConstraint("namespace", "id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_runs_due",
            ["deadline_at"],
            unique=False,
            sqlite_where=sa.text(RUNS_DUE),
            postgresql_where=sa.text(RUNS_DUE),
        )
        batch_op.create_index("ix_runs_namespace_status", ["namespace", "status"], unique=False)
        batch_op.create_index("ix_runs_namespace_workflow", ["namespace", "workflow"], unique=False)
    op.create_table(
        "run_steps",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("total", "succeeded", "failed", "in_flight", "retry_scheduled", "cancelled")
        ),
        _time("started_at", True),
        _time("finished_at", True),
        sa.ForeignKeyConstraint(
            ["namespace", "run_id"],
            ["runs.namespace", "runs.id"],
            name=op.f("fk_run_steps_namespace_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("namespace", "run_id", "step", name=op.f("pk_run_steps")),
    )
    op.create_table(
        "run_items",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("item", _json(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column("output", _json(), nullable=True),
        sa.Column("error", _json(), nullable=True),
        _time("due_at", True),
        _time("dispatched_at", True),
        _time("finished_at", True),
        sa.ForeignKeyConstraint(
            ["namespace", "run_id"],
            ["runs.namespace", "runs.id"],
            name=op.f("fk_run_items_namespace_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("namespace", "run_id", "step", "idx", name=op.f("pk_run_items")),
    )
    with op.batch_alter_table("run_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_items_due",
            ["due_at"],
            unique=False,
            sqlite_where=sa.text(ITEMS_DUE),
            postgresql_where=sa.text(ITEMS_DUE),
        )
        batch_op.create_index("ix_run_items_job", ["namespace", "job_id"], unique=True)


def downgrade() -> None:
    op.drop_table("run_items")
    op.drop_table("run_steps")
    op.drop_table("runs")
