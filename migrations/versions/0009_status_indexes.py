"""gathers by status: (status, namespace, id) instead of (namespace, status), so an update of a gather by its
key never has a (namespace, …) index to mistake for its primary key on a table without statistics, and the
count of open gathers still has its index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_gathers_namespace_status", table_name="gathers")
    op.create_index("ix_gathers_status_namespace_id", "gathers", ["status", "namespace", "id"])


def downgrade() -> None:
    op.drop_index("ix_gathers_status_namespace_id", table_name="gathers")
    op.create_index("ix_gathers_namespace_status", "gathers", ["namespace", "status"])
