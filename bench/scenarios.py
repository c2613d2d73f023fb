"""The measurements: fan-in latency, report throughput, gather-size cost, wait adds and timers, baseline."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from httpload import Connection, LoadResult, RequestFor, Response, checked, closed_loop, percentile
from receiver import Receiver

CALLBACK_TIMEOUT = 10.0
BIG_CREATE_TIMEOUT = 180.0
GATHER_TIMEOUT_SECONDS = 3600  # far beyond any run, so no gather times out while it is measured
SMALL_SIZE = 10


@dataclass(frozen=True)
class Params:
    """Sizes and time caps of one run; every loop is bounded by both."""

    concurrency: int = 32
    warmup: int = 300
    fanin_gathers: int = 200
    fanin_time: float = 40.0
    single_count: int = 20_000
    single_time: float = 10.0
    bulk_total: int = 200_000
    bulk_size: int = 1000
    bulk_clients: int = 4
    bulk_time: float = 30.0
    big_members: int = 100_000
    small_gathers: int = 250
    size_reports: int = 2000
    size_time: float = 15.0  # per phase: four phases per concurrency
    seq_reports: int = 200
    wait_groups: int = 1000
    wait_expected: int = 1000  # above the adds any group gets, so no quorum fires while adds are timed
    adds_count: int = 20_000
    adds_time: float = 10.0
    timer_waits: int = 10_000
    timer_create_max: float = 55.0  # at most this long to open the timed waits
    timer_callback_wait: float = 60.0  # at most this long after the common deadline for the callbacks
    batch_count: int = 100
    batch_size: int = 10_000
    batch_clients: int = 4
    batch_time: float = 240.0  # per phase
    chain_runs: int = 320
    chain_time: float = 30.0  # per part: 32 runs at a time, then one at a time
    chain_seq_runs: int = 50
    map_items: int = 10_000
    map_time: float = 400.0
    map_big: int = 100_000
    map_window: int = 500  # reports per timed window of the big map
    map_window_time: float = 60.0  # at most this long for one window or one batch of small maps
    map_small_serial_runs: int = 50  # 10-item maps reported one report at a time
    delivery_gathers: int = 20_000
    delivery_create_time: float = 120.0
    huge_map: int = 100_000  # m. one map run to the end at concurrency 500, then redriven
    huge_map_time: float = 2400.0
    console_finished: int = 100_000  # n. finished gathers beside the console's pages
    console_loads: int = 200

    @classmethod
    def quick(cls) -> Params:
        return cls(
            warmup=100,
            big_members=20_000,
            fanin_gathers=50,
            fanin_time=10.0,
            single_count=3000,
            single_time=5.0,
            bulk_total=20_000,
            bulk_time=10.0,
            size_reports=500,
            size_time=8.0,
            seq_reports=60,
            adds_count=3000,
            adds_time=5.0,
            timer_waits=2000,
            timer_create_max=20.0,
            timer_callback_wait=30.0,
            batch_count=10,
            batch_time=60.0,
            chain_runs=64,
            chain_time=8.0,
            chain_seq_runs=10,
            map_items=600,
            map_time=30.0,
            map_big=20_000,
            map_window=150,
            map_small_serial_runs=15,
            delivery_gathers=3000,
            delivery_create_time=30.0,
            huge_map=3000,
            huge_map_time=120.0,
            console_finished=20_000,
            console_loads=50,
        )


@dataclass
class Ctx:
    port: int
    receiver: Receiver
    run_id: str
    params: Params


def complete_request(prefix: str) -> RequestFor:
    """Request ``i`` reports job ``{prefix}-{i}`` succeeded with a small output."""

    def request_for(i: int) -> tuple[str, str, Any]:
        return "POST", f"/v1/jobs/{prefix}-{i:07d}/complete", {"output": {"n": i}}

    return request_for


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


async def warm_up(port: int, prefix: str, p: Params) -> None:
    """Open the pools and fill the caches before anything is timed."""
    await closed_loop(
        port, complete_request(prefix), count=p.warmup, concurrency=p.concurrency, time_limit=10.0
    )


# a. Fan-in latency


async def _one_fan_in(conn: Connection, ctx: Ctx, gather_id: str) -> tuple[float | None, float]:
    """Create a gather of 3, report 2, time the 3rd report until its callback arrives (None: no callback)."""
    job_ids = [f"{gather_id}-j{k}" for k in range(3)]
    body = {
        "id": gather_id,
        "job_ids": job_ids,
        "callback": {"url": ctx.receiver.url},
        "timeout_seconds": GATHER_TIMEOUT_SECONDS,
    }
    await checked(conn, "POST", "/v1/gathers", body)
    for job_id in job_ids[:2]:
        await checked(conn, "POST", f"/v1/jobs/{job_id}/complete", {"output": {"id": job_id}})
    arrival = ctx.receiver.expect(gather_id)
    started = time.perf_counter()
    await checked(conn, "POST", f"/v1/jobs/{job_ids[2]}/complete", {"output": {"id": job_ids[2]}})
    answered = time.perf_counter() - started
    try:
        async with asyncio.timeout(CALLBACK_TIMEOUT):
            arrived = await arrival
    except TimeoutError:
        ctx.receiver.forget(gather_id)
        return None, answered
    return arrived - started, answered


async def fan_in(ctx: Ctx) -> dict[str, Any]:
    """Sequential gathers of 3 jobs: latency from the last report's request to the callback's arrival."""
    p = ctx.params
    conn = Connection(ctx.port)
    latencies: list[float] = []
    answers: list[float] = []
    missing = 0
    stop_at = time.perf_counter() + p.fanin_time
    try:
        for g in range(p.fanin_gathers):
            if time.perf_counter() > stop_at:
                break
            latency, answered = await _one_fan_in(conn, ctx, f"fan-{ctx.run_id}-{g:05d}")
            answers.append(answered)
            if latency is None:
                missing += 1
            else:
                latencies.append(latency)
    finally:
        await conn.close()
    return {
        "gathers": len(answers),
        "callbacks_missing": missing,
        "fanin_ms_p50": ms(percentile(latencies, 50)),
        "fanin_ms_p99": ms(percentile(latencies, 99)),
        "fanin_ms_max": ms(max(latencies, default=float("nan"))),
        "last_report_answer_ms_p50": ms(percentile(answers, 50)),
    }


# b. and e. Single reports, 32 clients


async def single_reports(port: int, prefix: str, p: Params) -> LoadResult:
    return await closed_loop(
        port,
        complete_request(prefix),
        count=p.single_count,
        concurrency=p.concurrency,
        time_limit=p.single_time,
    )


# c. Bulk reports


async def bulk_reports(ctx: Ctx) -> dict[str, Any]:
    """``bulk_clients`` clients posting ``bulk_size`` fresh reports per request."""
    p = ctx.params
    size = p.bulk_size

    def request_for(i: int) -> tuple[str, str, Any]:
        reports = [{"id": f"m-{ctx.run_id}-{i:05d}-{k:04d}", "status": "succeeded"} for k in range(size)]
        return "POST", "/v1/jobs/complete", {"reports": reports}

    result = await closed_loop(
        ctx.port,
        request_for,
        count=p.bulk_total // size,
        concurrency=p.bulk_clients,
        time_limit=p.bulk_time,
    )
    summary = result.summary()
    summary["reports"] = result.ok * size
    summary["reports_per_s"] = round(result.rate * size, 1)
    return summary


# d. Per-report cost by gather size


def _gather_body(gather_id: str, job_ids: list[str]) -> dict[str, Any]:
    return {"id": gather_id, "job_ids": job_ids, "timeout_seconds": GATHER_TIMEOUT_SECONDS}


async def _create_big(ctx: Ctx, gather_id: str, job_ids: list[str]) -> float:
    conn = Connection(ctx.port)
    started = time.perf_counter()
    try:
        await checked(
            conn, "POST", "/v1/gathers", _gather_body(gather_id, job_ids), timeout=BIG_CREATE_TIMEOUT
        )
    finally:
        await conn.close()
    return time.perf_counter() - started


async def _create_small(ctx: Ctx, members: list[list[str]]) -> LoadResult:
    def request_for(g: int) -> tuple[str, str, Any]:
        return "POST", "/v1/gathers", _gather_body(f"small-{ctx.run_id}-{g:04d}", members[g])

    return await closed_loop(
        ctx.port, request_for, count=len(members), concurrency=ctx.params.concurrency, time_limit=60.0
    )


async def _report_ids(ctx: Ctx, ids: list[str], concurrency: int) -> LoadResult:
    def request_for(i: int) -> tuple[str, str, Any]:
        return "POST", f"/v1/jobs/{ids[i]}/complete", {"output": {"n": i}}

    return await closed_loop(
        ctx.port, request_for, count=len(ids), concurrency=concurrency, time_limit=ctx.params.size_time
    )


def _merge(parts: list[LoadResult]) -> LoadResult:
    merged = LoadResult()
    for part in parts:
        merged.requests += part.requests
        merged.elapsed += part.elapsed
        merged.latencies.extend(part.latencies)
        merged.statuses.update(part.statuses)
        merged.failures.update(part.failures)
        merged.first_error = merged.first_error or part.first_error
    return merged


async def _abba(
    ctx: Ctx, small: list[str], big: list[str], concurrency: int
) -> tuple[LoadResult, LoadResult]:
    """Report small, big, big, small halves, so drift over the run weighs on both sides alike."""
    half_s, half_b = len(small) // 2, len(big) // 2
    s1 = await _report_ids(ctx, small[:half_s], concurrency)
    b1 = await _report_ids(ctx, big[:half_b], concurrency)
    b2 = await _report_ids(ctx, big[half_b:], concurrency)
    s2 = await _report_ids(ctx, small[half_s:], concurrency)
    return _merge([s1, s2]), _merge([b1, b2])


def _side(result: LoadResult) -> dict[str, Any]:
    per_report = result.elapsed / result.ok if result.ok else float("nan")
    return {
        "reports": result.ok,
        "errors": result.errors,
        "ms_per_report": ms(per_report),
        "latency_ms_p50": ms(percentile(result.latencies, 50)),
        "latency_ms_p99": ms(percentile(result.latencies, 99)),
        "first_error": result.first_error,
    }


def _compare(small: LoadResult, big: LoadResult, concurrency: int) -> dict[str, Any]:
    s, b = _side(small), _side(big)
    ratio = b["ms_per_report"] / s["ms_per_report"] if s["ms_per_report"] else float("nan")
    return {"concurrency": concurrency, "small": s, "big": b, "ratio_big_small": round(ratio, 2)}


async def _gather_done(ctx: Ctx, gather_id: str) -> int:
    conn = Connection(ctx.port)
    try:
        return int((await checked(conn, "GET", f"/v1/gathers/{gather_id}")).json()["done"])
    finally:
        await conn.close()


async def gather_size(ctx: Ctx) -> dict[str, Any]:
    """Report members of one huge gather and of many 10-member gathers; same count, same concurrency.

    No gather resolves (each small gather keeps a member open), so neither side pays for a callback.
    First ``concurrency`` clients, then one client (which isolates the size effect from row contention).
    """
    p = ctx.params
    big_id = f"big-{ctx.run_id}"
    big = [f"{big_id}-{i:06d}" for i in range(p.big_members)]
    members = [
        [f"small-{ctx.run_id}-{g:04d}-{k:02d}" for k in range(SMALL_SIZE)] for g in range(p.small_gathers)
    ]
    big_create_s = await _create_big(ctx, big_id, big)
    small_create = await _create_small(ctx, members)
    # Round-robin over the small gathers, so concurrent reports rarely share one.
    small_order = [members[g][k] for k in range(SMALL_SIZE - 1) for g in range(p.small_gathers)]
    step = p.big_members // (p.size_reports + p.seq_reports)
    big_order = big[::step]
    k, s = p.size_reports, p.seq_reports
    conc = _compare(*await _abba(ctx, small_order[:k], big_order[:k], p.concurrency), p.concurrency)
    seq = _compare(*await _abba(ctx, small_order[k : k + s], big_order[k : k + s], 1), 1)
    big_done = await _gather_done(ctx, big_id)
    return {
        "big_members": p.big_members,
        "small_gathers": p.small_gathers,
        "big_create_s": round(big_create_s, 2),
        "small_creates_per_s": round(small_create.rate, 1),
        "small_create_errors": small_create.errors,
        "concurrent": conc,
        "sequential": seq,
        "big_done_counter": big_done,
        "big_done_expected": conc["big"]["reports"] + seq["big"]["reports"],
    }


# f. Participant adds, 32 clients

WAIT_SECONDS = 300.0  # f.'s waits outlive the measurement; the service is stopped long before they fire


def _add_body(ctx: Ctx, participant: str, expected: int, wait_seconds: float) -> dict[str, Any]:
    return {
        "participant_key": participant,
        "expected_participants": expected,
        "wait_seconds": wait_seconds,
        "callback": {"url": ctx.receiver.url},
    }


async def participant_adds(ctx: Ctx) -> dict[str, Any]:
    """Distinct participants round-robin over ``wait_groups`` groups: the first add of a group opens it."""
    p = ctx.params

    def request_for(i: int) -> tuple[str, str, Any]:
        group = f"wg-{ctx.run_id}-{i % p.wait_groups:05d}"
        body = _add_body(ctx, f"p-{i:07d}", p.wait_expected, WAIT_SECONDS)
        return "POST", f"/v1/waits/{group}/participants", body

    fired_before = ctx.receiver.types["wait.resolved"]
    result = await closed_loop(
        ctx.port, request_for, count=p.adds_count, concurrency=p.concurrency, time_limit=p.adds_time
    )
    summary = result.summary()
    summary["adds_per_s"] = summary["requests_per_s"]
    summary["opened"] = result.statuses[201]
    summary["joined"] = result.statuses[200]
    summary["wait_events_during"] = ctx.receiver.types["wait.resolved"] - fired_before
    return summary


# g. Timer lateness: many waits whose deadlines fall in the same second

TIMER_FALLBACK_RATE = 150.0  # opens/s assumed when f. gave no rate
TIMER_LEAD = 1.0  # no wait is opened later than this before the common deadline
BATCHES_SHOWN = 60


def _instant(text: str) -> float:
    """An ISO 8601 timestamp from the service (UTC, same machine and clock) as a Unix time."""
    return datetime.fromisoformat(text).timestamp()


def _ms_stats(name: str, values: list[float]) -> dict[str, Any]:
    return {
        f"{name}_ms_p50": ms(percentile(values, 50)),
        f"{name}_ms_p99": ms(percentile(values, 99)),
        f"{name}_ms_max": ms(max(values, default=float("nan"))),
        f"{name}_ms_min": ms(min(values, default=float("nan"))),
    }


async def _server_now(ctx: Ctx) -> tuple[float, float]:
    """The service's clock now (the ``last_added_at`` of a probe add, then cancelled) and its offset from
    this process's ``time.time()`` at the middle of the request (request handling, not clock skew)."""
    conn = Connection(ctx.port)
    group = f"probe-{ctx.run_id}"
    try:
        sent = time.time()
        response = await checked(
            conn, "POST", f"/v1/waits/{group}/participants", _add_body(ctx, "probe", 2, 600.0)
        )
        answered = time.time()
        await checked(conn, "DELETE", f"/v1/waits/{group}")
    finally:
        await conn.close()
    server_now = _instant(response.json()["last_added_at"])
    return server_now, server_now - (sent + answered) / 2


