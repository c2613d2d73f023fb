"""core tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:55:42.814051
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("round_start", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=40), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("event_id", name=op.f("uq_deliveries_event_id")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            "ix_deliveries_leased",
            ["locked_until"],
            unique=False,
            sqlite_where=sa.text("status = 'delivering'"),
            postgresql_where=sa.text("status = 'delivering'"),
        )
        batch_op.create_index("ix_deliveries_namespace_status", ["namespace", "status", "id"], unique=False)
        batch_op.create_index(
            "ix_deliveries_subject", ["namespace", "subject_kind", "subject_id"], unique=False
        )

    op.create_table(
        "gathers",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("on_failure", sa.String(length=16), nullable=False),
        sa.Column("include_outputs", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column(
            "callback",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "failure_callback",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("timeout_seconds", sa.Float(), nullable=True),
        sa.Column("poll_interval_seconds", sa.Float(), nullable=True),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("namespace", "id", name=op.f("pk_gathers")),
    )
    with op.batch_alter_table("gathers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gathers_due",
            ["deadline_at"],
            unique=False,
            sqlite_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
            postgresql_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
        )
        batch_op.create_index("ix_gathers_namespace_status", ["namespace", "status"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "error",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("namespace", "id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_due",
            ["deadline_at"],
            unique=False,
            sqlite_where=sa.text("status IN ('pending', 'running') AND deadline_at IS NOT NULL"),
            postgresql_where=sa.text("status IN ('pending', 'running') AND deadline_at IS NOT NULL"),
        )
        batch_op.create_index("ix_jobs_namespace_name", ["namespace", "name"], unique=False)
        batch_op.create_index("ix_jobs_namespace_status", ["namespace", "status"], unique=False)

    op.create_table(
        "namespaces",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("signing_secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_namespaces")),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "attempt", name=op.f("pk_delivery_attempts")),
    )
    op.create_table(
        "gather_members",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("gather_id", sa.String(length=200), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["namespace", "gather_id"],
            ["gathers.namespace", "gathers.id"],
            name=op.f("fk_gather_members_namespace_gathers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("namespace", "gather_id", "job_id", name=op.f("pk_gather_members")),
        sa.UniqueConstraint(
            "namespace", "gather_id", "position", name=op.f("uq_gather_members_namespace_gather_id_position")
        ),
    )
    with op.batch_alter_table("gather_members", schema=None) as batch_op:
        batch_op.create_index("ix_gather_members_job", ["namespace", "job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gather_members", schema=None) as batch_op:
        batch_op.drop_index("ix_gather_members_job")

    op.drop_table("gather_members")
    op.drop_table("delivery_attempts")
    op.drop_table("namespaces")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_namespace_status")
        batch_op.drop_index("ix_jobs_namespace_name")
        batch_op.drop_index(
            "ix_jobs_due",
            sqlite_where=sa.text("status IN ('pending', 'running') AND deadline_at IS NOT NULL"),
            postgresql_where=sa.text("status IN ('pending', 'running') AND deadline_at IS NOT NULL"),
        )

    op.drop_table("jobs")
    with op.batch_alter_table("gathers", schema=None) as batch_op:
        batch_op.drop_index("ix_gathers_namespace_status")
        batch_op.drop_index(
            "ix_gathers_due",
            sqlite_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
            postgresql_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
        )

    op.drop_table("gathers")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_subject")
        batch_op.drop_index("ix_deliveries_namespace_status")
        batch_op.drop_index(
            "ix_deliveries_leased",
            sqlite_where=sa.text("status = 'delivering'"),
            postgresql_where=sa.text("status = 'delivering'"),
        )
        batch_op.drop_index(
            "ix_deliveries_due",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.drop_table("deliveries")
