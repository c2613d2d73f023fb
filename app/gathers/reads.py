"""Gather reads: a gather with its progress, its members, why it has (not) resolved, its resolution event."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast, get_args

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import IN_CHUNK, chunks
from app.core.pagination import Page, ended_status, keyset_page, newest_page
from app.errors import NotFound
from app.gathers.models import (
    GatherOrder,
    GatherOutcome,
    GatherRow,
    GatherStatus,
    MemberJobRow,
    gather_members,
    gathers,
)
from app.gathers.schemas import GatherExplain, GatherRead, GatherSummary, MemberRead
from app.jobs.models import ACTIVE, jobs

FAILURES = ("failed", "cancelled", "timed_out")  # job statuses a gather counts as failed
PREVIEW = 100
MAX_INLINE_BYTES = 1 << 20  # members carried inside one event, by size as well as by count


def where(stmt: Any, namespace: str, gather_id: str) -> Any:
    """``stmt`` narrowed to one gather."""
    return stmt.where(gathers.c.namespace == namespace, gathers.c.id == gather_id)


async def list_gathers(
    conn: AsyncConnection,
    *,
    namespace: str,
    status: GatherStatus | None,
    order: GatherOrder = "id",
    limit: int,
    cursor: str | None,
) -> Page[GatherSummary]:
    """The namespace's gathers, of one status or all, without their members. In id order the
    ``(status, namespace, id)`` index walks one status (all of them, the primary key); the latest ended
    first (``order="-resolved_at"``, one ended status), ``ix_gathers_namespace_status_resolved`` does."""
    g = gathers.c
    stmt = sa.select(gathers).where(g.namespace == namespace)
    if order == "-resolved_at":
        stmt = stmt.where(g.status == ended_status(status, get_args(GatherOutcome), order))
        rows, next_cursor = await newest_page(conn, stmt, g.resolved_at, g.id, limit=limit, cursor=cursor)
    else:
        if status is not None:
            stmt = stmt.where(g.status == status)
        rows, next_cursor = await keyset_page(conn, stmt, g.id, limit=limit, cursor=cursor)
    items = [GatherSummary.of(cast(GatherRow, dict(r))) for r in rows]
    return Page[GatherSummary](items=items, next_cursor=next_cursor)


async def get(conn: AsyncConnection, *, namespace: str, gather_id: str) -> GatherRow:
    row = (await conn.execute(where(sa.select(gathers), namespace, gather_id))).mappings().first()
    if row is None:
        raise NotFound(f"gather {gather_id!r} does not exist")
    return cast(GatherRow, dict(row))


def _members_query(dialect: str, namespace: str, gather_id: Any) -> sa.Select[Any]:
    """The gather's members joined with their jobs, in position order.

    The plan must not depend on statistics: a fresh or bulk-loaded table is unanalysed, the planner then
    takes ``namespace = …`` to be selective, and a (namespace, …) index of jobs (compact, being mostly one
    status) looks as cheap as the primary key; a plan prepared while the table was small then scans the
    whole namespace once per member. On PostgreSQL each member's job is therefore read by a probe only the
    primary key can serve: the first job at or after (namespace, id) in key order. SQLite plans a full
    unique key as one row, so a plain join does.
    """
    gm = gather_members.c
    one = not isinstance(gather_id, list)
    held = gm.gather_id == gather_id if one else gm.gather_id.in_(gather_id)
    on_member = (gm.namespace == namespace, held)
    # Several gathers at once (their resolutions, on SQLite): each gather's members in position order.
    order = (gm.position,) if one else (gm.gather_id, gm.position)
    columns = (gm.job_id, gm.position) if one else (gm.gather_id, gm.job_id, gm.position)
    if dialect != "postgresql":
        return (
            sa.select(*columns, jobs.c.status, jobs.c.output, jobs.c.error)
            .join(jobs, sa.and_(jobs.c.namespace == gm.namespace, jobs.c.id == gm.job_id))
            .where(*on_member)
            .order_by(*order)
        )
    probe = (
        sa.select(jobs.c.namespace, jobs.c.id, jobs.c.status, jobs.c.output, jobs.c.error)
        .where(sa.tuple_(jobs.c.namespace, jobs.c.id) >= sa.tuple_(gm.namespace, gm.job_id))
        .order_by(jobs.c.namespace, jobs.c.id)
        .limit(1)
        .lateral("job")
    )
    return (
        sa.select(*columns, probe.c.status, probe.c.output, probe.c.error)
        .select_from(gather_members)
        .join(probe, sa.and_(probe.c.namespace == gm.namespace, probe.c.id == gm.job_id))
        .where(*on_member)
        .order_by(*order)
    )


async def _member_ids(conn: AsyncConnection, gather: GatherRow, statuses: Sequence[str]) -> list[str]:
    """The first members in position order whose job has one of ``statuses``: members are walked by
    position and each job read by its key."""
    stmt = _members_query(conn.dialect.name, gather["namespace"], gather["id"])
    stmt = stmt.where(stmt.selected_columns.status.in_(statuses)).limit(PREVIEW)
    return [r.job_id for r in (await conn.execute(stmt)).all()]


async def to_read(conn: AsyncConnection, gather: GatherRow) -> GatherRead:
    """The gather as the API shows it, with the first pending member ids."""
    pending = [] if gather["done"] >= gather["total"] else await _member_ids(conn, gather, ACTIVE)
    return GatherRead.from_row(gather, pending_job_ids=pending)


async def event_data(conn: AsyncConnection, gather: GatherRow, *, limit: int) -> dict[str, Any]:
    """``{gather, members, members_truncated}`` for a resolution event; members in the order given."""
    stmt = _members_query(conn.dialect.name, gather["namespace"], gather["id"]).limit(limit)
    rows = [cast(MemberJobRow, row) for row in (await conn.execute(stmt)).mappings()]
    return _event_data(gather, rows, await to_read(conn, gather))


async def event_data_many(
    conn: AsyncConnection, namespace: str, resolved: Sequence[GatherRow], *, limit: int
) -> dict[str, dict[str, Any]]:
    """``event_data`` of many gathers of one namespace, by id: the members of those with at most ``limit``
    are read together, in one statement per chunk of gathers."""
    found: dict[str, dict[str, Any]] = {}
    small = [g for g in resolved if g["total"] <= limit]
    for gather in resolved:
        if gather["total"] > limit:
            found[gather["id"]] = await event_data(conn, gather, limit=limit)
    for part in chunks(small, max(1, IN_CHUNK // max(1, max((g["total"] for g in small), default=1)))):
        stmt = _many_members(conn.dialect.name, namespace, [g["id"] for g in part])
        by_gather: dict[str, list[MemberJobRow]] = {g["id"]: [] for g in part}
        for row in (await conn.execute(stmt)).mappings():
            by_gather[row["gather_id"]].append(cast(MemberJobRow, row))
        for gather in part:
            rows = by_gather[gather["id"]]
            # Every member was read: the pending ones are among them, in the same order (as to_read).
            pending = [r["job_id"] for r in rows if r["status"] in ACTIVE][:PREVIEW]
            if gather["done"] >= gather["total"]:
                pending = []
            read = GatherRead.from_row(gather, pending_job_ids=pending)
            found[gather["id"]] = _event_data(gather, rows, read)
    return found


def _many_members(dialect: str, namespace: str, gather_ids: list[str]) -> sa.Select[Any]:
    """The members of several gathers, each gather's in position order. On PostgreSQL the ids are walked
    (unnest) and each gather's members read by its own key, the single-gather query as a lateral join: an
    IN list there, without statistics, may be planned as a filter over the namespace's members."""
    if dialect != "postgresql":
        return _members_query(dialect, namespace, gather_ids)
    ids = (
        sa.func.unnest(sa.bindparam("gather_ids", gather_ids, type_=postgresql.ARRAY(sa.String)))
        .table_valued("id", with_ordinality="n")
        .render_derived()
    )
    one = _members_query(dialect, namespace, ids.c.id).lateral("m")
    return (
        sa.select(ids.c.id.label("gather_id"), *one.c)
        .select_from(ids)
        .join(one, sa.true())
        .order_by(ids.c.n, one.c.position)
    )


