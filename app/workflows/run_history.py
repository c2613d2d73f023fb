"""A run's history (``GET /v1/runs/{id}/events``): one row per thing that happened to it, written in the
transaction that made it happen, so the history and the run never disagree. Types:

- ``run.created``, ``run.paused``, ``run.resumed``, ``run.redriven``, ``run.rerun`` and the run's end
  (``run.succeeded``, ``run.failed``, ``run.timed_out``, ``run.cancelled``);
- ``transition`` — a phase entered or a step started (``data: {from, to, reason}``), as in ``transitions``
  but never truncated;
- ``attempt.dispatched`` and the attempt's end: ``attempt.succeeded``, ``attempt.failed``,
  ``attempt.timed_out``, ``attempt.cancelled`` (``data: {item_status, error, retry_at?}``);
- ``step.succeeded``, ``step.completed``, ``step.failed``, ``step.skipped``, ``step.cancelled``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core.db import Tx, chunks
from app.workflows.run_models import RunRow, run_history

_INSERT = run_history.insert()
ID = run_history.c.id


def entry(
    tx: Tx,
    run: RunRow,
    type_: str,
    *,
    step: str | None = None,
    idx: int | None = None,
    attempt: int | None = None,
    job_id: str | None = None,
    data: Any = None,
) -> dict[str, Any]:
    """One history row of ``run``, to be written with ``write``."""
    return {
        "namespace": run["namespace"],
        "run_id": run["id"],
        "at": tx.now,
        "type": type_,
        "step": step,
        "idx": idx,
        "attempt": attempt,
        "job_id": job_id,
        "data": data,
    }


async def write(tx: Tx, rows: list[dict[str, Any]]) -> None:
    """Append rows in the order given (their ids follow it)."""
    for part in chunks(rows, 1000):
        await tx.conn.execute(_INSERT, list(part))


async def add(tx: Tx, run: RunRow, type_: str, **fields: Any) -> None:
    """Append one row."""
    await tx.conn.execute(_INSERT, entry(tx, run, type_, **fields))


def page_query(namespace: str, run_id: str) -> sa.Select[Any]:
    h = run_history.c
    return sa.select(run_history).where(h.namespace == namespace, h.run_id == run_id)
