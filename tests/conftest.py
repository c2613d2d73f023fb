"""Fixtures: a migrated database (SQLite, or PostgreSQL when RENDEZVOUS_TEST_DATABASE_URL is set),
the app on an injected clock, and a real callback receiver on loopback."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.access import service as access
from app.config import Settings
from app.core import replicas
from app.core.clock import FakeClock
from app.main import create_app
from app.migrate import upgrade
from app.models import metadata
from app.runtime import Runtime
from tests.receiver import Receiver

PG_URL = os.environ.get("RENDEZVOUS_TEST_DATABASE_URL")


def is_postgres() -> bool:
    return PG_URL is not None


postgres_only = pytest.mark.skipif(PG_URL is None, reason="needs RENDEZVOUS_TEST_DATABASE_URL (PostgreSQL)")


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(sql))
    await engine.dispose()


def fresh_database_url() -> Iterator[str]:
    """A new, empty database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if PG_URL is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'test.db'}"
        return
    name = f"rdv_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(PG_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """One migrated database for the session; tables are emptied before each test."""
    for url in fresh_database_url():
        upgrade(url)
        yield url


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    """A database with no schema at all, for migration tests."""
    yield from fresh_database_url()


async def truncate(url: str) -> None:
    engine = create_async_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    async with engine.begin() as conn:
        names = [t.name for t in reversed(metadata.sorted_tables)]
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text(f"TRUNCATE {', '.join(names)}"))
        else:
            for name in names:
                await conn.execute(sa.text(f"DELETE FROM {name}"))
    await engine.dispose()


@dataclass
class Service:
    """The running app: an HTTP client for it, its runtime and its clock."""

    client: httpx.AsyncClient
    runtime: Runtime
    clock: FakeClock

    async def settle(self) -> None:
        """Let every delivery that is due now be attempted, and wait for the outcomes."""
        await self.runtime.deliverer.drain()
        await self.runtime.deliverer.idle()

    async def every(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paged list, following ``next_cursor`` from the first page."""
        found: list[dict[str, Any]] = []
        while True:
            answer = await self.client.get(path, params=params)
            assert answer.status_code == 200, answer.text
            found += answer.json()["items"]
            params["cursor"] = answer.json()["next_cursor"]
            if params["cursor"] is None:
                return found

    async def key(self, namespace: str = "default", role: str = "write") -> str:
        """A new API key, made the way ``rendezvous keys create`` makes one."""
        _, key = await self.runtime.db.run(
            lambda tx: access.create_key(tx, namespace=namespace, role=role, name=None)
        )
        return key

    async def authorize(self, namespace: str = "default", role: str = "write") -> str:
        """Send a new key of ``namespace`` with every request of ``client``."""
        key = await self.key(namespace, role)
        self.client.headers["Authorization"] = f"Bearer {key}"
        return key

    async def tick(self, seconds: float = 0, *, alive: Sequence[str] = ()) -> None:
        """Move the clock, then run what the scheduler would: heartbeat, deadlines, leases, deliveries.
        ``alive``: other replicas (made-up worker ids) that beat just before, so their claims are kept."""
        self.clock.advance(seconds)
        for replica in alive:
            async with self.runtime.db.transaction() as tx:
                await replicas.beat(tx, replica, self.clock.now())
        await self.runtime.ticks.run_all()


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: dev mode, no background scheduler (tests tick), loopback callbacks allowed."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "dev": True,
        "scheduler_enabled": False,
        "callback_allow_cidrs": ["127.0.0.0/8"],
        "delivery_timeout_seconds": 5.0,
        "db_pool_size": 10,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
async def service_factory(database_url: str) -> AsyncIterator[Callable[..., Any]]:
    """Start apps with settings overrides; each is stopped at the end of the test."""
    await truncate(database_url)
    stack: list[Any] = []

    async def start(clock: FakeClock | None = None, resolver: Any = None, **overrides: Any) -> Service:
        clock = clock or FakeClock()
        kwargs = {"resolver": resolver} if resolver is not None else {}
        app = create_app(make_settings(**{"database_url": database_url, **overrides}), clock=clock, **kwargs)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rendezvous.test")
        stack.append((lifespan, client))
        return Service(client, app.state.runtime, clock)

    yield start
    for lifespan, client in reversed(stack):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def svc(service_factory: Callable[..., Any]) -> Service:
    service: Service = await service_factory()
    return service


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rcv = await Receiver().start()
    yield rcv
    await rcv.stop()
