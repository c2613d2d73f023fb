"""indexes for the console's lists: the latest ended first (gathers by (namespace, status, resolved_at, id)
and runs by (namespace, status, finished_at, id), over the ended rows only, so ``?status=failed&order=
-resolved_at`` or ``-finished_at`` reads one page from the newest end); and the batch jobs whose ledger has
not completed them, so the open batch jobs are listed without walking every job of the namespace; and the
dead deliveries, which /metrics counts across namespaces

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    (
        "ix_gathers_namespace_status_resolved",
        "gathers",
        ["namespace", "status", "resolved_at", "id"],
        "resolved_at IS NOT NULL",
    ),
    (
        "ix_runs_namespace_status_finished",
        "runs",
        ["namespace", "status", "finished_at", "id"],
        "finished_at IS NOT NULL",
    ),
    ("ix_deliveries_dead", "deliveries", ["id"], "status = 'dead'"),
    (
        "ix_batch_ledgers_open_batch_jobs",
        "batch_ledgers",
        ["namespace", "job_id"],
        "batch_job AND completed_at IS NULL",
    ),
)


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        condition = sa.text(where)
        op.create_index(name, table, columns, sqlite_where=condition, postgresql_where=condition)


def downgrade() -> None:
    for name, table, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
