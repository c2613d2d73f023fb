"""waits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:22:29.020572
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("group_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("participant_count", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("max_wait_seconds", sa.Float(), nullable=True),
        sa.Column("refire_on_quorum_after_timeout", sa.Boolean(), nullable=False),
        sa.Column(
            "callback",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timed_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waits")),
    )
    with op.batch_alter_table("waits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_waits_due",
            ["deadline_at"],
            unique=False,
            sqlite_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
            postgresql_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
        )
        batch_op.create_index("ix_waits_namespace_group", ["namespace", "group_key", "id"], unique=False)
        batch_op.create_index("ix_waits_namespace_status", ["namespace", "status", "id"], unique=False)
        batch_op.create_index(
            "uq_waits_open_group",
            ["namespace", "group_key"],
            unique=True,
            sqlite_where=sa.text("status = 'waiting'"),
            postgresql_where=sa.text("status = 'waiting'"),
        )

    op.create_table(
        "wait_participants",
        sa.Column("wait_id", sa.String(length=40), nullable=False),
        sa.Column("participant_key", sa.String(length=200), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["wait_id"], ["waits.id"], name=op.f("fk_wait_participants_wait_id_waits"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("wait_id", "participant_key", name=op.f("pk_wait_participants")),
        sa.UniqueConstraint("wait_id", "position", name=op.f("uq_wait_participants_wait_id_position")),
    )


def downgrade() -> None:
    op.drop_table("wait_participants")
    with op.batch_alter_table("waits", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_waits_open_group",
            sqlite_where=sa.text("status = 'waiting'"),
            postgresql_where=sa.text("status = 'waiting'"),
        )
        batch_op.drop_index("ix_waits_namespace_status")
        batch_op.drop_index("ix_waits_namespace_group")
        batch_op.drop_index(
            "ix_waits_due",
            sqlite_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
            postgresql_where=sa.text("status = 'waiting' AND deadline_at IS NOT NULL"),
        )

    op.drop_table("waits")
