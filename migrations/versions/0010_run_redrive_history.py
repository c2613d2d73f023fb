"""redrive, rerun and run history: an item's attempt base (its retry budget counts the attempts above it), a
step's attempt floor (a rerun's new items number their attempts after it), and the run_history table

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


def upgrade() -> None:
    with op.batch_alter_table("run_items") as batch:
        batch.add_column(sa.Column("attempt_base", sa.Integer(), nullable=False, server_default=sa.text("0")))
    with op.batch_alter_table("run_steps") as batch:
        batch.add_column(sa.Column("attempt_floor", sa.Integer(), nullable=False, server_default=sa.text("0")))
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
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
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
    op.drop_index("ix_run_history_run", table_name="run_history")
    op.drop_table("run_history")
    with op.batch_alter_table("run_steps") as batch:
        batch.drop_column("attempt_floor")
    with op.batch_alter_table("run_items") as batch:
        batch.drop_column("attempt_base")
