"""Handler and workflow reads: one by name, the lists, a version, and a version's warnings as of now."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.pagination import Page, keyset_page
from app.errors import NotFound
from app.workflows.graph import compile_definition
from app.workflows.models import (
    HandlerRow,
    WorkflowRow,
    WorkflowVersionRow,
    handlers,
    workflow_versions,
    workflows,
)
from app.workflows.run_models import IN_FLIGHT, run_items
from app.workflows.schemas import HandlerRead, WorkflowSummary, WorkflowVersionRead


def _handlers_read() -> sa.Select[Any]:
    """Handlers with ``in_flight``: their attempts dispatched and not finished, counted by an index."""
    i, h = run_items.c, handlers.c
    flying = (
        sa.select(sa.func.count())
        .where(i.namespace == h.namespace, i.handler == h.name, i.status.in_(IN_FLIGHT))
        .scalar_subquery()
    )
    return sa.select(handlers, flying.label("in_flight"))


async def get_handler(conn: AsyncConnection, *, namespace: str, name: str) -> HandlerRow:
    stmt = _handlers_read().where(handlers.c.namespace == namespace, handlers.c.name == name)
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"handler {name!r} does not exist")
    return cast(HandlerRow, dict(row))


async def handler_names(conn: AsyncConnection, *, namespace: str) -> list[str]:
    """Every handler registered in the namespace (what a definition's warnings are checked against)."""
    stmt = sa.select(handlers.c.name).where(handlers.c.namespace == namespace)
    return list((await conn.execute(stmt)).scalars())


async def list_handlers(
    conn: AsyncConnection, *, namespace: str, limit: int, cursor: str | None
) -> Page[HandlerRead]:
    """Handlers by name."""
    stmt = _handlers_read().where(handlers.c.namespace == namespace)
    rows, next_cursor = await keyset_page(conn, stmt, handlers.c.name, limit=limit, cursor=cursor)
    items = [HandlerRead.from_row(cast(HandlerRow, dict(r))) for r in rows]
    return Page[HandlerRead](items=items, next_cursor=next_cursor)


async def find_workflow(conn: AsyncConnection, *, namespace: str, name: str) -> WorkflowRow | None:
    """The workflow's row, deleted or not."""
    stmt = sa.select(workflows).where(workflows.c.namespace == namespace, workflows.c.name == name)
    row = (await conn.execute(stmt)).mappings().first()
    return cast(WorkflowRow, dict(row)) if row is not None else None


async def get_version(
    conn: AsyncConnection, *, namespace: str, name: str, version: int
) -> WorkflowVersionRow:
    stmt = sa.select(workflow_versions).where(
        workflow_versions.c.namespace == namespace,
        workflow_versions.c.name == name,
        workflow_versions.c.version == version,
    )
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        raise NotFound(f"workflow {name!r} has no version {version}")
    return cast(WorkflowVersionRow, dict(row))


async def warnings_now(conn: AsyncConnection, row: WorkflowVersionRow) -> list[dict[str, Any]]:
    """The version's warnings against the handlers registered now (one registered since no longer warns)."""
    names = await handler_names(conn, namespace=row["namespace"])
    compiled = compile_definition(row["definition"], name=row["name"], registered_handlers=names)
    return [w.as_json() for w in compiled.warnings]


async def version_read(conn: AsyncConnection, row: WorkflowVersionRow) -> WorkflowVersionRead:
    return WorkflowVersionRead.from_row(row, warnings=await warnings_now(conn, row))


async def latest(conn: AsyncConnection, *, namespace: str, name: str) -> WorkflowVersionRead:
    """The latest version of a workflow that is not deleted."""
    found = await find_workflow(conn, namespace=namespace, name=name)
    if found is None or found["deleted_at"] is not None:
        raise NotFound(f"workflow {name!r} does not exist")
    row = await get_version(conn, namespace=namespace, name=name, version=found["latest_version"])
    return await version_read(conn, row)


async def version(conn: AsyncConnection, *, namespace: str, name: str, version: int) -> WorkflowVersionRead:
    """Any version, of a deleted workflow too (runs pinned to it may still be running)."""
    return await version_read(conn, await get_version(conn, namespace=namespace, name=name, version=version))


async def list_workflows(
    conn: AsyncConnection, *, namespace: str, limit: int, cursor: str | None
) -> Page[WorkflowSummary]:
    """Workflows by name, deleted ones included (marked)."""
    stmt = sa.select(workflows).where(workflows.c.namespace == namespace)
    rows, next_cursor = await keyset_page(conn, stmt, workflows.c.name, limit=limit, cursor=cursor)
    items = [WorkflowSummary.from_row(cast(WorkflowRow, dict(r))) for r in rows]
    return Page[WorkflowSummary](items=items, next_cursor=next_cursor)
