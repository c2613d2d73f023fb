"""Workflow measurements: step-to-step latency, map throughput, per-report cost by map size.

The receiver acts as the handler of every step (``handler.TaskHandler``): it reports each task succeeded as
soon as its ``task.requested`` arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from typing import Any

import asyncpg
from handler import Mode, TaskHandler
from httpload import Connection, checked, percentile
from scenarios import Ctx, RssSampler, ms
from servers import BenchDatabase, cpu_seconds

HANDLER = "bench-worker"
STEP_TIMEOUT = 30.0  # at most this long for one step of a chain run to be reported
RUN_WAIT = 30  # seconds a finished map's status is long-polled for
SAMPLE_SECONDS = 0.25


async def _put(ctx: Ctx, path: str, body: Any) -> None:
    conn = Connection(ctx.port)
    try:
        await checked(conn, "PUT", path, body, timeout=120.0)
    finally:
        await conn.close()


async def create_run(conn: Connection, workflow: str, run_id: str) -> None:
    """Start a run; once more when the server had closed the kept-alive connection (its keep-alive timeout):
    the same id and body again is a 200."""
    path, body = f"/v1/workflows/{workflow}/runs", {"id": run_id}
    try:
        await checked(conn, "POST", path, body, timeout=300.0)
    except (OSError, asyncio.IncompleteReadError):
        await checked(conn, "POST", path, body, timeout=300.0)


async def register_handler(ctx: Ctx) -> None:
    await _put(ctx, f"/v1/handlers/{HANDLER}", {"url": ctx.receiver.url, "timeout_seconds": 3600})


def _stats(name: str, values: list[float]) -> dict[str, Any]:
    return {
        f"{name}_ms_p50": ms(percentile(values, 50)),
        f"{name}_ms_p99": ms(percentile(values, 99)),
        f"{name}_ms_max": ms(max(values, default=float("nan"))),
    }


# 1. Step-to-step latency: 3-step chains a → b → c, 32 runs at a time

CHAIN = {
    "tasks": {
        "a": {"handler": HANDLER},
        "b": {"handler": HANDLER, "depends_on": ["a"]},
        "c": {"handler": HANDLER, "depends_on": ["b"]},
    }
}


async def _chains(ctx: Ctx, handler: TaskHandler, count: int, concurrency: int, tag: str) -> dict[str, Any]:
    """``count`` runs of a → b → c, ``concurrency`` at a time (a new run starts when one ends)."""
    started: dict[str, float] = {}
    finished: list[str] = []
    counter = [0]
    missing = 0
    stop_at = time.perf_counter() + ctx.params.chain_time

    async def worker() -> None:
        nonlocal missing
        conn = Connection(ctx.port)
        try:
            while counter[0] < count and time.perf_counter() < stop_at:
                run_id = f"ch-{ctx.run_id}-{tag}-{counter[0]:05d}"
                counter[0] += 1
                await create_run(conn, "bench-chain", run_id)
                started[run_id] = time.perf_counter()
                try:
                    await handler.reported(run_id, "c", 1, timeout=3 * STEP_TIMEOUT)
                except TimeoutError:
                    missing += 1
                    continue
                finished.append(run_id)
        finally:
            await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    took = time.perf_counter() - began
    a_b, b_c, start_a = [], [], []
    for run_id in finished:
        job = {s: f"{run_id}:{s}:0:a1" for s in "abc"}
        a_b.append(handler.arrived[job["b"]] - handler.answered[job["a"]])
        b_c.append(handler.arrived[job["c"]] - handler.answered[job["b"]])
        start_a.append(handler.arrived[job["a"]] - started[run_id])
    steps = a_b + b_c
    return {
        "runs": len(finished),
        "runs_missing": missing,
        "concurrent_runs": concurrency,
        "runs_per_s": round(len(finished) / took, 1) if took else None,
        **_stats("step", steps),
        **_stats("a_b", a_b),
        **_stats("b_c", b_c),
        **_stats("start_a", start_a),
        "step_before_report_answer": sum(1 for x in steps if x < 0),
    }


async def step_latency(ctx: Ctx, handler: TaskHandler) -> dict[str, Any]:
    """From the 200 of the report that finishes step a (b) to the arrival of b's (c's) ``task.requested``:
    ``chain_runs`` runs, ``concurrency`` (32) at a time; then ``chain_seq_runs`` runs one at a time."""
    p = ctx.params
    await _put(ctx, "/v1/workflows/bench-chain", CHAIN)
    concurrent = await _chains(ctx, handler, p.chain_runs, p.concurrency, "c")
    sequential = await _chains(ctx, handler, p.chain_seq_runs, 1, "s")
    return concurrent | {"sequential": sequential}


# 2. Map throughput: one run of map_items at concurrency 50


MAP_CONCURRENCY = 50


def map_definition(items: int, concurrency: int, batch_size: int | None = None) -> dict[str, Any]:
    """One map step over ``items`` zeros: the smallest literal ``each`` (100,000 elements must fit the
    256 KiB definition limit; an ``each`` from the input would travel in every task message)."""
    each = [0] * items
    step: dict[str, Any] = {"handler": HANDLER, "each": each, "concurrency": concurrency}
    if batch_size is not None:
        step["batch_size"] = batch_size
    return {"tasks": {"items": step}}


async def _start_held(ctx: Ctx, handler: TaskHandler, workflow: str, run_ids: list[str]) -> float:
    """Start runs of ``workflow`` while the handler holds their tasks; seconds the creations took."""
    handler.set_mode(set(run_ids), "hold")
    conn = Connection(ctx.port)
    began = time.perf_counter()
    try:
        for run_id in run_ids:
            await create_run(conn, workflow, run_id)
    finally:
        await conn.close()
    return time.perf_counter() - began


async def _run_status(ctx: Ctx, run_id: str) -> str:
    conn = Connection(ctx.port)
    try:
        response = await checked(conn, "GET", f"/v1/runs/{run_id}?wait={RUN_WAIT}", timeout=RUN_WAIT + 10)
    finally:
        await conn.close()
    return str(response.json()["status"])


class InFlightSampler:
    """Polls ``GET /v1/runs/{id}`` every SAMPLE_SECONDS until stopped; keeps the largest ``in_flight`` of the
    run's first step (the service's own counter)."""

    def __init__(self, ctx: Ctx, run_id: str) -> None:
        self.ctx = ctx
        self.run_id = run_id
        self.peak = 0
        self.samples = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        conn = Connection(self.ctx.port)
        try:
            while True:
                response = await conn.request("GET", f"/v1/runs/{self.run_id}")
                if response.status == 200:
                    steps = response.json()["steps"]
                    self.peak = max(self.peak, int(steps[0]["items"]["in_flight"]))
                    self.samples += 1
                await asyncio.sleep(SAMPLE_SECONDS)
        finally:
            await conn.close()

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def map_throughput(ctx: Ctx, handler: TaskHandler, pid: int) -> dict[str, Any]:
    """One run mapping ``map_items`` elements, ``concurrency: 50``. Created with its first tasks held, then
    timed from their release to the 200 of the last item's report; with the server process's CPU time."""
    p = ctx.params
    n = p.map_items
    workflow = f"bench-map-{n}"
    await _put(ctx, f"/v1/workflows/{workflow}", map_definition(n, MAP_CONCURRENCY))
    run_id = f"map-{ctx.run_id}"
    create_s = await _start_held(ctx, handler, workflow, [run_id])
    sampler = InFlightSampler(ctx, run_id)
    cpu = cpu_seconds(pid)
    began = time.perf_counter()
    handler.set_mode({run_id}, "now")
    complete = True
    try:
        last = await handler.reported(run_id, "items", n, timeout=p.map_time)
    except TimeoutError:
        complete, last = False, time.perf_counter()
    cpu = cpu_seconds(pid) - cpu
    await sampler.stop()
    view = handler.view(run_id)
    done = view.reported["items"]
    took = last - began
    prefix = f"{run_id}:items:"
    latencies = [v for job_id, v in handler.latency.items() if job_id.startswith(prefix)]
    return {
        "items": n,
        "reported": done,
        "complete": complete,
        "concurrency": MAP_CONCURRENCY,
        "create_s": round(create_s, 2),
        "seconds": round(took, 2),
        "items_per_s": round(done / took, 1) if took > 0 else None,
        "server_cpu_ms_per_item": ms(cpu / done) if done else None,
        "peak_in_flight": view.peak,  # tasks here whose report had not been answered yet
        "peak_in_flight_unsent": view.peak_unsent,  # … whose report had not been sent yet
        "peak_in_flight_service": sampler.peak,
        "service_samples": sampler.samples,
        "report_latency_ms_p50": ms(percentile(latencies, 50)),
        "report_latency_ms_p99": ms(percentile(latencies, 99)),
        "run_status": await _run_status(ctx, run_id) if complete else "not finished (time cap)",
    }


# 4. Per-report cost by map size: a map_big-item map against 10-item maps


SMALL_ITEMS = 10
# 10-item maps at concurrency 1, side by side: 50 items in flight, as in the big map
SMALL_RUNS = MAP_CONCURRENCY
NAMESPACE = "default"  # the dev server's namespace


def _fast_forward_sql(kind: str) -> tuple[str, str]:
    """Statements marking a run's waiting items ``lo <= idx < hi`` succeeded, as a report would (output,
    attempt 1, its job id, times: the step's start), and adding them to the step's succeeded counter."""
    job = "run_id || ':' || step || ':' || CAST(idx AS TEXT) || ':a1'"
    output = f"jsonb_build_object('job', {job})" if kind == "postgres" else f"json_object('job', {job})"
    started = (
        "(SELECT s.started_at FROM run_steps s WHERE s.namespace = run_items.namespace"
        " AND s.run_id = run_items.run_id AND s.step = run_items.step)"
    )
    p = ("$1", "$2", "$3", "$4", "$5") if kind == "postgres" else ("?", "?", "?", "?", "?")
    items = (
        f"UPDATE run_items SET status = 'succeeded', attempt = 1, job_id = {job}, output = {output},"
        f" error = NULL, dispatched_at = {started}, finished_at = {started}"
        f" WHERE namespace = {p[0]} AND run_id = {p[1]} AND step = {p[2]} AND idx >= {p[3]} AND idx < {p[4]}"
        " AND status = 'waiting'"
    )
    steps = (
        f"UPDATE run_steps SET succeeded = succeeded + {p[0]}"
        f" WHERE namespace = {p[1]} AND run_id = {p[2]} AND step = {p[3]}"
    )
    return items, steps


async def fast_forward(db: BenchDatabase, run_id: str, step: str, lo: int, hi: int) -> int:
    """Put a big map in its middle without reporting half of it through the API: items [lo, hi) become
    succeeded in the database directly (their jobs are not written), then PostgreSQL is ANALYZEd (it runs
    without autovacuum here). Returns how many items moved."""
    items_sql, steps_sql = _fast_forward_sql(db.kind)
    args = (NAMESPACE, run_id, step, lo, hi)
    if db.kind == "postgres":
        conn = await asyncpg.connect(db.baseline_url, timeout=10)
        try:
            async with conn.transaction():
                moved = int((await conn.execute(items_sql, *args)).split()[-1])
                await conn.execute(steps_sql, moved, NAMESPACE, run_id, step)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        return moved
    path = db.service_url.removeprefix("sqlite+aiosqlite:///")

    def update() -> int:
        with contextlib.closing(sqlite3.connect(path, timeout=60)) as conn, conn:
            moved = conn.execute(items_sql, args).rowcount
            conn.execute(steps_sql, (moved, NAMESPACE, run_id, step))
        return moved

    return await asyncio.to_thread(update)


def _window(handler: TaskHandler, run_id: str, skip: int, count: int) -> dict[str, Any]:
    """ms per report over reports ``skip+1 … skip+count`` of a run (in the order they were answered)."""
    times = handler.view(run_id).answers
    elapsed = times[skip + count - 1] - times[skip - 1]
    return {"reports": count, "ms_per_report": ms(elapsed / count)}


def _latency_of(handler: TaskHandler, job_ids: list[str]) -> dict[str, Any]:
    values = [handler.latency[j] for j in job_ids if j in handler.latency]
    return {
        "latency_ms_p50": ms(percentile(values, 50)),
        "latency_ms_p99": ms(percentile(values, 99)),
    }


async def _big_window(
    ctx: Ctx, handler: TaskHandler, run_id: str, mode: Mode, skip: int, count: int
) -> dict[str, Any]:
    """Switch the big run to ``mode``, let ``skip`` reports pass, then time the next ``count``."""
    view = handler.view(run_id)
    before = len(view.answers)
    handler.set_mode({run_id}, mode)
    timeout = ctx.params.map_window_time
    await handler.reported(run_id, "items", before + skip + count, timeout=timeout)
    window = _window(handler, run_id, before + skip, count)
    first = before + skip
    jobs = [j for j, t in handler.answered.items() if j.startswith(f"{run_id}:")]
    jobs.sort(key=handler.answered.__getitem__)
    return window | _latency_of(handler, jobs[first : first + count])


async def _small_batch(ctx: Ctx, handler: TaskHandler, mode: Mode, runs: int, tag: str) -> dict[str, Any]:
    """``runs`` runs of a 10-item map (concurrency 1) started with their tasks held, then reported in
    ``mode``. Timed over their reports but the first and the last tenth (the ramps, when fewer runs are
    still going); every 10th report also ends its run."""
    run_ids = [f"sm-{ctx.run_id}-{tag}-{k:03d}" for k in range(runs)]
    await _start_held(ctx, handler, "bench-map-small", run_ids)
    handler.set_mode(set(run_ids), mode)
    timeout = ctx.params.map_window_time
    async with asyncio.timeout(timeout):
        for run_id in run_ids:
            await handler.reported(run_id, "items", SMALL_ITEMS, timeout=timeout)
    times = sorted(t for r in run_ids for t in handler.view(r).answers)
    trim = len(times) // 10
    count = len(times) - 2 * trim - 1
    jobs = [f"{r}:items:{k}:a1" for r in run_ids for k in range(SMALL_ITEMS - 1)]  # not the run-ending ones
    window = {"runs": runs, "reports": count, "ms_per_report": ms((times[-trim - 1] - times[trim]) / count)}
    return window | _latency_of(handler, jobs)


def _side_ratio(small: dict[str, Any], big: dict[str, Any], key: str) -> float | None:
    return round(big[key] / small[key], 2) if small.get(key) and big.get(key) else None


async def map_size(ctx: Ctx, db: BenchDatabase, handler: TaskHandler) -> dict[str, Any]:
    """ms per report in one map_big-item map (concurrency 50) against 10-item maps (concurrency 1, 50 runs
    side by side), both with 50 items in flight.

    Concurrent (every task reported at once): 10-item maps; the big map's start; the big map's middle.
    Sequential (one report at a time): the big map's middle; 10-item maps. The big map reaches its middle
    by ``fast_forward`` while its tasks are held (nothing of it moves meanwhile); each big window is
    ``map_window`` reports after the first 100. The big map is paused afterwards, never completed."""
    p = ctx.params
    big_workflow = f"bench-map-{p.map_big}"
    await _put(ctx, f"/v1/workflows/{big_workflow}", map_definition(p.map_big, MAP_CONCURRENCY))
    await _put(ctx, "/v1/workflows/bench-map-small", map_definition(SMALL_ITEMS, 1))
    big_id = f"big-{ctx.run_id}"
    timeout = p.map_window_time
    create_s = await _start_held(ctx, handler, big_workflow, [big_id])
    await handler.until_held(big_id, MAP_CONCURRENCY, timeout=timeout)
    skip = MAP_CONCURRENCY * 2
    conc_small = await _small_batch(ctx, handler, "now", SMALL_RUNS, "c")
    conc_start = await _big_window(ctx, handler, big_id, "now", skip, p.map_window)
    await handler.until_held(big_id, MAP_CONCURRENCY, timeout=timeout)
    middle = p.map_big // 2
    began = time.perf_counter()
    moved = await fast_forward(db, big_id, "items", 0, middle)
    forward_s = time.perf_counter() - began
    conc_big = await _big_window(ctx, handler, big_id, "now", skip, p.map_window)
    seq_big = await _big_window(ctx, handler, big_id, "serial", skip, p.map_window)
    conn = Connection(ctx.port)
    try:
        await checked(conn, "POST", f"/v1/runs/{big_id}/pause")
    finally:
        await conn.close()
    handler.set_mode({big_id}, "now")  # what is in flight still reports; nothing new is dispatched
    seq_small = await _small_batch(ctx, handler, "serial", p.map_small_serial_runs, "s")
    reported = handler.view(big_id).reported["items"]
    return {
        "big_items": p.map_big,
        "big_create_s": round(create_s, 2),
        "fast_forward": f"waiting items below {middle} set succeeded in the database"
        + (", then ANALYZE" if db.kind == "postgres" else ""),
        "fast_forward_items": moved,
        "fast_forward_s": round(forward_s, 2),
        "big_reported": reported,
        "big_done": reported + moved,
        "concurrent": {
            "small": conc_small,
            "big_start": conc_start,
            "big": conc_big,
            "ratio_big_small": _side_ratio(conc_small, conc_big, "ms_per_report"),
            "ratio_start_small": _side_ratio(conc_small, conc_start, "ms_per_report"),
        },
        "sequential": {
            "small": seq_small,
            "big": seq_big,
            "ratio_big_small": _side_ratio(seq_small, seq_big, "ms_per_report"),
        },
    }


# m. A map of huge_map items at concurrency 500 run to its end, then redriven


HUGE_CONCURRENCY = 500
HUGE_BATCH = 100  # items per map_batch message in the batched run
HUGE_WINDOW = 500  # reports either side of a point: ms per report there is the window's span / its reports


def _ms_per_report(answers: list[float], at: int) -> float | None:
    """Wall ms per report around the ``at``-th answered report (from the answers' spacing)."""
    lo, hi = max(0, at - HUGE_WINDOW), min(len(answers) - 1, at + HUGE_WINDOW)
    return ms((answers[hi] - answers[lo]) / (hi - lo)) if hi > lo else None


async def _run_to_end(
    ctx: Ctx, handler: TaskHandler, pid: int, workflow: str, run_id: str
) -> tuple[dict[str, Any], bool]:
    """Start a run of ``workflow`` with its first tasks held, release them and wait for all ``huge_map``
    reports: (figures, whether all came)."""
    n = ctx.params.huge_map
    create_s = await _start_held(ctx, handler, workflow, [run_id])
    cpu = cpu_seconds(pid)
    began = time.perf_counter()
    handler.set_mode({run_id}, "now")
    complete = True
    try:
        last = await handler.reported(run_id, "items", n, timeout=ctx.params.huge_map_time)
    except TimeoutError:
        complete, last = False, time.perf_counter()
    cpu = cpu_seconds(pid) - cpu
    done = handler.view(run_id).reported["items"]
    took = last - began
    figures = {
        "items": n,
        "concurrency": HUGE_CONCURRENCY,
        "reported": done,
        "complete": complete,
        "create_s": round(create_s, 2),
        "seconds": round(took, 2),
        "items_per_s": round(done / took, 1) if took > 0 else None,
        "server_cpu_ms_per_item": ms(cpu / done) if done else None,
    }
    return figures, complete


async def huge_map_batched(ctx: Ctx, handler: TaskHandler, pid: int) -> dict[str, Any]:
    """The same map with ``batch_size: 100``: each ``map_batch`` message reported with one bulk report."""
    n = ctx.params.huge_map
    workflow = f"bench-huge-batched-{n}"
    await _put(ctx, f"/v1/workflows/{workflow}", map_definition(n, HUGE_CONCURRENCY, HUGE_BATCH))
    run_id = f"hugeb-{ctx.run_id}"
    figures, complete = await _run_to_end(ctx, handler, pid, workflow, run_id)
    spans = sorted(handler.latency[j] for j in handler.arrived if j.startswith(f"{run_id}:"))
    return figures | {
        "bulk_report_ms_p50": ms(spans[len(spans) // 2]) if spans else None,
        "batch_size": HUGE_BATCH,
        "run_status": await _run_status(ctx, run_id) if complete else "not finished (time cap)",
    }


async def huge_map(ctx: Ctx, handler: TaskHandler, pid: int) -> dict[str, Any]:
    """One map of ``huge_map`` items at ``concurrency: 500``, every task reported as soon as it arrives and
    one item near the end failed for good, so the run fails; then ``/redrive``, timed from its 200 to the
    arrival of that item's next attempt. ms per report near item 1,000 and near 90 % of the items (from the
    spacing of the report answers), the server's RSS from before the run to its peak."""
    n = ctx.params.huge_map
    workflow = f"bench-huge-{n}"
    await _put(ctx, f"/v1/workflows/{workflow}", map_definition(n, HUGE_CONCURRENCY))
    run_id = f"huge-{ctx.run_id}"
    failing = n - 10
    handler.fail.add(f"{run_id}:items:{failing}:a1")
    rss = RssSampler(pid)
    figures, complete = await _run_to_end(ctx, handler, pid, workflow, run_id)
    memory = await rss.stop()
    answers = handler.view(run_id).answers
    early, late = _ms_per_report(answers, 1000), _ms_per_report(answers, int(n * 0.9))
    status = await _run_status(ctx, run_id) if complete else "not finished (time cap)"
    reads = await _big_reads(ctx, run_id, n) if complete else {}
    redrive: dict[str, Any] = {}
    if status == "failed":
        again = f"{run_id}:items:{failing}:a2"
        conn = Connection(ctx.port)
        try:
            await checked(conn, "POST", f"/v1/runs/{run_id}/redrive")
            answered = time.perf_counter()
        finally:
            await conn.close()
        deadline = answered + 30
        while again not in handler.arrived and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        arrived = handler.arrived.get(again)
        redrive = {
            "dispatch_after_200_ms": ms(arrived - answered) if arrived is not None else None,
            "run_status_after": await _run_status(ctx, run_id),
        }
    deciles = [_ms_per_report(answers, int(len(answers) * k / 10)) for k in range(1, 10)]
    return figures | {
        "ms_per_report_by_tenth": deciles,
        "ms_per_report_at_1000": early,
        "ms_per_report_at_90pct": late,
        "ratio_90pct_1000": round(late / early, 2) if early and late else None,
        **memory,
        "rss_growth_mib": round(memory["rss_peak_mib"] - memory["rss_start_mib"], 1),
        "run_status": status,
        "reads_ms": reads,
        "redrive": redrive,
    }


async def _big_reads(ctx: Ctx, run_id: str, n: int) -> dict[str, float]:
    """Median ms of the huge map's reads, each 20 times: the run, its ``/explain``, and a page of 100 items
    from the start, the middle (by cursor) and the end."""
    conn = Connection(ctx.port)
    base = f"/v1/runs/{run_id}"
    try:
        cursor = None
        for _ in range(n // 2000):  # pages of 1,000 to the middle
            query = "limit=1000" + (f"&cursor={cursor}" if cursor else "")
            cursor = (await checked(conn, "GET", f"{base}/steps/items/items?{query}")).json()["next_cursor"]
        middle = f"&cursor={cursor}" if cursor else ""
        paths = {
            "run": base,
            "explain": f"{base}/explain",
            "items_first_100": f"{base}/steps/items/items?limit=100",
            "items_middle_100": f"{base}/steps/items/items?limit=100{middle}",
        }
        found: dict[str, float] = {}
        for name, path in paths.items():
            spans = []
            for _ in range(20):
                began = time.perf_counter()
                await checked(conn, "GET", path)
                spans.append(time.perf_counter() - began)
            found[name] = ms(sorted(spans)[len(spans) // 2]) or 0.0
        return found
    finally:
        await conn.close()
