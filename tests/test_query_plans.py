"""The hot reads keep index-driven plans on a database that was never analysed.

A fresh or bulk-loaded PostgreSQL table has no statistics until ANALYZE runs (and on a server without
autovacuum it never does). Without them the planner takes ``namespace = …`` to be selective, and a prepared
statement's generic plan, made while the tables were small, is kept as they grow. These tests record the
statements the app's own read functions run, plan them as generic plans while the tables are small and again
after a bulk load, and check that every scan of a large table is by the key meant for it, with bounded work.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.batches import reads as batch_reads
from app.core.clock import FakeClock
from app.core.keyed import by_key, key_params
from app.errors import NotFound
from app.gathers import reads as gather_reads
from app.jobs.models import jobs
from app.main import create_app
from app.migrate import upgrade
from app.models import metadata
from app.workflows import runs_reads
from app.workflows.run_models import run_items
from tests.conftest import fresh_database_url, is_postgres, make_settings, postgres_only

MEMBERS = 100
SMALL = 3  # gathers made through the API before the bulk load
BULK = 300  # gathers of MEMBERS jobs loaded directly afterwards
RUNS = 20_000
# The index each large table must be read by in these reads (a scan of a table by any other index, or a
# sequential scan, is a plan that grows with the namespace instead of with the read).
EXPECTED_INDEX = {
    "jobs": {"pk_jobs"},
    "gather_members": {"uq_gather_members_namespace_gather_id_position"},
    "runs": {"pk_runs", "ix_runs_namespace_status_id", "ix_runs_namespace_status_finished"},
    "gathers": {"pk_gathers", "ix_gathers_status_namespace_id", "ix_gathers_namespace_status_resolved"},
    "waits": {"uq_waits_open_group", "ix_waits_namespace_group"},
    "wait_participants": {"uq_wait_participants_wait_id_position"},
    "batch_ledgers": {"ix_batch_ledgers_open_batch_jobs", "ix_batch_ledgers_batch_jobs", "pk_batch_ledgers"},
}
WAITS = 20_000


@pytest.fixture(scope="module")
def plan_database_url() -> Iterator[str]:
    """A database of its own, migrated, with autovacuum off for its tables so it stays unanalysed."""
    for url in fresh_database_url():
        upgrade(url)
        if is_postgres():
            asyncio.run(_without_autovacuum(url))
        yield url


async def _without_autovacuum(url: str) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        for table in metadata.sorted_tables:
            await conn.execute(f"ALTER TABLE {table.name} SET (autovacuum_enabled = false)")
    finally:
        await conn.close()


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@asynccontextmanager
async def _app(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    app = create_app(make_settings(url), clock=FakeClock())
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rendezvous.test")
    try:
        yield client, app.state.runtime.db.engine
    finally:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


class Recorder:
    """The SELECTs an engine runs while recording, with their parameters, as the driver received them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.on and statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))

    async def reads(self, client: httpx.AsyncClient, gather_id: str, run_id: str) -> list[tuple[str, Any]]:
        """Run the hot reads (through HTTP where there is a route) and return the statements they ran."""
        self.statements, self.on = [], True
        try:
            for path in ("", "/explain", "/members?limit=50"):
                assert (await client.get(f"/v1/gathers/{gather_id}{path}")).status_code == 200
            for query in (
                "?status=waiting&limit=50",
                "?status=succeeded&limit=50",
                "?limit=50",
                "?status=failed&order=-resolved_at&limit=20",
            ):
                assert (await client.get(f"/v1/gathers{query}")).status_code == 200
            for query in ("?status=failed&limit=20", "?status=failed&order=-finished_at&limit=20"):
                assert (await client.get(f"/v1/runs{query}")).status_code == 200
            for query in ("?status=pending&limit=50", "?status=running&limit=50", "?limit=50"):
                listed = await client.get(f"/v1/batch-jobs{query}")
                assert listed.status_code == 200 and len(listed.json()["items"]) <= 1
            for group in ("open1", "done1"):  # the open wait, and the latest of a group with none open
                assert (await client.get(f"/v1/waits/{group}")).status_code == 200
            page = (await client.get(f"/v1/gathers/{gather_id}/members?limit=30")).json()
            cursor = page["next_cursor"]
            assert (await client.get(f"/v1/gathers/{gather_id}/members?cursor={cursor}")).status_code == 200
            async with self.engine.connect() as conn:
                gather = await gather_reads.get(conn, namespace="default", gather_id=gather_id)
                await gather_reads.event_data(conn, gather, limit=1000)
                other = await gather_reads.get(conn, namespace="default", gather_id="g0")
                await gather_reads.event_data_many(conn, "default", [gather, other], limit=1000)
                await runs_reads.get(conn, namespace="default", run_id=run_id)
                with pytest.raises(NotFound):  # a plain job: the read still runs its query
                    await batch_reads.get_batch_job(conn, namespace="default", job_id=f"{gather_id}-j5")
        finally:
            self.on = False
        return self.statements


