"""Rows read by a list of their keys, planned the same whatever the database knows of its tables.

A table that was never analysed (fresh, bulk-loaded, or on a server without autovacuum) has no statistics:
the planner then takes ``namespace = …`` to be selective, and for ``key IN (…)`` over many keys it may walk a
``(namespace, …)`` index and filter every row of the namespace, a read that grows with the table instead of
with the list. On PostgreSQL each key is therefore read by its own probe that only the ``(namespace, key)``
unique index can serve: the first row at or after ``(namespace, key)`` in that index's order. SQLite plans a
full unique key as one row, so a plain ``IN`` does there.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def by_key(dialect: str, key: sa.Column[Any], columns: tuple[sa.Column[Any], ...]) -> sa.Select[Any]:
    """``columns`` of the rows of ``key``'s table (unique on ``(namespace, key)``) whose key is one of a list,
    in key order; a key with no row is left out. Built once per shape; executed with ``key_params(…)``."""
    return _by_key(dialect, key, columns)


def key_params(namespace: str, wanted: Sequence[str]) -> dict[str, Any]:
    """The parameters of a ``by_key`` statement."""
    return {"by_keys": sorted(set(wanted)), "by_keys_namespace": namespace}


@cache
def _by_key(dialect: str, key: sa.Column[Any], columns: tuple[sa.Column[Any], ...]) -> sa.Select[Any]:
    table = key.table
    ns = table.c.namespace
    scope: sa.BindParameter[str] = sa.bindparam("by_keys_namespace", type_=sa.String)
    if dialect != "postgresql":
        wanted = sa.bindparam("by_keys", expanding=True, type_=sa.String)
        return sa.select(*columns).where(ns == scope, key.in_(wanted)).order_by(key)
    ids = (
        sa.func.unnest(sa.bindparam("by_keys", type_=postgresql.ARRAY(sa.String)))
        .table_valued("id")
        .render_derived("wanted")
    )
    probe = (
        sa.select(*columns, ns.label("probe_namespace"), key.label("probe_key"))
        .where(sa.tuple_(ns, key) >= sa.tuple_(scope, ids.c.id))
        .order_by(ns, key)
        .limit(1)
        .lateral("probe")
    )
    # The row found must be the one asked for: the next in key order may have another key, or be another
    # namespace's row with this key.
    found = sa.and_(probe.c.probe_namespace == scope, probe.c.probe_key == ids.c.id)
    return (
        sa.select(*(probe.c[c.name] for c in columns)).select_from(ids).join(probe, found).order_by(ids.c.id)
    )


def joined(
    dialect: str, key: sa.Column[Any], namespace: sa.ColumnElement[Any], wanted: sa.ColumnElement[Any]
) -> tuple[sa.FromClause, sa.ColumnElement[bool]]:
    """``key``'s table to join to another's rows, each naming its row by ``(namespace, wanted)``, and the
    join's condition. On PostgreSQL each row is read by the probe described above, so the other table drives
    the join whatever the planner believes of either; SQLite joins the table itself by its unique key."""
    table = key.table
    ns = table.c.namespace
    if dialect != "postgresql":
        return table, sa.and_(ns == namespace, key == wanted)
    probe = (
        sa.select(table)
        .where(sa.tuple_(ns, key) >= sa.tuple_(namespace, wanted))
        .order_by(ns, key)
        .limit(1)
        .lateral(f"{table.name}_probe")
    )
    return probe, sa.and_(probe.c.namespace == namespace, probe.c[key.name] == wanted)