async def timer_lateness(ctx: Ctx, add_rate: float | None) -> dict[str, Any]:
    """Open ``timer_waits`` waits (own group, 2 expected, 1 add) whose deadlines all fall at ``target``,
    then time each timeout callback against its wait's ``deadline_at``: when the service fired it (the
    event's ``created_at``) and when it arrived here (``time.time()`` at the receiver)."""
    p = ctx.params
    rate = add_rate if add_rate and add_rate > 0 else TIMER_FALLBACK_RATE
    budget = min(p.timer_create_max, max(5.0, 1.6 * p.timer_waits / rate + 2.0))
    server_now, offset = await _server_now(ctx)
    target = server_now + budget + TIMER_LEAD  # the common deadline, on the service's clock
    deadlines: dict[str, float] = {}
    bad_bodies = 0

    def request_for(i: int) -> tuple[str, str, Any]:
        wait_seconds = round(target - time.time(), 6)
        body = _add_body(ctx, "only", 2, wait_seconds)
        return "POST", f"/v1/waits/tm-{ctx.run_id}-{i:06d}/participants", body

    def on_response(i: int, response: Response) -> None:
        nonlocal bad_bodies
        if response.status != 201:
            return
        try:
            read = response.json()
            deadlines[read["id"]] = _instant(read["deadline_at"])
        except (ValueError, KeyError, TypeError):
            bad_bodies += 1

    created = await closed_loop(
        ctx.port,
        request_for,
        count=p.timer_waits,
        concurrency=p.concurrency,
        time_limit=max(0.0, target - TIMER_LEAD - time.time()),
        on_response=on_response,
    )
    created_at_s = time.time()
    await ctx.receiver.waits_arrived(deadlines.keys(), until=target + p.timer_callback_wait)
    arrivals = ctx.receiver.wait_arrivals
    fired = {w: arrivals[w] for w in deadlines if w in arrivals}
    timeouts = {w: a for w, a in fired.items() if a.reason == "timeout"}
    fire = [_instant(a.created_at) - deadlines[w] for w, a in timeouts.items()]
    arrive = [a.wall - deadlines[w] for w, a in timeouts.items()]
    spread = (max(deadlines.values()) - min(deadlines.values())) if deadlines else float("nan")
    last = max((a.wall for a in fired.values()), default=float("nan"))
    first_fire = min((_instant(a.created_at) for a in fired.values()), default=float("nan"))
    per_s = len(fired) / (last - first_fire) if len(fired) > 1 and last > first_fire else float("nan")
    batches = Counter(round(_instant(a.created_at) - target, 3) for a in timeouts.values())
    return {
        "requested": p.timer_waits,
        "opened": len(deadlines),
        "open_errors": created.errors + bad_bodies,
        "opens_per_s": round(created.rate, 1),
        "open_latency_ms_p99": ms(percentile(created.latencies, 99)),
        "first_error": created.first_error,
        "create_budget_s": round(budget, 1),
        "opened_before_target_s": round(target - created_at_s, 2),
        "clock_offset_ms": ms(offset),
        "deadline_spread_ms": ms(spread),
        "deadlines_outside_window": sum(1 for d in deadlines.values() if not target <= d < target + 1.0),
        "fired": len(timeouts),
        "wrong_reason": len(fired) - len(timeouts),
        "callbacks_missing": len(deadlines) - len(fired),
        "fired_early": sum(1 for x in fire if x < 0),
        "last_arrival_after_target_s": round(last - target, 2),
        "callbacks_per_s": round(per_s, 1),  # from the first timeout fired to the last callback's arrival
        **_ms_stats("fire_lateness", fire),
        **_ms_stats("arrival_lateness", arrive),
        # each distinct created_at is one expiry transaction: [seconds after target, waits it fired]
        "fire_batches": [[at, n] for at, n in sorted(batches.items())][:BATCHES_SHOWN],
        "fire_batch_count": len(batches),
    }