async def _seed(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/batch-jobs", json={"name": "export"})).status_code == 201
    for g in range(SMALL):
        body = {"id": f"g{g}", "job_ids": [f"g{g}-j{i}" for i in range(MEMBERS)], "sealed": False}
        assert (await client.post("/v1/gathers", json=body)).status_code == 201
    for group, expected in (("open1", 5), ("done1", 1)):
        body = {
            "participant_key": "p1",
            "expected_participants": expected,
            "wait_seconds": 600,
            "callback": {"url": "http://127.0.0.1:9/waited"},
        }
        assert (await client.post(f"/v1/waits/{group}/participants", json=body)).status_code == 201


async def _finish_some(conn: AsyncConnection, gather_id: str) -> None:
    """Every third member succeeded and every seventh failed, so the pending walk skips finished jobs."""
    for status, step in (("succeeded", 3), ("failed", 7)):
        ids = [f"{gather_id}-j{i}" for i in range(0, MEMBERS, step)]
        stmt = sa.text("UPDATE jobs SET status = :s WHERE namespace = 'default' AND id = ANY(:ids)")
        await conn.execute(stmt, {"s": status, "ids": ids})


BULK_SQL = [
    """INSERT INTO gathers SELECT 'default', 'b' || g, 'waiting', false, 'wait_all', false, {m}, 0, 0, 0,
       NULL, NULL, NULL, NULL, NULL, NULL, 'h', now(), NULL FROM generate_series(1, {n}) g""",
    """INSERT INTO jobs (namespace, id, status, registered, created_at, updated_at)
       SELECT 'default', 'b' || g || '-j' || i, 'pending', false, now(), now()
       FROM generate_series(1, {n}) g, generate_series(0, {m} - 1) i""",
    """INSERT INTO gather_members SELECT 'default', 'b' || g, 'b' || g || '-j' || i, i
       FROM generate_series(1, {n}) g, generate_series(0, {m} - 1) i""",
    """INSERT INTO runs (namespace, id, workflow, version, status, events, transitions, transitions_truncated,
       redrive_count, body_hash, created_at, updated_at, finished_at)
       SELECT 'default', 'run' || r, 'wf', 1, CASE WHEN r % 2 = 0 THEN 'failed' ELSE 'running' END, '[]',
       '[]', false, 0, 'h', now(), now(), CASE WHEN r % 2 = 0 THEN now() - r * interval '1 second' END
       FROM generate_series({first}, {last}) r""",
    """INSERT INTO waits (id, namespace, group_key, status, expected, participant_count, wait_seconds,
       refire_on_quorum_after_timeout, callback, created_at, last_added_at)
       SELECT 'w' || w, 'default', 'k' || w, 'resolved', 1, 1, 1, false, '{{}}', now(), now()
       FROM generate_series(1, {waits}) w""",
    """INSERT INTO gathers SELECT 'default', 'e' || g,
       CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'succeeded' END, true, 'wait_all', false, 0, 0, 0, 0,
       NULL, NULL, NULL, NULL, NULL, NULL, 'h', now(),
       now() - g * interval '1 second' FROM generate_series(1, {ended}) g""",
]
ENDED = 20_000  # gathers that resolved, loaded directly


# Reads that must take a partial index of theirs: the open batch jobs, by the ledgers not completed. (SQLite,
# without statistics, costs the batch jobs' own partial index the same and may take it: still no other job.)
NARROWEST = {("batch_ledgers", "batch_ledgers.completed_at IS NULL"): "ix_batch_ledgers_open_batch_jobs"}
SQLITE_ALSO = {"ix_batch_ledgers_open_batch_jobs": "ix_batch_ledgers_batch_jobs"}


def _narrowest(sql: str, table: str, index: str) -> str:
    for (on, condition), partial in NARROWEST.items():
        if on == table and condition in sql:
            return partial
    return index


def _where(sql: str) -> str:
    return " ".join(sql.split()).partition(" WHERE ")[2]


# Reads allowed a bitmap scan of their index and a sort: a namespace's gathers, all statuses, in id order.
# Without statistics the planner takes ``namespace = …`` for a handful of rows and sorts them rather than
# walk the primary key in order; the read then grows with the namespace (8 ms at 20,000 gathers), and the
# page bound below still holds. No path the console or a report takes lists every gather.
SORTED_BITMAP = {
    "gathers.namespace = $1::VARCHAR ORDER BY gathers.id LIMIT $2::INTEGER": ("Bitmap Heap Scan",),
}


def _scans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "Relation Name" in node:
        yield node
    for child in node.get("Plans", []):
        yield from _scans(child)


async def _check_plans(url: str, statements: list[tuple[str, Any]], *, analyze: bool) -> None:
    """Plan each statement as the generic plan a prepared statement settles on; on the big tables every scan
    must use its expected index, and (when ``analyze``) a read touches a bounded number of pages."""
    assert statements
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        options = "FORMAT JSON, ANALYZE, BUFFERS" if analyze else "FORMAT JSON"
        for sql, params in statements:
            stmt = await conn.prepare(f"EXPLAIN ({options}) {sql}")
            plan = json.loads(await stmt.fetchval(*params))[0]["Plan"]
            for scan in _scans(plan):
                table = scan["Relation Name"]
                if table in EXPECTED_INDEX:
                    where = f"{scan['Node Type']} of {table} in {sql}"
                    kinds = ("Index Scan", "Index Only Scan", *SORTED_BITMAP.get(_where(sql), ()))
                    assert scan["Node Type"] in kinds, where
                    index = scan.get("Index Name") or _bitmap_index(scan)
                    assert index in EXPECTED_INDEX[table], where
                    assert index == _narrowest(sql, table, index), where
            if analyze:
                pages = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
                assert pages < 20 * MEMBERS, f"{pages} pages for {sql}"
    finally:
        await conn.close()


async def _unanalysed(url: str) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT relname, last_analyze, last_autoanalyze FROM pg_stat_user_tables"
            " WHERE relname = ANY($1::text[])",
            list(EXPECTED_INDEX),
        )
        assert len(rows) == len(EXPECTED_INDEX)
        for row in rows:
            assert row["last_analyze"] is None and row["last_autoanalyze"] is None, row["relname"]
    finally:
        await conn.close()


