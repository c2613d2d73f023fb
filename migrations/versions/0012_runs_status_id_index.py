"""runs by status in id order: (namespace, status, id) replaces (namespace, status), so a page of the runs of
one status (the console's failed runs) reads that page, not every run of the status

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_runs_namespace_status_id", "runs", ["namespace", "status", "id"])
    op.drop_index("ix_runs_namespace_status", table_name="runs")


def downgrade() -> None:
    op.create_index("ix_runs_namespace_status", "runs", ["namespace", "status"])
    op.drop_index("ix_runs_namespace_status_id", table_name="runs")
