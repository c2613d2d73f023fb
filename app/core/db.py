"""The engine, and the one transaction a request or a scheduler job runs in."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.config import TaskMessages
from app.core.clock import Clock
from app.core.ids import new_id

log = logging.getLogger("rendezvous.db")
T = TypeVar("T")
E = TypeVar("E")
# What reacts, inside the transaction, to an event a service publishes (see ``Database.subscribe``).
Handler = Callable[["Tx", Any], Awaitable[None]]
RETRYABLE_SQLSTATES = {"40P01", "40001"}
READ_ONLY = "rendezvous_read_only"
NOTIFY_LIMIT = 7000  # bytes per NOTIFY payload; PostgreSQL refuses 8000 and more
IN_CHUNK = 5000  # ids per IN list: under every driver's bound-parameter limit
PLAN_RECYCLE_SECONDS = 120  # PostgreSQL connections (and their prepared statements' plans) live this long

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def make_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    """Create the async engine with the pragmas SQLite needs to serve concurrently. Bound parameters (which
    may be signing secrets or key digests) never appear in its error messages, hence never in logs."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN itself

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the write lock up front, so they queue on busy_timeout instead of failing to
            # upgrade a read snapshot that another writer has moved past.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # Connections are renewed every PLAN_RECYCLE_SECONDS: a prepared statement's generic plan, made while a
    # table was small and never analysed, is then made again for the table as it is (planning every execution
    # instead would halve the rate of array-heavy writes such as batch creation).
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        hide_parameters=True,
        pool_recycle=PLAN_RECYCLE_SECONDS,
    )


# Awaited inside every write transaction of the current request just before it commits (the idempotency
# record notes that the request's work committed, atomically with that work).
before_commit: ContextVar[Callable[[Tx], Awaitable[None]] | None] = ContextVar("before_commit", default=None)


