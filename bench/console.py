"""n. The console's pages with many finished gathers: the API calls each page makes, issued together as its
script issues them, timed as the page's wait (the slowest of them), p50 / p95 / max over repeated loads."""

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

OVERVIEW = [
    "/v1/gathers?status=waiting&limit=50",
    "/v1/gathers?status=timed_out&limit=20",
    "/v1/gathers?status=failed&limit=20",
    "/v1/waits?status=waiting&limit=50",
    "/v1/runs?status=running&limit=50",
    "/v1/runs?status=paused&limit=20",
    "/v1/runs?status=failed&limit=20",
    "/v1/deliveries?status=dead&limit=100",
    "/v1/deliveries?status=pending&limit=100",
    "/v1/batch-jobs?status=pending&limit=50",
    "/v1/batch-jobs?status=running&limit=50",
    "/metrics",
]


def gather_page(gather_id: str) -> list[str]:
    base = f"/v1/gathers/{gather_id}"
    deliveries = f"/v1/deliveries?subject_kind=gather&subject_id={gather_id}&limit=50"
    return [base, f"{base}/explain", f"{base}/members?limit=100", deliveries]


async def _copies(db: BenchDatabase, template: str, count: int) -> int:
    """``count`` finished gathers copied from ``template`` in one statement (ids ``done-1`` …), as a
    long-lived namespace has them; no ANALYZE afterwards (the console's reads must not need statistics)."""
    if db.kind == "postgres":
        conn = await asyncpg.connect(db.baseline_url, timeout=10)
        try:
            names = [
                r["column_name"]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'gathers'"
                    " ORDER BY ordinal_position"
                )
            ]
            done = await conn.execute(_copy_sql(names, count, "$1"), template)
        finally:
            await conn.close()
        return int(done.split()[-1])
    path = db.service_url.removeprefix("sqlite+aiosqlite:///")

    def copy() -> int:
        with contextlib.closing(sqlite3.connect(path, timeout=60)) as conn, conn:
            names = [row[1] for row in conn.execute("PRAGMA table_info(gathers)")]
            before = conn.total_changes
            conn.execute(_copy_sql(names, count, "?"), (template,))
            return conn.total_changes - before

    return await asyncio.to_thread(copy)


def _copy_sql(names: list[str], count: int, param: str) -> str:
    values = ", ".join("'done-' || CAST(series.n AS TEXT)" if n == "id" else f"g.{n}" for n in names)
    return (
        f"{SERIES.format(count=count)} INSERT INTO gathers ({', '.join(names)})"
        f" SELECT {values} FROM gathers g CROSS JOIN series WHERE g.namespace = 'default' AND g.id = {param}"
    )


async def _page(client: httpx.AsyncClient, paths: list[str]) -> float:
    began = time.perf_counter()
    answers = await asyncio.gather(*(client.get(p) for p in paths))
    for answer in answers:
        answer.raise_for_status()
    return time.perf_counter() - began


async def console_pages(ctx: Ctx, db: BenchDatabase) -> dict[str, Any]:
    finished = ctx.params.console_finished
    loads = ctx.params.console_loads
    base = f"http://127.0.0.1:{ctx.port}"
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        template = {"id": "tmpl", "job_ids": ["tmpl-job"]}
        (await client.post("/v1/gathers", json=template)).raise_for_status()
        (await client.post("/v1/jobs/tmpl-job/complete", json={})).raise_for_status()
        for n in range(OPEN):
            body = {"id": f"open-{n}", "job_ids": [f"open-{n}-a", f"open-{n}-b"], "timeout_seconds": 3600}
            (await client.post("/v1/gathers", json=body)).raise_for_status()
        (await client.post("/v1/jobs/open-7-a/complete", json={})).raise_for_status()
        began = time.perf_counter()
        copied = await _copies(db, "tmpl", finished)
        assert copied == finished, f"{copied} finished gathers copied, not {finished}"
        load_s = time.perf_counter() - began
        pages = {"shell": ["/ui", "/ui/assets/app.js"], "overview": OVERVIEW, "gather": gather_page("open-7")}
        figures: dict[str, Any] = {"finished_gathers": finished, "open_gathers": OPEN}
        figures["load_s"] = round(load_s, 1)
        for name, paths in pages.items():
            await _page(client, paths)  # warm: the first load prepares the statements
            spans = sorted([await _page(client, paths) for _ in range(loads)])
            figures[name] = {
                "calls": len(paths),
                "ms_p50": ms(percentile(spans, 50)),
                "ms_p95": ms(percentile(spans, 95)),
                "ms_max": ms(spans[-1]),
            }
    return figures