@postgres_only
async def test_hot_reads_use_their_keys_on_an_unanalysed_database(plan_database_url: str) -> None:
    url = plan_database_url
    async with _app(url) as (client, engine):
        recorder = Recorder(engine)
        await _seed(client)
        async with engine.begin() as conn:
            await _finish_some(conn, "g1")
            await conn.execute(sa.text(BULK_SQL[3].format(first=1, last=10)))
        # Small tables: the plans a prepared statement caches now are kept as the tables grow.
        await _check_plans(url, await recorder.reads(client, "g1", "run5"), analyze=False)

        async with engine.begin() as conn:
            for sql in BULK_SQL[:3]:
                await conn.execute(sa.text(sql.format(n=BULK, m=MEMBERS)))
            await conn.execute(sa.text(BULK_SQL[3].format(first=11, last=RUNS)))
            await conn.execute(sa.text(BULK_SQL[4].format(waits=WAITS)))
            await conn.execute(sa.text(BULK_SQL[5].format(ended=ENDED)))
        # Run each read past the point where a prepared statement switches to its generic plan.
        for _ in range(6):
            statements = await recorder.reads(client, "g1", "run5")
        await _check_plans(url, statements, analyze=True)

        read = (await client.get("/v1/gathers/g1")).json()
        finished = {i for i in range(MEMBERS) if i % 3 == 0 or i % 7 == 0}
        assert read["pending_job_ids"] == [f"g1-j{i}" for i in range(MEMBERS) if i not in finished]
        explained = (await client.get("/v1/gathers/g1/explain")).json()
        assert explained["failed_job_ids"] == [f"g1-j{i}" for i in range(0, MEMBERS, 7)]
        members = (await client.get("/v1/gathers/b7/members?limit=100")).json()
        assert [m["id"] for m in members["items"]] == [f"b7-j{i}" for i in range(MEMBERS)]

        # The report path's writes, as the app plans them (each execution for its parameters).
        writes = await _report_statements(client, engine)
        assert any("WITH ORDINALITY" in sql for sql, _ in writes)  # two callbacks' members read together
        await _check_write_plans(url, writes)
        assert (await client.get("/v1/gathers/b8")).json()["done"] == 1
        assert (await client.get("/v1/gathers/b9")).json()["done"] == 2
    await _unanalysed(url)