# h. Batch ledger: one job of batch_count × batch_size items, created and reported by batch_clients clients

BATCH_REQUEST_TIMEOUT = 120.0
RSS_SAMPLE_SECONDS = 0.1


def rss_mib(pid: int) -> float:
    """The resident set size of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler:
    """Samples a process's RSS until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start_mib = rss_mib(pid)
        self.peak_mib = self.start_mib
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.peak_mib = max(self.peak_mib, rss_mib(self.pid))
            await asyncio.sleep(RSS_SAMPLE_SECONDS)

    async def stop(self) -> dict[str, float]:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return {"rss_start_mib": round(self.start_mib, 1), "rss_peak_mib": round(self.peak_mib, 1)}


async def _in_parallel(ctx: Ctx, count: int, work: Any) -> tuple[float, int]:
    """Run ``work(conn, i)`` for i in range(count) over ``batch_clients`` connections; (seconds, done)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    done = 0
    deadline = time.perf_counter() + ctx.params.batch_time

    async def client() -> None:
        nonlocal done
        conn = Connection(ctx.port)
        try:
            while not queue.empty() and time.perf_counter() < deadline:
                await work(conn, queue.get_nowait())
                done += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(ctx.params.batch_clients)))
    return time.perf_counter() - started, done


async def batch_ledger(ctx: Ctx, pid: int) -> dict[str, Any]:
    """Create batch_count batches of batch_size ids on one batch job, seal it, then report every batch
    as the tracker does (all ids named: one errored, one skipped, the rest processed, done)."""
    p = ctx.params
    sampler = RssSampler(pid)
    try:
        conn = Connection(ctx.port)
        try:
            job = (await checked(conn, "POST", "/v1/batch-jobs", {"name": f"bench-{ctx.run_id}"})).json()
        finally:
            await conn.close()
        job_id = job["id"]
        contents: dict[int, list[str]] = {}

        async def create(conn: Connection, i: int) -> None:
            items = [f"{i:03d}-{k:05d}" for k in range(p.batch_size)]
            path = f"/v1/jobs/{job_id}/batches"
            batch = (
                await checked(conn, "POST", path, {"items": items}, timeout=BATCH_REQUEST_TIMEOUT)
            ).json()
            contents[batch["index"]] = items

        create_s, created = await _in_parallel(ctx, p.batch_count, create)
        conn = Connection(ctx.port)
        try:
            await checked(conn, "POST", f"/v1/jobs/{job_id}/seal")
        finally:
            await conn.close()
        indices = sorted(contents)

        async def report(conn: Connection, i: int) -> None:
            index = indices[i]
            items = contents[index]
            body = {
                "processed": items[2:],
                "skipped": items[1:2],
                "errored": [{"id": items[0], "error": "bench: first item fails"}],
                "done": True,
            }
            path = f"/v1/jobs/{job_id}/batches/{index}/report"
            await checked(conn, "POST", path, body, timeout=BATCH_REQUEST_TIMEOUT)

        report_s, reported = await _in_parallel(ctx, len(indices), report)
        conn = Connection(ctx.port)
        try:
            final = (await checked(conn, "GET", f"/v1/jobs/{job_id}")).json()
        finally:
            await conn.close()
    finally:
        memory = await sampler.stop()
    items = final["batches"]["items"]
    return {
        "batches_created": created,
        "batches_reported": reported,
        "items": items["items"],
        "create_s": round(create_s, 2),
        "create_items_per_s": round(created * p.batch_size / create_s, 1) if create_s else None,
        "report_s": round(report_s, 2),
        "report_items_per_s": round(reported * p.batch_size / report_s, 1) if report_s else None,
        "job_status": final["status"],
        "counts_right": "yes"
        if items["processed"] == reported * (p.batch_size - 2)
        and items["skipped"] == reported
        and items["errored"] == reported
        and (reported < created or final["status"] == "succeeded")
        else "no",
        **memory,
    }


# l. Deliveries/s: the callbacks of many resolved gathers, to a fast receiver

DELIVERY_CALLBACK_WAIT = 120.0  # at most this long after the last report for the last callback


async def deliveries(ctx: Ctx) -> dict[str, Any]:
    """Open ``delivery_gathers`` one-job gathers, then resolve them all with bulk reports (``bulk_size`` per
    request, ``bulk_clients`` clients); time from the first report to the arrival of the last callback."""
    p = ctx.params
    n = p.delivery_gathers
    ids = [f"dl-{ctx.run_id}-{g:06d}" for g in range(n)]

    def create_for(g: int) -> tuple[str, str, Any]:
        body = {
            "id": ids[g],
            "job_ids": [f"{ids[g]}-j"],
            "callback": {"url": ctx.receiver.url},
            "timeout_seconds": GATHER_TIMEOUT_SECONDS,
        }
        return "POST", "/v1/gathers", body

    made: set[int] = set()

    def on_created(g: int, response: Response) -> None:
        if 200 <= response.status < 300:
            made.add(g)

    created = await closed_loop(
        ctx.port,
        create_for,
        count=n,
        concurrency=p.concurrency,
        time_limit=p.delivery_create_time,
        on_response=on_created,
    )
    opened = [ids[g] for g in sorted(made)]
    size = p.bulk_size

    def report_for(i: int) -> tuple[str, str, Any]:
        chunk = opened[i * size : (i + 1) * size]
        reports = [{"id": f"{g}-j", "status": "succeeded"} for g in chunk]
        return "POST", "/v1/jobs/complete", {"reports": reports}

    arrived_before = len(ctx.receiver.arrivals)
    started = time.perf_counter()
    reported = await closed_loop(
        ctx.port,
        report_for,
        count=-(-len(opened) // size),
        concurrency=p.bulk_clients,
        time_limit=p.bulk_time * 4,
    )
    reports_s = time.perf_counter() - started
    await ctx.receiver.gathers_arrived(opened, until=time.perf_counter() + DELIVERY_CALLBACK_WAIT)
    times = [ctx.receiver.arrivals[g] for g in opened if g in ctx.receiver.arrivals]
    last = max(times, default=float("nan"))
    took = last - started
    return {
        "gathers": len(opened),
        "create_errors": created.errors,
        "report_errors": reported.errors,
        "first_error": created.first_error or reported.first_error,
        "reports_s": round(reports_s, 2),
        "callbacks": len(times),
        "callbacks_missing": len(opened) - len(times),
        "other_arrivals": len(ctx.receiver.arrivals) - arrived_before - len(times),
        "seconds": round(took, 2),
        "deliveries_per_s": round(len(times) / took, 1) if times and took > 0 else None,
        "callback_after_reports_s": round(last - started - reports_s, 2) if times else None,
        # from the first callback's arrival to the last: the deliverer's pace once callbacks flow
        "arrivals_per_s": round(len(times) / (last - min(times)), 1) if len(times) > 1 else None,
    }