def _event_data(gather: GatherRow, rows: Sequence[MemberJobRow], read: GatherRead) -> dict[str, Any]:
    members: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        member = MemberRead.from_row(row, with_outputs=gather["include_outputs"])
        dumped = member.model_dump(mode="json", exclude={"position"})
        size += len(json.dumps(dumped, separators=(",", ":")))
        if size > MAX_INLINE_BYTES:
            break  # the receiver pages the rest from /members
        members.append(dumped)
    return {
        "gather": read.model_dump(mode="json"),
        "members": members,
        "members_truncated": gather["total"] > len(members),
    }


async def members(
    conn: AsyncConnection, *, namespace: str, gather_id: str, limit: int, cursor: str | None
) -> Page[MemberRead]:
    """Members in the order given, with their status and outputs."""
    gather = await get(conn, namespace=namespace, gather_id=gather_id)
    stmt = _members_query(conn.dialect.name, namespace, gather_id).order_by(None)
    rows, next_cursor = await keyset_page(conn, stmt, gather_members.c.position, limit=limit, cursor=cursor)
    items = [MemberRead.from_row(cast(MemberJobRow, r), with_outputs=gather["include_outputs"]) for r in rows]
    return Page[MemberRead](items=items, next_cursor=next_cursor)


async def explain(conn: AsyncConnection, *, namespace: str, gather_id: str, now: datetime) -> GatherExplain:
    """Why the gather has (not) resolved: missing and failed members, seal and deadline."""
    gather = await get(conn, namespace=namespace, gather_id=gather_id)
    missing = await _member_ids(conn, gather, ACTIVE)
    failed = await _member_ids(conn, gather, FAILURES)
    deadline_at, resolved_at = gather["deadline_at"], gather["resolved_at"]
    reasons: list[str] = []
    if gather["status"] != "waiting":
        assert resolved_at is not None  # set with every resolution
        reasons.append(f"resolved as {gather['status']} at {resolved_at.isoformat()}")
    else:
        if not gather["sealed"]:
            reasons.append("not sealed: it cannot resolve until POST /v1/gathers/{id}/seal")
        pending = gather["total"] - gather["done"]
        if pending:
            reasons.append(f"waiting for {pending} of {gather['total']} jobs to finish")
        if gather["failed"] and gather["on_failure"] == "wait_all":
            reasons.append(f"{gather['failed']} jobs failed; on_failure=wait_all waits for the rest")
        if deadline_at is None:
            reasons.append("no deadline: it waits until every job finishes")
        else:
            reasons.append(f"times out at {deadline_at.isoformat()}")
    to_deadline = None
    if deadline_at is not None and gather["status"] == "waiting":
        to_deadline = max(0.0, (deadline_at - now).total_seconds())
    return GatherExplain(
        id=gather["id"],
        status=gather["status"],
        resolved=gather["status"] != "waiting",
        reasons=reasons,
        missing_job_ids=missing,
        failed_job_ids=failed,
        deadline_at=deadline_at,
        seconds_to_deadline=to_deadline,
    )