# The index each table must be reached by in the report path (a report touches its jobs and the gathers
# holding them, never a walk over the namespace's gathers or members).
WRITE_INDEX = {
    "jobs": {"pk_jobs"},
    "gathers": {"pk_gathers"},
    "gather_members": {"ix_gather_members_job", "uq_gather_members_namespace_gather_id_position"},
}


async def _report_statements(client: httpx.AsyncClient, engine: AsyncEngine) -> list[tuple[str, Any]]:
    """A single report and a bulk report through the app; the statements they ran (with parameters)."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().split()[0].upper() in ("SELECT", "UPDATE", "INSERT", "WITH"):
            seen.append((statement, parameters))

    for gid in ("r1", "r2"):  # two gathers that one bulk report completes: their callbacks are built together
        body = {"id": gid, "job_ids": [f"{gid}-a", f"{gid}-b"], "callback": {"url": "http://127.0.0.1:9/cb"}}
        assert (await client.post("/v1/gathers", json=body)).status_code == 201
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        assert (await client.post("/v1/jobs/b8-j3/complete", json={})).status_code == 200
        reports = [{"id": f"b9-j{i}", "status": "succeeded"} for i in (1, 2)] + [{"id": "new-1"}]
        reports += [{"id": f"{gid}-{j}"} for gid in ("r1", "r2") for j in "ab"]
        assert (await client.post("/v1/jobs/complete", json={"reports": reports})).status_code == 200
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return [(sql, params) for sql, params in seen if "pg_notify" not in sql]


async def _check_write_plans(url: str, statements: list[tuple[str, Any]]) -> None:
    conn = await asyncpg.connect(_dsn(url), server_settings={"plan_cache_mode": "force_custom_plan"})
    try:
        for sql, params in statements:
            if isinstance(params, list):  # an executemany (the outbox's insert): no lookup to plan
                continue
            args = params if isinstance(params, tuple) else ()
            read = sql.lstrip().startswith("SELECT")  # a read is run too: its pages are bounded
            options = "FORMAT JSON, ANALYZE, BUFFERS" if read else "FORMAT JSON"
            plan = json.loads(await conn.fetchval(f"EXPLAIN ({options}) {sql}", *args))[0]["Plan"]
            if read:
                pages = plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]
                assert pages < 20 * MEMBERS, f"{pages} pages for {sql}"
            for scan in _scans(plan):
                table = scan["Relation Name"]
                if table in WRITE_INDEX and scan["Node Type"] != "ModifyTable":
                    where = f"{scan['Node Type']} of {table} in {sql}"
                    assert scan["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), where
                    index = scan.get("Index Name") or _bitmap_index(scan)
                    assert index in WRITE_INDEX[table], where
    finally:
        await conn.close()


def _bitmap_index(scan: dict[str, Any]) -> str | None:
    for child in scan.get("Plans", []):
        if child.get("Node Type") == "Bitmap Index Scan":
            return str(child["Index Name"])
    return None


async def test_sqlite_reads_search_by_key(plan_database_url: str) -> None:
    """SQLite without sqlite_stat1: the same reads search each table by its key, never scan it."""
    if is_postgres():
        pytest.skip("SQLite query plans")
    async with _app(plan_database_url) as (client, engine):
        recorder = Recorder(engine)
        await _seed(client)
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO runs (namespace, id, workflow, version, status, events, transitions,"
                    " transitions_truncated, redrive_count, body_hash, created_at, updated_at)"
                    " VALUES ('default', 'run5', 'wf', 1, 'running', '[]', '[]', 0, 0, 'h',"
                    " '2026-01-01', '2026-01-01')"
                )
            )
        statements = await recorder.reads(client, "g1", "run5")
        async with engine.connect() as conn:
            for sql, params in statements:
                rows = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)).all()
                details = [r[-1] for r in rows]
                for table in EXPECTED_INDEX:
                    assert not any(d.startswith(f"SCAN {table}") for d in details), (sql, details)
                    for d in details:
                        if d.startswith(f"SEARCH {table} "):
                            keys = ("sqlite_autoindex", "PRIMARY KEY", *EXPECTED_INDEX[table])
                            assert any(k in d for k in keys), (sql, details)
                            narrowest = _narrowest(sql, table, "")
                            allowed = (narrowest, SQLITE_ALSO.get(narrowest, narrowest))
                            assert not narrowest or any(f"INDEX {i} " in d for i in allowed), (sql, details)


KEYED = 30_000  # jobs and run items loaded for the key probes


@postgres_only
async def test_rows_read_by_a_list_of_keys_probe_their_unique_index(plan_database_url: str) -> None:
    """A bulk report's lookups (``app.core.keyed.by_key``): each key read by its own probe of the unique
    (namespace, key) index, generic plan, unanalysed tables; a key that only another namespace holds is not
    returned."""
    url = plan_database_url
    engine = create_async_engine(url)
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(BULK_SQL[3].format(first=900_001, last=900_001)))
            await conn.execute(
                sa.text(
                    """INSERT INTO jobs (namespace, id, status, registered, created_at, updated_at)
                    SELECT 'default', 'kj' || g, 'pending', false, now(), now() FROM generate_series(1, :n) g
                    UNION ALL SELECT 'other', 'kj-other', 'pending', false, now(), now()"""
                ),
                {"n": KEYED},
            )
            await conn.execute(
                sa.text(
                    """INSERT INTO run_items (namespace, run_id, step, idx, status, attempt, job_id)
                    SELECT 'default', 'run900001', 's', g, 'dispatched', 1, 'run900001:s:' || g || ':' || 'a1'
                    FROM generate_series(1, :n) g"""
                ),
                {"n": KEYED},
            )
        job_ids = [f"kj{g}" for g in range(1, 3001, 30)]
        item_ids = [f"run900001:s:{g}:a1" for g in range(1, 3001, 30)]
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        async with engine.connect() as conn:
            for _ in range(6):  # past the point where a prepared statement takes its generic plan
                seen.clear()
                stmt = by_key("postgresql", jobs.c.id, (jobs.c.id,))
                found = await conn.execute(stmt, key_params("default", [*job_ids, "kj-other"]))
                assert list(found.scalars()) == sorted(job_ids)
                stmt = by_key("postgresql", run_items.c.job_id, (run_items.c.job_id,))
                found = await conn.execute(stmt, key_params("default", item_ids))
                assert list(found.scalars()) == sorted(item_ids)
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        for sql, params in seen:
            stmt = await conn.prepare(f"EXPLAIN (FORMAT JSON, ANALYZE, BUFFERS) {sql}")
            plan = json.loads(await stmt.fetchval(*params))[0]["Plan"]
            scans = {s["Relation Name"]: s for s in _scans(plan)}
            table = "jobs" if "jobs" in scans else "run_items"
            assert scans[table]["Node Type"] in ("Index Scan", "Index Only Scan"), sql
            assert scans[table]["Index Name"] == {"jobs": "pk_jobs", "run_items": "ix_run_items_job"}[table]
            assert plan["Shared Hit Blocks"] + plan["Shared Read Blocks"] < 10 * len(job_ids), sql
    finally:
        await conn.close()
