"""n. The console's pages in a namespace that has lived a while: 100,000 finished gathers with a callback
each, twice as many pending jobs (a big gather's members, say) and as many finished runs, beside 100 open
gathers, a batch job and a run. The API calls each page makes are issued together as its script issues them,
and timed as the page's wait (the slowest of them), p50 / p95 / max over repeated loads. The rows are copied
by SQL and never analysed: the console's reads must not need statistics."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from typing import Any

import asyncpg
import httpx
from httpload import percentile
from scenarios import Ctx, ms
from servers import BenchDatabase

LOADS = 200  # loads of each page (50 with --quick)
OPEN = 100  # open gathers made through the API, one member each and one reported
SERIES = "WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series WHERE n < {count})"

# The overview's script reads /v1/overview, and /metrics for its sparklines beside it.
OVERVIEW = ["/v1/overview", "/metrics"]


def gather_page(gather_id: str) -> list[str]:
    base = f"/v1/gathers/{gather_id}"
    deliveries = f"/v1/deliveries?subject_kind=gather&subject_id={gather_id}&limit=50"
    return [base, f"{base}/explain", f"{base}/members?limit=100", deliveries]


def run_page(run_id: str) -> list[str]:
    base = f"/v1/runs/{run_id}"
    deliveries = f"/v1/deliveries?subject_kind=run&subject_id={run_id}&limit=50"
    history = f"{base}/events?order=-id&limit=100"
    return [base, history, f"{base}/explain", deliveries, "/v1/workflows/etl/versions/1"]


def batch_job_page(job_id: str) -> list[str]:
    deliveries = f"/v1/deliveries?subject_id={job_id}&subject_kind=job&limit=50"
    batches = f"/v1/jobs/{job_id}/batches"
    open_ones = f"{batches}?status=open&limit=100"
    return [f"/v1/batch-jobs/{job_id}", f"{batches}?limit=100", open_ones, deliveries]


# What each copy takes from its template row: (table, the template's key, the columns made per copy).
COPIES = {
    "gathers": ("id", "tmpl", {"id": "'done-' || {n}"}),
    "deliveries": (
        "subject_id",
        "tmpl",
        {
            "id": "'dlv_copy' || {n}",
            "event_id": "'evt_copy' || {n}",
            "subject_id": "'done-' || {n}",
            "status": "'succeeded'",
        },
    ),
    "jobs": ("id", "open-0-b", {"id": "'pending-' || {n}"}),
    "runs": ("id", "run-done", {"id": "'run-done-' || {n}"}),
}


async def _copies(db: BenchDatabase, table: str, count: int) -> int:
    """``count`` rows of ``table`` copied from its template row in one statement, as a long-lived namespace
    has them; no ANALYZE afterwards."""
    if db.kind == "postgres":
        conn = await asyncpg.connect(db.baseline_url, timeout=10)
        try:
            names = [
                r["column_name"]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
                    " ORDER BY ordinal_position",
                    table,
                )
            ]
            done = await conn.execute(_copy_sql(table, names, count, "$1"), COPIES[table][1])
        finally:
            await conn.close()
        return int(done.split()[-1])
    path = db.service_url.removeprefix("sqlite+aiosqlite:///")

    def copy() -> int:
        with contextlib.closing(sqlite3.connect(path, timeout=60)) as conn, conn:
            names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            before = conn.total_changes
            conn.execute(_copy_sql(table, names, count, "?"), (COPIES[table][1],))
            return conn.total_changes - before

    return await asyncio.to_thread(copy)


def _copy_sql(table: str, names: list[str], count: int, param: str) -> str:
    key, _, made = COPIES[table]
    values = ", ".join(made[c].format(n="CAST(series.n AS TEXT)") if c in made else f"t.{c}" for c in names)
    return (
        f"{SERIES.format(count=count)} INSERT INTO {table} ({', '.join(names)})"
        f" SELECT {values} FROM {table} t CROSS JOIN series"
        f" WHERE t.namespace = 'default' AND t.{key} = {param}"
    )


async def _seed(client: httpx.AsyncClient) -> str:
    """The templates (a finished gather with its callback, a pending job, a finished run), the open gathers,
    a running run and a batch job; returns the batch job's id."""
    callback = {"url": "http://127.0.0.1:9/done"}  # refused: the template's delivery row is what counts
    template = {"id": "tmpl", "job_ids": ["tmpl-job"], "callback": callback}
    (await client.post("/v1/gathers", json=template)).raise_for_status()
    (await client.post("/v1/jobs/tmpl-job/complete", json={})).raise_for_status()
    for n in range(OPEN):
        body = {"id": f"open-{n}", "job_ids": [f"open-{n}-a", f"open-{n}-b"], "timeout_seconds": 3600}
        (await client.post("/v1/gathers", json=body)).raise_for_status()
    (await client.post("/v1/jobs/open-7-a/complete", json={})).raise_for_status()
    handler = {"url": "http://127.0.0.1:9/W", "timeout_seconds": 3600}
    (await client.put("/v1/handlers/W", json=handler)).raise_for_status()
    etl = {
        "tasks": {
            "extract": {"handler": "W"},
            "load": {"handler": "W", "each": [1, 2, 3], "depends_on": ["extract"]},
        }
    }
    (await client.put("/v1/workflows/etl", json=etl)).raise_for_status()
    for run_id in ("run-done", "run-live"):
        (await client.post("/v1/workflows/etl/runs", json={"id": run_id})).raise_for_status()
    (await client.post("/v1/runs/run-done/cancel", json={})).raise_for_status()
    job = (await client.post("/v1/batch-jobs", json={"name": "export"})).json()["id"]
    (await client.post(f"/v1/jobs/{job}/batches", json={"items": ["a", "b", "c"]})).raise_for_status()
    return str(job)


