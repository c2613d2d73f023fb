"""What the engine loads once per transaction for a run: the run, its compiled graph and the handlers its
steps name; and the attempt ids it makes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.db import Tx
from app.workflows import run_history
from app.workflows.graph import Graph, Step, compile_definition
from app.workflows.models import HandlerRow, handlers, workflow_versions
from app.workflows.run_models import MAX_TRANSITIONS, RunRow, runs

ATTEMPT_ID = re.compile(r"^(?P<run>.+):[^:]+:\d+:a\d+$")
DEFAULT_TIMEOUT = 3600.0  # seconds an attempt may take when neither the step nor its handler says
# Versions never change once stored, so a compiled graph is kept by the version's body hash.
_GRAPHS: dict[str, Graph] = {}
_GRAPHS_KEPT = 256


@dataclass
class Ctx:
    """A run and its graph, loaded once per transaction."""

    run: RunRow
    graph: Graph
    handlers: dict[str, HandlerRow | None] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # steps' throttle keys, rendered
    events: frozenset[str] = field(init=False)  # the opt-in events, looked up at every decision

    def __post_init__(self) -> None:
        self.events = frozenset(self.run["events"])


async def add_transition(
    tx: Tx,
    ctx: Ctx,
    frm: str | None,
    to: str,
    reason: str,
    *,
    history: str = "transition",
    data: dict[str, Any] | None = None,
) -> None:
    """Record a transition on the run (its row is locked or new in this transaction), past MAX_TRANSITIONS
    only as ``transitions_truncated``, and always in the run's history as a ``history`` row (``data`` adds
    to its ``{from, to, reason}``)."""
    kept = list(ctx.run["transitions"])
    if len(kept) >= MAX_TRANSITIONS:
        values: dict[str, Any] = {"transitions_truncated": True}
    else:
        values = {"transitions": [*kept, {"from": frm, "to": to, "at": tx.now.isoformat(), "reason": reason}]}
    r = runs.c
    where = (r.namespace == ctx.run["namespace"], r.id == ctx.run["id"])
    await tx.conn.execute(sa.update(runs).where(*where).values(**values))
    ctx.run.update(cast(Any, values))
    await run_history.add(tx, ctx.run, history, data={"from": frm, "to": to, "reason": reason} | (data or {}))


async def share_runs(tx: Tx, namespace: str, run_ids: set[str], *, skip_locked: bool = False) -> set[str]:
    """PostgreSQL: hold these runs in share mode for the rest of the transaction, in id order. Reports of one
    run still go together, but a pause or a cancel (which lock the run for update) waits for them, and they
    for it, so neither decides from a state the other is changing. ``skip_locked``: a run locked for update
    right now is not waited for, and not among the ids returned. SQLite has one writer at a time already."""
    if not tx.is_postgres:
        return set(run_ids)
    stmt = (
        sa.select(runs.c.id)
        .where(runs.c.namespace == namespace, runs.c.id.in_(sorted(run_ids)))
        .order_by(runs.c.id)
        .with_for_update(read=True, skip_locked=skip_locked)
    )
    return set((await tx.conn.execute(stmt)).scalars())


def attempt_id(run_id: str, step: str, idx: int, attempt: int) -> str:
    return f"{run_id}:{step}:{idx}:a{attempt}"


async def graph_of(conn: AsyncConnection, namespace: str, workflow: str, version: int) -> Graph:
    """The compiled graph of a stored version; the definition itself is read only when the graph is not
    cached yet (a large one costs a decode of up to 256 KiB)."""
    v = workflow_versions.c
    where = (v.namespace == namespace, v.name == workflow, v.version == version)
    digest = (await conn.execute(sa.select(v.body_hash).where(*where))).scalar_one()
    graph = _GRAPHS.get(digest)
    if graph is None:
        definition = (await conn.execute(sa.select(v.definition).where(*where))).scalar_one()
        graph = compile_definition(definition).graph
        assert graph is not None, "a stored version always compiles"
        if len(_GRAPHS) >= _GRAPHS_KEPT:
            _GRAPHS.clear()
        _GRAPHS[digest] = graph
    return graph


async def load_ctx(tx: Tx, namespace: str, run_id: str, *, lock: bool = False) -> Ctx:
    stmt = sa.select(runs).where(runs.c.namespace == namespace, runs.c.id == run_id)
    row = cast(RunRow, dict((await tx.conn.execute(tx.for_update(stmt) if lock else stmt)).mappings().one()))
    return Ctx(row, await graph_of(tx.conn, namespace, row["workflow"], row["version"]))


async def handler_rows(tx: Tx, ctx: Ctx, names: set[str]) -> None:
    """Load the named handlers into ``ctx.handlers`` (None for one not registered)."""
    missing = sorted(n for n in names if n not in ctx.handlers)
    if missing:
        h = handlers.c
        stmt = sa.select(handlers).where(h.namespace == ctx.run["namespace"], h.name.in_(missing))
        found = {r["name"]: cast(HandlerRow, dict(r)) for r in (await tx.conn.execute(stmt)).mappings()}
        for name in missing:
            ctx.handlers[name] = found.get(name)


def handler_name(step: Step, idx: int) -> str:
    """The handler of a step's item: a phase has one item per handler, other steps one handler."""
    return step.handlers[idx if step.kind == "phase" else 0].name
