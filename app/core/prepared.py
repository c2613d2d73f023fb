"""Statements a request runs every time, compiled once. On PostgreSQL they run straight on the transaction's
asyncpg connection (which keeps each one prepared), with their types' own bind and result processing, so
none of SQLAlchemy's per-execution work (cache key, execution context, result wrapping, greenlet hops) is
paid; on SQLite they run through SQLAlchemy like any statement."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from weakref import WeakKeyDictionary

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from app.core.db import Tx

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """One statement compiled for one dialect: its SQL, parameter order and processors."""

    compiled: Any
    sql: str
    names: tuple[str, ...]
    binds: tuple[Processor, ...]
    columns: tuple[str, ...]
    results: tuple[Processor, ...]

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self.compiled.construct_params(params)
        return tuple(
            value if bind is None else bind(value)
            for bind, value in zip(self.binds, (values[name] for name in self.names), strict=True)
        )

    def row(self, record: Any) -> dict[str, Any]:
        return {
            name: value if result is None else result(value)
            for name, result, value in zip(self.columns, self.results, record, strict=True)
        }


class Prepared:
    """One statement per dialect name (``{"postgresql": …, "sqlite": …}``), run for its rows as dicts."""

    def __init__(self, statements: Mapping[str, sa.Executable]) -> None:
        self.statements = dict(statements)
        self._plans: WeakKeyDictionary[Dialect, _Plan] = WeakKeyDictionary()

    async def rows(self, tx: Tx, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows the statement returns (RETURNING or SELECT), as dicts by column name."""
        stmt = self.statements[tx.dialect]
        if not tx.is_postgres:
            return [dict(row) for row in (await tx.conn.execute(stmt, params)).mappings()]
        driver = await tx.driver()
        dialect = tx.conn.dialect
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = await _plan(stmt, dialect, driver)
        args = plan.args(params)
        tx.announce(plan.sql, args)
        try:
            records = await driver.fetch(plan.sql, *args)
        except asyncpg.PostgresError as exc:  # as SQLAlchemy raises it: a retry reads exc.orig.sqlstate
            hide = tx.conn.sync_engine.hide_parameters
            raise DBAPIError.instance(
                plan.sql, args, exc, asyncpg.PostgresError, hide_parameters=hide
            ) from exc
        return [plan.row(record) for record in records]


async def _plan(stmt: sa.Executable, dialect: Dialect, driver: Any) -> _Plan:
    """Compile ``stmt`` as SQLAlchemy would; its result types are those the server reports for it."""
    compiled: Any = cast(sa.ClauseElement, stmt).compile(dialect=dialect)
    names = tuple(compiled.positiontup)
    oids = [attribute.type.oid for attribute in (await driver.prepare(compiled.string)).get_attributes()]
    columns = compiled._result_columns
    return _Plan(
        compiled=compiled,
        sql=compiled.string,
        names=names,
        binds=tuple(compiled._bind_processors.get(name) for name in names),
        columns=tuple(column.keyname for column in columns),
        results=tuple(
            column.type._cached_result_processor(dialect, oid)
            for column, oid in zip(columns, oids, strict=True)
        ),
    )
