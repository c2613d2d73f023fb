"""Handler and workflow-definition writes. Services flush, never commit; a write returns what the API shows,
read in its own transaction."""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

import sqlalchemy as sa

from app.core.db import Tx
from app.errors import AppError, Conflict, NotFound
from app.workflows import engine, reads
from app.workflows.dispatch import limit_changed
from app.workflows.graph import Compiled, Graph, compile_definition
from app.workflows.models import WorkflowRow, WorkflowVersionRow, handlers, workflows
from app.workflows.models import workflow_versions as versions
from app.workflows.run_context import graph_of
from app.workflows.run_models import RUN_OPEN, runs
from app.workflows.schemas import (
    MAX_DEFINITION_BYTES,
    HandlerPut,
    HandlerRead,
    Validation,
    WorkflowDeleted,
    WorkflowVersionRead,
)


class DefinitionTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class DefinitionInvalid(AppError):
    """A definition with faults: rendered as a 422 whose ``errors`` are ``[{loc, code, message[, steps]}]``
    (``problems`` here, so the generic renderer does not take them for ``{field, in, reason}``)."""

    status = 422
    slug = "invalid-definition"
    title = "Invalid workflow definition"

    def __init__(self, compiled: Compiled) -> None:
        self.problems = [p.as_json() for p in compiled.errors]
        self.warnings = [w.as_json() for w in compiled.warnings]
        listed = ", ".join(f"{p['loc']} ({p['code']})" for p in self.problems[:20])
        more = f" and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"The definition has {len(self.problems)} fault(s): {listed}{more}")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_size(definition: Any) -> None:
    """A definition is at most MAX_DEFINITION_BYTES as compact JSON (413 naming the limit)."""
    size = len(json.dumps(definition, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_DEFINITION_BYTES:
        raise DefinitionTooLarge(
            f"the definition is {size} bytes of JSON; the limit is {MAX_DEFINITION_BYTES}",
            limit_bytes=MAX_DEFINITION_BYTES,
        )


def validate(definition: Any, *, name: str | None, registered: list[str]) -> Validation:
    """What the compiler says of ``definition``, every fault and warning; stores nothing."""
    check_size(definition)
    compiled = compile_definition(definition, name=name, registered_handlers=registered)
    graph = compiled.graph.as_json() if compiled.graph is not None and not compiled.errors else None
    return Validation(
        valid=graph is not None,
        errors=[p.as_json() for p in compiled.errors],
        warnings=[w.as_json() for w in compiled.warnings],
        graph=graph,
    )


def body_hash(definition: Any, graph: Graph) -> str:
    """Equal for bodies that differ only in key order, except the order of steps, which decides ties."""
    steps = [s.name for s in graph.steps]
    return hashlib.sha256(_canonical([definition, steps])).hexdigest()


async def put_handler(tx: Tx, *, namespace: str, name: str, body: HandlerPut) -> tuple[HandlerRead, bool]:
    """Register or replace a handler; returns it and whether it is new. A new ``max_in_flight`` applies to
    the attempts waiting for it at once."""
    values = body.model_dump(mode="json")
    new = {"namespace": namespace, "name": name, **values, "created_at": tx.now, "updated_at": tx.now}
    stmt = tx.insert(handlers).values(new).on_conflict_do_nothing().returning(handlers.c.name)
    created = (await tx.conn.execute(stmt)).first() is not None
    where = (handlers.c.namespace == namespace, handlers.c.name == name)
    stored = (await tx.conn.execute(tx.for_update(sa.select(handlers).where(*where)))).mappings().one()
    changed = {k: v for k, v in values.items() if stored[k] != v}
    if changed:
        await tx.conn.execute(sa.update(handlers).where(*where).values(**changed, updated_at=tx.now))
    if created:
        await engine.handler_registered(tx, namespace=namespace, name=name)
    elif "max_in_flight" in changed:
        await limit_changed(tx, namespace=namespace, handler=name, max_in_flight=body.max_in_flight)
    return HandlerRead.from_row(await reads.get_handler(tx.conn, namespace=namespace, name=name)), created


async def runs_using_handler(tx: Tx, *, namespace: str, name: str) -> list[str]:
    """The running or paused runs with a step that uses the handler (its deletion is a 409 while there are
    any): O(open runs), which only a deletion pays."""
    r = runs.c
    stmt = sa.select(r.id, r.workflow, r.version).where(r.namespace == namespace, r.status.in_(RUN_OPEN))
    using: list[str] = []
    for run_id, workflow, version in (await tx.conn.execute(stmt.order_by(r.id))).all():
        graph = await graph_of(tx.conn, namespace, workflow, version)
        if any(h.name == name for s in graph.steps for h in s.handlers):
            using.append(run_id)
    return using


async def delete_handler(tx: Tx, *, namespace: str, name: str) -> None:
    """Delete a handler; 404 when unknown, 409 while a running run's step uses it."""
    await reads.get_handler(tx.conn, namespace=namespace, name=name)
    using = await runs_using_handler(tx, namespace=namespace, name=name)
    if using:
        raise Conflict(f"handler {name!r} is used by {len(using)} running run(s)", runs=using[:100])
    await tx.conn.execute(
        sa.delete(handlers).where(handlers.c.namespace == namespace, handlers.c.name == name)
    )


async def _locked_workflow(tx: Tx, namespace: str, name: str) -> WorkflowRow:
    """The workflow's row, locked; a new one (``latest_version`` 0) when there was none."""
    new = {
        "namespace": namespace,
        "name": name,
        "latest_version": 0,
        "created_at": tx.now,
        "updated_at": tx.now,
    }
    await tx.conn.execute(tx.insert(workflows).values(new).on_conflict_do_nothing())
    stmt = sa.select(workflows).where(workflows.c.namespace == namespace, workflows.c.name == name)
    return cast(WorkflowRow, dict((await tx.conn.execute(tx.for_update(stmt))).mappings().one()))


async def put_workflow(
    tx: Tx, *, namespace: str, name: str, definition: dict[str, Any]
) -> tuple[WorkflowVersionRead, bool]:
    """Store a definition: the latest version again when the body is the same (False), else the next
    version (True). A deleted workflow comes back with the next version number. 422 listing every fault."""
    check_size(definition)
    registered = await reads.handler_names(tx.conn, namespace=namespace)
    compiled = compile_definition(definition, name=name, registered_handlers=registered)
    if compiled.errors or compiled.graph is None:
        raise DefinitionInvalid(compiled)
    warnings = [w.as_json() for w in compiled.warnings]
    digest = body_hash(definition, compiled.graph)
    workflow = await _locked_workflow(tx, namespace, name)
    if workflow["latest_version"] and workflow["deleted_at"] is None:
        latest = await reads.get_version(
            tx.conn, namespace=namespace, name=name, version=workflow["latest_version"]
        )
        if latest["body_hash"] == digest:
            return WorkflowVersionRead.from_row(latest, warnings=warnings), False
    row: WorkflowVersionRow = {
        "namespace": namespace,
        "name": name,
        "version": workflow["latest_version"] + 1,
        "definition": definition,
        "graph": compiled.graph.as_json(),
        "body_hash": digest,
        "created_at": tx.now,
    }
    await tx.conn.execute(sa.insert(versions).values(row))
    await tx.conn.execute(
        sa.update(workflows)
        .where(workflows.c.namespace == namespace, workflows.c.name == name)
        .values(latest_version=row["version"], updated_at=tx.now, deleted_at=None)
    )
    return WorkflowVersionRead.from_row(row, warnings=warnings), True


async def delete_workflow(tx: Tx, *, namespace: str, name: str) -> WorkflowDeleted:
    """Mark a workflow deleted: no new runs; running runs and every version stay. 404 when unknown or
    deleted already."""
    stmt = (
        sa.update(workflows)
        .where(workflows.c.namespace == namespace, workflows.c.name == name, workflows.c.deleted_at.is_(None))
        .values(deleted_at=tx.now, updated_at=tx.now)
        .returning(workflows.c.name)
    )
    if (await tx.conn.execute(stmt)).first() is None:
        raise NotFound(f"workflow {name!r} does not exist")
    return WorkflowDeleted(name=name, deleted_at=tx.now)