async def _page(client: httpx.AsyncClient, paths: list[str]) -> float:
    began = time.perf_counter()
    answers = await asyncio.gather(*(client.get(p) for p in paths))
    for answer in answers:
        answer.raise_for_status()
    return time.perf_counter() - began


async def _slowest(client: httpx.AsyncClient, paths: list[str], loads: int = 20) -> dict[str, float]:
    """Each call of a page alone, one after another: the three slowest by their p50."""
    alone = {}
    for path in paths:
        alone[path] = ms(percentile(sorted([await _page(client, [path]) for _ in range(loads)]), 50))
    return dict(sorted(alone.items(), key=lambda kv: -kv[1])[:3])


async def console_pages(ctx: Ctx, db: BenchDatabase) -> dict[str, Any]:
    finished = ctx.params.console_finished
    loads = ctx.params.console_loads
    base = f"http://127.0.0.1:{ctx.port}"
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        batch_job = await _seed(client)
        began = time.perf_counter()
        for table, count in (("gathers", finished), ("deliveries", finished), ("jobs", 2 * finished)):
            copied = await _copies(db, table, count)
            assert copied == count, f"{copied} rows of {table} copied, not {count}"
        assert await _copies(db, "runs", finished) == finished
        load_s = time.perf_counter() - began
        pages = {
            "shell": ["/ui", "/ui/assets/app.js"],
            "overview": OVERVIEW,
            "gather": gather_page("open-7"),
            "run": run_page("run-live"),
            "batch_job": batch_job_page(batch_job),
        }
        figures: dict[str, Any] = {
            "finished_gathers": finished,
            "their_callbacks": finished,
            "pending_jobs": 2 * finished,
            "finished_runs": finished,
            "open_gathers": OPEN,
        }
        figures["load_s"] = round(load_s, 1)
        for name, paths in pages.items():
            await _page(client, paths)  # warm: the first load prepares the statements
            spans = sorted([await _page(client, paths) for _ in range(loads)])
            figures[name] = {
                "calls": len(paths),
                "ms_p50": ms(percentile(spans, 50)),
                "ms_p95": ms(percentile(spans, 95)),
                "ms_max": ms(spans[-1]),
                "slowest_calls_ms_p50": await _slowest(client, paths),
            }
    return figures
