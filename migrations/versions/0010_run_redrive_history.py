"""redrive, rerun, run history, map batches and replicas: an item's attempt base (its retry budget counts the
attempts above it) and batch (the message that carried it), a step's attempt floor (a rerun's new items number
their attempts after it), the run_history table, the replicas' heartbeats, a delivery's count of claims
lost to a replica that died, and the replica an idempotency claim runs on

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEMS_BATCHED = "batch_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("run_items") as batch:
        batch.add_column(sa.Column("attempt_base", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("batch_id", sa.String(length=200), nullable=True))
    op.create_index(
        "ix_run_items_batch",
        "run_items",
        ["namespace", "batch_id"],
        postgresql_where=sa.text(ITEMS_BATCHED),
        sqlite_where=sa.text(ITEMS_BATCHED),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("interrupted", sa.Integer(), nullable=False, server_default=sa.text("0")))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("replica", sa.String(length=40), nullable=True))
    op.create_table(
        "replicas",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replicas")),
    )
    op.create_index("ix_replicas_heartbeat_at", "replicas", ["heartbeat_at"])
    with op.batch_alter_table("run_steps") as batch:
        batch.add_column(
            sa.Column("attempt_floor", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_table(
        "run_history",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=True),
        sa.Column("idx", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.String(length=200), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["namespace", "run_id"],
            ["runs.namespace", "runs.id"],
            name=op.f("fk_run_history_namespace_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_history")),
    )
    op.create_index("ix_run_history_run", "run_history", ["namespace", "run_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_replicas_heartbeat_at", table_name="replicas")
    op.drop_table("replicas")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("replica")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("interrupted")
    op.drop_index("ix_run_items_batch", table_name="run_items")
    op.drop_index("ix_run_history_run", table_name="run_history")
    op.drop_table("run_history")
    with op.batch_alter_table("run_steps") as batch:
        batch.drop_column("attempt_floor")
    with op.batch_alter_table("run_items") as batch:
        batch.drop_column("batch_id")
        batch.drop_column("attempt_base")
