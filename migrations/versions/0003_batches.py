"""batches: ledgers, batches and their item sets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:17:00.978251
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batch_ledgers",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=False),
        sa.Column("batch_job", sa.Boolean(), nullable=False),
        sa.Column("fail_on_errors", sa.Boolean(), nullable=False),
        sa.Column(
            "callback",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("batches_total", sa.Integer(), nullable=False),
        sa.Column("batches_open", sa.Integer(), nullable=False),
        sa.Column("items", sa.BigInteger(), nullable=False),
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("processed", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False),
        sa.Column("errored", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["namespace", "job_id"],
            ["jobs.namespace", "jobs.id"],
            name=op.f("fk_batch_ledgers_namespace_jobs"),
        ),
        sa.PrimaryKeyConstraint("namespace", "job_id", name=op.f("pk_batch_ledgers")),
    )
    with op.batch_alter_table("batch_ledgers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_batch_ledgers_batch_jobs",
            ["namespace", "job_id"],
            unique=False,
            sqlite_where=sa.text("batch_job"),
            postgresql_where=sa.text("batch_job"),
        )

    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=False),
        sa.Column("batch_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("finished_by", sa.String(length=16), nullable=True),
        sa.Column("abort_error", sa.Text(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("errored", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("items_expire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("items_expired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["namespace", "job_id"],
            ["batch_ledgers.namespace", "batch_ledgers.job_id"],
            name=op.f("fk_batches_namespace_batch_ledgers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint(
            "namespace", "job_id", "batch_index", name=op.f("uq_batches_namespace_job_id_batch_index")
        ),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_batches_items_due",
            ["items_expire_at"],
            unique=False,
            sqlite_where=sa.text("items_expire_at IS NOT NULL"),
            postgresql_where=sa.text("items_expire_at IS NOT NULL"),
        )

    op.create_table(
        "batch_items",
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("set_name", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=255), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_items_batch_id_batches"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("batch_id", "set_name", "item", name=op.f("pk_batch_items")),
    )


def downgrade() -> None:
    op.drop_table("batch_items")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_batches_items_due",
            sqlite_where=sa.text("items_expire_at IS NOT NULL"),
            postgresql_where=sa.text("items_expire_at IS NOT NULL"),
        )

    op.drop_table("batches")
    with op.batch_alter_table("batch_ledgers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_batch_ledgers_batch_jobs",
            sqlite_where=sa.text("batch_job"),
            postgresql_where=sa.text("batch_job"),
        )

    op.drop_table("batch_ledgers")
