"""Baseline for the benchmark: a bare ASGI app (no framework) doing one write per completion report.

``POST /v1/jobs/{id}/complete`` parses the JSON body and runs one upsert of the job's row (one statement, one
commit), answering the row as JSON; ``GET /readyz`` answers 200. Served by uvicorn exactly like Rendezvous,
so the ratio between the two is the cost of everything Rendezvous does beyond that one write.

Configured by ``BASELINE_DATABASE_URL``: ``postgresql://…`` (asyncpg pool) or ``sqlite:///path`` (one
aiosqlite connection with the service's pragmas, writers serialised).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
import asyncpg

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PREFIX = "/v1/jobs/"
SUFFIX = "/complete"
PG_DDL = (
    "CREATE TABLE IF NOT EXISTS baseline_jobs (id text PRIMARY KEY, status text NOT NULL, output jsonb, "
    "updated_at timestamptz NOT NULL)"
)
PG_UPSERT = (
    "INSERT INTO baseline_jobs (id, status, output, updated_at) VALUES ($1, $2, $3::jsonb, now()) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, output = excluded.output, "
    "updated_at = excluded.updated_at RETURNING id, status, output::text, updated_at::text"
)
SQLITE_DDL = (
    "CREATE TABLE IF NOT EXISTS baseline_jobs (id text PRIMARY KEY, status text NOT NULL, output text, "
    "updated_at text NOT NULL)"
)
SQLITE_UPSERT = (
    "INSERT INTO baseline_jobs (id, status, output, updated_at) VALUES (?, ?, ?, datetime('now')) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, output = excluded.output, "
    "updated_at = excluded.updated_at RETURNING id, status, output, updated_at"
)


class PostgresStore:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=4, max_size=32)
        await self.pool.execute(PG_DDL)

    async def upsert(self, job_id: str, status: str, output: str) -> tuple[Any, ...]:
        assert self.pool is not None
        row = await self.pool.fetchrow(PG_UPSERT, job_id, status, output)
        return tuple(row)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: aiosqlite.Connection | None = None
        self.lock = asyncio.Lock()

    async def open(self) -> None:
        self.conn = await aiosqlite.connect(self.path, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            await self.conn.execute(f"PRAGMA {pragma}")
        await self.conn.execute(SQLITE_DDL)
        await self.conn.commit()

    async def upsert(self, job_id: str, status: str, output: str) -> tuple[Any, ...]:
        assert self.conn is not None
        async with self.lock:
            cursor = await self.conn.execute(SQLITE_UPSERT, (job_id, status, output))
            row = await cursor.fetchone()
            await cursor.close()
            await self.conn.commit()
        return tuple(row or ())

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def make_store(url: str) -> PostgresStore | SqliteStore:
    if url.startswith("sqlite:///"):
        return SqliteStore(url.removeprefix("sqlite:///"))
    return PostgresStore(url)


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def respond(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BaselineApp:
    def __init__(self) -> None:
        self.store = make_store(os.environ["BASELINE_DATABASE_URL"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.store.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if scope["method"] == "GET" and path == "/readyz":
            await respond(send, 200, {"status": "ok"})
            return
        if scope["method"] != "POST" or not path.startswith(PREFIX) or not path.endswith(SUFFIX):
            await respond(send, 404, {"detail": "not found"})
            return
        job_id = path[len(PREFIX) : -len(SUFFIX)]
        try:
            report = json.loads(await read_body(receive) or b"{}")
        except ValueError:
            await respond(send, 422, {"detail": "invalid JSON"})
            return
        status = report.get("status", "succeeded")
        row = await self.store.upsert(job_id, status, json.dumps(report.get("output")))
        await respond(send, 200, dict(zip(("id", "status", "output", "updated_at"), row, strict=False)))


app = BaselineApp()
