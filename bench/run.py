"""Rendezvous benchmark: ``.venv/bin/python bench/run.py [--quick] [--db sqlite|postgres|both]``.

For each database it starts a bare baseline app, then Rendezvous (``rendezvous migrate`` and ``rendezvous
serve --dev``), as subprocesses on loopback, runs a callback receiver in this process, and measures:

a. fan-in latency: last report of a 3-job gather → callback arrival at the receiver (sequential);
b. single completion reports/s with 32 concurrent clients;
c. bulk reports/s (1,000 reports per request, 4 clients);
d. ms per report in a 100,000-member gather vs in 10-member gathers (same count, same concurrency);
e. the baseline (one upsert per request, same load generator) so b. reads as a ratio;
f. wait participant adds/s with 32 concurrent clients over 1,000 groups (no quorum fires);
g. timer lateness: 10,000 waits whose deadlines fall in the same second; how late each timeout fires
   (the event's created_at) and arrives at the receiver, against the wait's deadline_at;
h. batch ledger: one job of 1,000,000 items in 100 batches of 10,000 (4 clients): items/s to create and to
   report them, against c.'s bulk reports/s, and the server's peak resident memory.

Workflows (the receiver is the handler of every step and reports each task as soon as it arrives):
i. step-to-step latency: 32 runs at a time of a → b → c; from the 200 of the report that finishes a step to
   the arrival of the next step's ``task.requested``; then one run at a time;
j. map throughput: one run mapping 10,000 items at ``concurrency: 50``: items/s, the peak in flight seen
   here and by the service, server CPU per item; j / b is the cost of a task against a bare report;
k. ms per report in a 100,000-item map (in its middle) against 10-item maps, 50 items in flight each side.

l. deliveries/s: 20,000 one-job gathers resolved by bulk reports; from the first report to the arrival of
   the last callback at the receiver.
m. a huge map: 100,000 items at ``concurrency: 500`` run to its end, redriven; then with ``batch_size``.
n. the console's pages (the API calls each makes, at once) beside 100,000 finished gathers, their callbacks,
   200,000 pending jobs and 100,000 finished runs: p50 / p95.

``--only`` picks scenarios or groups (``workflows`` = b, i, j, k); the default runs everything.

Prints a table and writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

from console import console_pages
from flows import huge_map, huge_map_batched, map_size, map_throughput, register_handler, step_latency
from handler import TaskHandler
from receiver import Receiver
from report import problems, table, targets
from scenarios import (
    Ctx,
    Params,
    batch_ledger,
    bulk_reports,
    deliveries,
    fan_in,
    gather_size,
    participant_adds,
    single_reports,
    timer_lateness,
    warm_up,
)
from servers import (
    BENCH_DIR,
    BenchDatabase,
    ServerProcess,
    baseline_server,
    cpu_seconds,
    machine,
    make_workdir,
    migrate,
    postgres_database,
    rendezvous_server,
    running,
    sqlite_database,
)

LOGS = BENCH_DIR / "results"
RESULTS = LOGS / "latest.json"
RUN_TIMEOUT, QUICK_RUN_TIMEOUT = 2400.0, 600.0  # safety nets far above the expected durations
SCENARIOS = (
    "fan_in",
    "single",
    "bulk",
    "gather_size",
    "adds",
    "timers",
    "batches",
    "chain",
    "map",
    "map_size",
    "deliveries",
    "huge_map",
    "huge_map_batched",
    "console",
)
GROUPS = {
    "all": SCENARIOS,
    "workflows": ("single", "chain", "map", "map_size", "huge_map", "huge_map_batched"),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def step(kind: str, name: str, work: Awaitable[Any]) -> Any:
    """Run one measurement; a failure is recorded in the results instead of ending the run."""
    started = time.perf_counter()
    try:
        result = await work
    except Exception as exc:
        log(f"[{kind}] {name}: FAILED: {type(exc).__name__}: {exc}")
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{type(exc).__name__}: {exc}"}
    log(f"[{kind}] {name}: done in {time.perf_counter() - started:.1f} s")
    return result


@contextlib.asynccontextmanager
async def open_database(kind: str, workdir: Path) -> AsyncIterator[BenchDatabase]:
    factory = sqlite_database(workdir) if kind == "sqlite" else postgres_database()
    async with factory as db:
        yield db


def server_log(server: ServerProcess) -> dict[str, Any]:
    count, lines = server.problems()
    return {"problem_lines": count, "first": lines, "log": str(server.log_path)}


async def measure_baseline(db: BenchDatabase, run_id: str, params: Params) -> dict[str, Any]:
    server = baseline_server(db, LOGS)
    async with running(server):
        await warm_up(server.port, f"wb-{run_id}", params)
        result = await single_reports(server.port, f"b-{run_id}", params)
    return {**result.summary(), "server_log": server_log(server)}


async def measure_service(
    db: BenchDatabase, receiver: Receiver, run_id: str, params: Params, only: frozenset[str]
) -> dict[str, Any]:
    await migrate(db.service_url, LOGS / f"migrate-{db.kind}.log")
    server = rendezvous_server(db, LOGS)
    results: dict[str, Any] = {}
    async with running(server):
        assert server.proc is not None
        pid = server.proc.pid
        ctx = Ctx(server.port, receiver, run_id, params)
        await warm_up(server.port, f"w-{run_id}", params)
        if "fan_in" in only:
            results["fan_in"] = await step(db.kind, "a. fan-in latency", fan_in(ctx))
        if "single" in only:
            results["single"] = await step(
                db.kind, "b. single reports", single(server.port, pid, run_id, params)
            )
        if "bulk" in only:
            results["bulk"] = await step(db.kind, "c. bulk reports", bulk_reports(ctx))
        if "gather_size" in only:
            results["gather_size"] = await step(db.kind, "d. gather size", gather_size(ctx))
        if "adds" in only:
            results["adds"] = await step(db.kind, "f. participant adds", participant_adds(ctx))
        if "timers" in only:
            rate = results.get("adds", {}).get("adds_per_s")
            results["timers"] = await step(db.kind, "g. timer lateness", timer_lateness(ctx, rate))
        if "batches" in only:
            results["batches"] = await step(db.kind, "h. batch ledger", batch_ledger(ctx, pid))
        if "deliveries" in only:
            results["deliveries"] = await step(db.kind, "l. deliveries/s", deliveries(ctx))
        if only & {"chain", "map", "map_size", "huge_map", "huge_map_batched"}:
            results |= await measure_workflows(db, ctx, pid, only)
        if "console" in only:  # last: its 100,000 finished gathers stay in the database
            results["console"] = await step(db.kind, "n. console pages", console_pages(ctx, db))
    results["server_log"] = server_log(server)
    return results


async def measure_workflows(db: BenchDatabase, ctx: Ctx, pid: int, only: frozenset[str]) -> dict[str, Any]:
    handler = TaskHandler(ctx.port)
    ctx.receiver.task_sink = handler
    results: dict[str, Any] = {}
    try:
        await register_handler(ctx)
        if "chain" in only:
            results["chain"] = await step(db.kind, "i. step latency", step_latency(ctx, handler))
        if "map" in only:
            results["map"] = await step(db.kind, "j. map throughput", map_throughput(ctx, handler, pid))
        if "map_size" in only:
            results["map_size"] = await step(db.kind, "k. map size", map_size(ctx, db, handler))
        if "huge_map" in only:
            results["huge_map"] = await step(db.kind, "m. huge map", huge_map(ctx, handler, pid))
        if "huge_map_batched" in only:
            batched = huge_map_batched(ctx, handler, pid)
            results["huge_map_batched"] = await step(db.kind, "m. huge map, batch_size 100", batched)
    finally:
        ctx.receiver.task_sink = None
        await handler.close()
    results["handler"] = {
        "reports": handler.statuses.total(),
        "errors": handler.errors,
        "statuses": {str(k): v for k, v in sorted(handler.statuses.items())},
        "duplicate_tasks": handler.duplicates,
        "other_task_events": handler.cancelled,
        "reconnects": handler.reconnects,
        "first_error": handler.first_error,
    }
    return results


async def single(port: int, pid: int, run_id: str, params: Params) -> dict[str, Any]:
    cpu = cpu_seconds(pid)
    result = await single_reports(port, f"s-{run_id}", params)
    cpu = cpu_seconds(pid) - cpu
    return result.summary() | {
        "server_cpu_ms_per_report": round(1000 * cpu / result.ok, 2) if result.ok else None
    }


async def bench_database(
    kind: str, receiver: Receiver, params: Params, only: frozenset[str]
) -> dict[str, Any]:
    run_id = secrets.token_hex(3)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    baseline: dict[str, Any] | None = None
    with make_workdir() as tmp:
        async with open_database(kind, Path(tmp)) as db:
            log(f"[{kind}] database {db.label}")
            if "single" in only:
                baseline = await step(kind, "e. baseline", measure_baseline(db, run_id, params))
            service = await step(kind, "service", measure_service(db, receiver, run_id, params, only))
            if "error" in service:
                service = {"service": service}
    return {
        "database": kind,
        **({"baseline": baseline} if baseline is not None else {}),
        **service,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def header(info: dict[str, Any], args: argparse.Namespace) -> str:
    mode = "quick" if args.quick else "full"
    return (
        f"machine: {info['nproc']} CPUs ({info['cpu_model']}), {info['memory_gib']} GiB RAM, "
        f"Python {info['python']}, load average {info['load_average']}\n"
        f"run: {mode}, databases: {args.db}, scenarios: {args.only}"
    )


def write_results(
    info: dict[str, Any], args: argparse.Namespace, results: list[dict[str, Any]], took: float
) -> None:
    doc = {
        "machine": info,
        "mode": "quick" if args.quick else "full",
        "only": args.only,
        "params": dataclasses.asdict(Params.quick() if args.quick else Params()),
        "seconds": round(took, 1),
        "results": results,
    }
    RESULTS.write_text(json.dumps(doc, indent=2, default=str) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller counts, about a minute")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--huge-map", type=int, metavar="N", help="items of the huge maps (m.), any mode")
    parser.add_argument(
        "--only",
        default="all",
        help=f"comma-separated scenarios or groups: {', '.join([*GROUPS, *SCENARIOS])} (default: all)",
    )
    args = parser.parse_args(argv)
    try:
        args.scenarios = selected(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def selected(only: str) -> frozenset[str]:
    """The scenarios ``--only`` names (groups expanded)."""
    names: set[str] = set()
    for name in filter(None, (n.strip() for n in only.split(","))):
        if name in GROUPS:
            names.update(GROUPS[name])
        elif name in SCENARIOS:
            names.add(name)
        else:
            raise ValueError(f"unknown scenario {name!r}")
    if not names:
        raise ValueError("no scenario selected")
    return frozenset(names)


async def main_async(args: argparse.Namespace) -> int:
    info = machine()
    print(header(info, args), flush=True)
    params = Params.quick() if args.quick else Params()
    if args.huge_map:
        params = dataclasses.replace(
            params, huge_map=args.huge_map, huge_map_time=max(120.0, args.huge_map / 10)
        )
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    limit = QUICK_RUN_TIMEOUT if args.quick else RUN_TIMEOUT
    LOGS.mkdir(parents=True, exist_ok=True)
    receiver = Receiver()
    await receiver.start()
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(limit):
            for kind in kinds:
                results.append(await bench_database(kind, receiver, params, args.scenarios))
    except TimeoutError:
        log(f"the run passed its {limit:.0f} s limit; the table shows what finished")
    finally:
        await receiver.stop()
    took = time.perf_counter() - started
    print(table(results, params))
    for line in problems(results):
        print(line)
    for line in targets(results):
        print(line)
    print(f"callbacks received: {dict(receiver.types)}, duplicates: {receiver.duplicates}")
    print(f"total: {took:.1f} s; results in {RESULTS.relative_to(BENCH_DIR.parent)}")
    write_results(info, args, results, took)
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