@dataclass
class Tx:
    """One open transaction: its connection, its fixed time, and what to do once it commits."""

    conn: AsyncConnection
    now: datetime
    signals: dict[str, list[Any]] = field(default_factory=dict)
    inline_members: int = 1000
    task_messages: TaskMessages = field(default_factory=TaskMessages)
    # Counts for /metrics, handed to this process only (never broadcast) once the transaction commits.
    observations: list[tuple[str, str, str]] = field(default_factory=list)
    handlers: Mapping[type, Sequence[Handler]] = field(default_factory=dict)
    # This process's listeners, for a service that hands what it writes to one of them directly.
    listeners: Mapping[str, Callable[[list[Any]], None]] = field(default_factory=dict)
    ended: list[Callable[[bool], None]] = field(default_factory=list)
    # Work to run as the transaction's last statements, right before COMMIT, by name (see ``at_commit``).
    last: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)  # a module's own notes for this transaction, by name
    _driver: Any = field(default=None, init=False, repr=False)

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    async def driver(self) -> Any:
        """PostgreSQL: the asyncpg connection under this transaction, the transaction begun on it.
        SQLAlchemy's asyncpg adapter begins lazily, at its first statement; here its own BEGIN runs, so it
        commits (or rolls back) what runs on the driver with the rest."""
        if self._driver is None:
            raw = await self.conn.get_raw_connection()
            self._driver = raw.driver_connection
            if not self._driver.is_in_transaction():
                await raw.dbapi_connection._start_transaction()  # type: ignore[union-attr]
        return self._driver

    def announce(self, sql: str, args: tuple[Any, ...]) -> None:
        """Show a statement run on the driver to the engine's ``before_cursor_execute`` listeners, as
        SQLAlchemy shows its own (statement counts, plan checks)."""
        sync = self.conn.sync_connection
        hooks = sync.dispatch.before_cursor_execute if sync is not None else None
        if hooks:
            hooks(sync, None, sql, args, None, False)

    def emit(self, signal: str, payload: Any = None) -> None:
        """Tell the runtime about a committed change (a resolution, a new delivery) once this commits."""
        self.signals.setdefault(signal, []).append(payload)

    async def publish(self, event: object) -> None:
        """Hand ``event`` to every handler subscribed to its type, in the order they were subscribed, inside
        this transaction: what they write commits (or rolls back) with what caused it."""
        for handler in self.handlers.get(type(event), ()):
            await handler(self, event)

    def at_commit(self, name: str, fn: Callable[[], Awaitable[None]]) -> None:
        """Run ``fn`` as the transaction's last statements, after everything else and right before COMMIT
        (once per ``name``): a change to a row that many transactions queue on holds its lock for the
        commit only. Whoever needs the change sooner runs it and drops it from ``last``."""
        self.last.setdefault(name, fn)

    def on_end(self, fn: Callable[[bool], None]) -> None:
        """Call ``fn(committed)`` once this transaction has ended, committed (after the listeners ran) or
        rolled back."""
        self.ended.append(fn)

    def observe(self, metric: str, kind: str, outcome: str = "") -> None:
        """Count a committed event for /metrics (e.g. ``observe("resolution", "gather", "succeeded")``)."""
        self.observations.append((metric, kind, outcome))

    def insert(self, table: sa.Table) -> Any:
        """A dialect insert, so callers can use ``on_conflict_do_nothing``."""
        return postgresql.insert(table) if self.is_postgres else sqlite.insert(table)

    def for_update(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        """Row locks on PostgreSQL; SQLite has one writer at a time already."""
        return stmt.with_for_update() if self.is_postgres else stmt

    def claim(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        """Rows to change, locked; on PostgreSQL rows another transaction holds are passed over (SKIP
        LOCKED) rather than waited for. SQLite has one writer at a time already."""
        return stmt.with_for_update(skip_locked=True) if self.is_postgres else stmt

    def due(self, stmt: sa.Select[Any], deadline: sa.ColumnElement[Any], *, limit: int) -> sa.Select[Any]:
        """``stmt`` narrowed to rows whose ``deadline`` has passed, earliest first, at most ``limit``. On
        PostgreSQL the rows are locked and rows another transaction holds are skipped (SKIP LOCKED), so
        replicas working the same deadlines share them instead of queueing on each other."""
        stmt = stmt.where(deadline.is_not(None), deadline <= self.now).order_by(deadline).limit(limit)
        return stmt.with_for_update(skip_locked=True) if self.is_postgres else stmt


class Database:
    """Owns the engine; on SQLite it also serialises writers inside this process."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        *,
        inline_members: int = 1000,
        task_messages: TaskMessages | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.inline_members = inline_members
        self.task_messages = task_messages or TaskMessages()
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock()
        self.listeners: dict[str, Callable[[list[Any]], None]] = {}
        self.observer: Callable[[list[tuple[str, str, str]]], None] | None = None
        self.node_id = new_id("node")
        self.broadcast_channel: str | None = None  # set on PostgreSQL when replicas listen
        self.handlers: dict[type, list[Handler]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[Tx, E], Awaitable[None]]) -> None:
        """Call ``handler`` with every ``event_type`` a transaction publishes, after the handlers subscribed
        before it. The composition root subscribes; the publisher never names its consumers."""
        self.handlers.setdefault(event_type, []).append(handler)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One write transaction: commit on success, roll back on error, then run the commit hooks."""
        lock: Any = self._write_lock if self.is_sqlite else nullcontext()
        tx: Tx | None = None
        committed = False
        try:
            async with lock, self.engine.connect() as conn:
                tx = Tx(
                    conn=conn,
                    now=self.clock.now(),
                    inline_members=self.inline_members,
                    task_messages=self.task_messages,
                    handlers=self.handlers,
                    listeners=self.listeners,
                )
                async with conn.begin():
                    yield tx
                    hook = before_commit.get()
                    if hook is not None:
                        await hook(tx)
                    if tx.signals and self.broadcast_channel:
                        await self._broadcast(conn, tx.signals)
                    while tx.last:
                        await tx.last.pop(next(iter(tx.last)))()
            committed = True
            self.dispatch(tx.signals)
            if tx.observations and self.observer is not None:
                self.observer(tx.observations)
        finally:
            for fn in tx.ended if tx is not None else ():
                fn(committed)

    def dispatch(self, signals: dict[str, list[Any]]) -> None:
        """Hand committed signals to this process's listeners (deliverer, long-polls)."""
        for signal, payloads in signals.items():
            listener = self.listeners.get(signal)
            if listener is not None:
                listener(payloads)

    async def _broadcast(self, conn: AsyncConnection, signals: dict[str, list[Any]]) -> None:
        """PostgreSQL: NOTIFY other replicas in the same transaction, so they hear of it on commit.

        Messages stay under PostgreSQL's 8,000-byte payload limit, however many keys a commit touches.
        """
        for message in notify_messages(self.node_id, signals):
            await conn.execute(
                sa.text("SELECT pg_notify(:channel, :message)"),
                {"channel": self.broadcast_channel, "message": message},
            )

    async def run(self, fn: Callable[[Tx], Awaitable[T]], *, attempts: int = 3) -> T:
        """Run ``fn`` in a transaction, again on a PostgreSQL deadlock or serialization failure."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.transaction() as tx:
                    return await fn(tx)
            except DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
                if code not in RETRYABLE_SQLSTATES or attempt == attempts:
                    raise
                log.warning("transaction retried after %s (attempt %d)", code, attempt)
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; no lock, no commit hooks."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            yield conn


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    """Split a sequence into slices of at most ``size``; keeps IN lists under driver limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def notify_messages(node: str, signals: dict[str, list[Any]]) -> list[str]:
    """Pack ``{signal: [payload, …]}`` into as few JSON messages as fit in NOTIFY_LIMIT bytes each."""
    messages: list[str] = []
    batch: dict[str, list[Any]] = {}
    size = 0
    for name, payloads in signals.items():
        for payload in payloads:
            cost = len(json.dumps(payload).encode()) + 2
            if batch and size + cost > NOTIFY_LIMIT:
                messages.append(json.dumps({"node": node, "signals": batch}))
                batch, size = {}, 0
            batch.setdefault(name, []).append(payload)
            size += cost
    if batch:
        messages.append(json.dumps({"node": node, "signals": batch}))
    return messages
