"""the latest ended first: gathers by (namespace, status, resolved_at, id) and runs by (namespace, status,
finished_at, id), over the ended rows only, so ``?status=failed&order=-resolved_at`` (or ``-finished_at``)
reads one page from the newest end

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_gathers_namespace_status_resolved", "gathers", "resolved_at"),
    ("ix_runs_namespace_status_finished", "runs", "finished_at"),
)


def upgrade() -> None:
    for name, table, at in INDEXES:
        where = sa.text(f"{at} IS NOT NULL")
        columns = ["namespace", "status", at, "id"]
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
