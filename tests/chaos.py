"""Replicas killed while work flows: three ``rendezvous serve`` processes on one PostgreSQL database, one of
them killed with SIGKILL and started again every ``kill_every`` seconds, while gathers, waits and workflow
runs (maps under a shared throttle, retries, pauses) are driven through whichever replicas answer.

A loopback receiver plays every handler and callback endpoint. Checks, once everything has called back:
nothing acknowledged is lost (every acknowledged report's job ended; every gather, wait and run called back),
each ended once (one event per gather, wait and run, whatever the redeliveries), no attempt was dispatched
twice (one ``task.requested`` event per attempt), the throttle's limit held at every moment the handler saw,
and no delivery went ``dead``. Figures: from the last acknowledged report (or add) of a gather, wait or run to
its callback's first arrival, p50, p99 and max.

``python -m tests.chaos [--seconds N]`` runs the long version (``make chaos``); ``tests/test_kills.py`` a
bounded one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
THROTTLE_LIMIT = 6
FLOW: dict[str, Any] = {
    "tasks": {
        "fetch": {
            "handler": "W",
            "each": {"$ptr": "/input/items"},
            "concurrency": 4,
            "throttle": {"key": "shared", "limit": THROTTLE_LIMIT},
            "retry": {"count": 4, "strategy": "constant", "base_delay": 0.5},
            "output": ["n"],
        },
        "sum": {"handler": "W", "depends_on": ["fetch"]},
    },
    "output": {"$ptr": "/steps/sum/output"},
}


@dataclass
class Load:
    """How much work, and how hard the replicas are hit."""

    seconds: float = 20.0  # how long new work keeps being started
    gathers: int = 60
    waits: int = 40
    runs: int = 40
    kill_every: float = 1.0
    settle_seconds: float = 60.0  # after the last start, how long callbacks may go without a new one arriving


@dataclass
class Outcome:
    """What the run saw."""

    kills: int = 0
    acknowledged: int = 0
    retried_requests: int = 0
    latencies: list[float] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    ended_twice: list[str] = field(default_factory=list)
    dispatched_twice: list[str] = field(default_factory=list)
    redelivered: int = 0
    max_in_flight: int = 0
    dead: int = 0
    unfinished_jobs: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

        return {
            "kills": self.kills,
            "acknowledged": self.acknowledged,
            "retried_requests": self.retried_requests,
            "callbacks": len(lat),
            "p50_s": pct(0.50),
            "p99_s": pct(0.99),
            "max_s": round(lat[-1], 2) if lat else None,
            "missing": len(self.missing),
            "missing_first": self.missing[:10],
            "ended_twice": len(self.ended_twice),
            "dispatched_twice": len(self.dispatched_twice),
            "redelivered": self.redelivered,
            "max_in_flight": self.max_in_flight,
            "throttle_limit": THROTTLE_LIMIT,
            "dead_deliveries": self.dead,
            "unfinished_jobs": len(self.unfinished_jobs),
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Replica:
    """One ``rendezvous serve`` process on a fixed port, killed and started again."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.env = env
        self.port = _free_port()
        self.log = logs / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.ready = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, client: httpx.AsyncClient) -> None:
        argv = [str(BIN / "rendezvous"), "serve", "--dev", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *argv, env=self.env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{self.url}/readyz", timeout=1)).status_code == 200:
                    self.ready = True
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def kill(self) -> None:
        self.ready = False
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        if self.proc is not None:
            await self.proc.wait()


class Cluster:
    """The replicas and a client that retries a request on the next replica until one answers."""

    def __init__(self, replicas: list[Replica], client: httpx.AsyncClient, outcome: Outcome) -> None:
        self.replicas = replicas
        self.client = client
        self.outcome = outcome
        self.rng = random.Random(7)

    async def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None
    ) -> httpx.Response:
        """Send until a replica answers below 500 (and not "a request with this Idempotency-Key is in
        progress"); a 4xx other than 409 is a failure of the test itself."""
        headers = {"Idempotency-Key": key} if key else {}
        start = self.rng.randrange(len(self.replicas))
        for n in range(10_000):
            replica = self.replicas[(start + n) % len(self.replicas)]
            try:
                r = await self.client.request(
                    method, replica.url + path, json=body, headers=headers, timeout=10
                )
            except httpx.HTTPError:
                r = None
            busy = r is not None and r.status_code == 409 and "idempotency-key-in-use" in r.text
            if r is not None and r.status_code < 500 and not busy:
                if r.status_code >= 400 and r.status_code != 409:
                    raise AssertionError(f"{method} {path} → {r.status_code}: {r.text[:500]}")
                return r
            self.outcome.retried_requests += 1
            await asyncio.sleep(0.05)
        raise AssertionError(f"{method} {path}: no replica answered")


class Handler:
    """The loopback endpoint of every callback and task message: a small HTTP/1.1 server."""

    def __init__(self) -> None:
        self.port = 0
        self.server: asyncio.Server | None = None
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.tasks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1 << 22)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                event = json.loads(body)
                self.events.append((time.monotonic(), event))
                if event["type"] == "task.requested":
                    self.tasks.put_nowait(event)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


async def _create_database() -> str:
    name = f"rdv_chaos_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def cluster(outcome: Outcome, size: int = 3) -> AsyncIterator[tuple[Cluster, str]]:
    """A fresh database, migrated, and ``size`` replicas serving it; all gone afterwards."""
    name = await _create_database()
    print(f"database {name}", file=sys.stderr, flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENDEZVOUS_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "RENDEZVOUS_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
        "RENDEZVOUS_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8",
        "RENDEZVOUS_LOG_LEVEL": "WARNING",
        "RENDEZVOUS_DB_POOL_SIZE": "10",
    }
    replicas: list[Replica] = []
    try:
        migrate = await asyncio.create_subprocess_exec(
            str(BIN / "rendezvous"), "migrate", env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
        )
        assert await migrate.wait() == 0, "migrations failed"
        with tempfile.TemporaryDirectory(prefix="rdv-chaos-") as logs:
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as client:
                replicas = [Replica(f"r{n}", env, Path(logs)) for n in range(size)]
                for replica in replicas:
                    await replica.start(client)
                yield Cluster(replicas, client, outcome), name
    finally:
        for replica in replicas:
            replica.kill()
        for replica in replicas:
            await replica.wait()
        await _drop_database(name)


async def _killer(c: Cluster, load: Load, stop: asyncio.Event, outcome: Outcome) -> None:
    """Every ``kill_every`` seconds, SIGKILL the next replica that is serving and start it again (in the
    background); one is always left serving."""
    restarts: list[asyncio.Task[None]] = []
    n = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), load.kill_every)
        if stop.is_set():
            break
        ready = [r for r in c.replicas if r.ready]
        if len(ready) < 2:
            continue  # the others are still coming back
        replica = ready[n % len(ready)]
        n += 1
        replica.kill()
        outcome.kills += 1

        async def restart(r: Replica = replica) -> None:
            await r.wait()
            await r.start(c.client)

        restarts.append(asyncio.create_task(restart()))
    await asyncio.gather(*restarts)


async def run(load: Load) -> Outcome:
    """Drive the load against a cluster whose replicas are killed; check and measure."""
    outcome = Outcome()
    handler = Handler()
    await handler.start()
    try:
        async with cluster(outcome) as (c, db_name):
            await _drive(c, handler, load, outcome)
            await _check_database(db_name, outcome)
    finally:
        await handler.stop()
    return outcome


async def _drive(c: Cluster, handler: Handler, load: Load, outcome: Outcome) -> None:
    rng = random.Random(3)
    hook = {"url": f"{handler.url}/hooks"}
    await c.call("PUT", "/v1/handlers/W", {"url": f"{handler.url}/tasks", "timeout_seconds": 600})
    await c.call("PUT", "/v1/workflows/flow", FLOW)
    last_ack: dict[str, float] = {}  # subject → when the report that completes it was acknowledged
    acked_jobs: set[str] = set()
    in_flight = 0
    seen_attempts: set[str] = set()
    answering: set[asyncio.Task[None]] = set()

    async def report(job_id: str, subject: str | None, body: dict[str, Any]) -> None:
        await c.call("POST", f"/v1/jobs/{quote(job_id, safe='')}/complete", body)
        outcome.acknowledged += 1
        acked_jobs.add(job_id)
        if subject is not None:
            last_ack[subject] = time.monotonic()

    async def gather(k: int) -> None:
        gid = f"g{k}"
        jobs = [f"{gid}-j{n}" for n in range(3)]
        await c.call(
            "POST", "/v1/gathers", {"id": gid, "job_ids": jobs, "callback": hook}, key=f"create-{gid}"
        )
        for job in jobs:
            await asyncio.sleep(rng.uniform(0, 1))
            await report(job, f"gather:{gid}", {"status": "succeeded", "output": {"k": k}})

    async def wait(k: int) -> None:
        group = f"w{k}"
        for n in range(3):
            await asyncio.sleep(rng.uniform(0, 1))
            add = {
                "participant_key": f"p{n}",
                "expected_participants": 3,
                "wait_seconds": 600,
                "callback": hook,
            }
            await c.call("POST", f"/v1/waits/{group}/participants", add, key=f"{group}-p{n}")
            outcome.acknowledged += 1
            last_ack[f"wait:{group}"] = time.monotonic()

    async def start_run(k: int) -> None:
        body = {"id": f"run{k}", "input": {"items": list(range(3 + k % 6))}, "callback": hook}
        await c.call("POST", "/v1/workflows/flow/runs", body, key=f"create-run{k}")
        if k % 4 == 0:  # paused for a while, then resumed
            await asyncio.sleep(rng.uniform(0.2, 1))
            await c.call("POST", f"/v1/runs/run{k}/pause", key=f"pause-run{k}")
            await asyncio.sleep(1)
            await c.call("POST", f"/v1/runs/run{k}/resume", key=f"resume-run{k}")

    async def work_tasks() -> None:
        """The handler: each attempt reported once, a few failed the first time (retried by the run)."""
        nonlocal in_flight
        while True:
            event = await handler.tasks.get()
            task = event["data"]["task"]
            job_id = task["job_id"]
            if job_id in seen_attempts:
                continue  # a redelivery of a message already taken
            seen_attempts.add(job_id)
            if task["step"] == "fetch":
                in_flight += 1
                outcome.max_in_flight = max(outcome.max_in_flight, in_flight)

            async def answer(t: dict[str, Any] = task) -> None:
                nonlocal in_flight
                await asyncio.sleep(rng.uniform(0.05, 0.3))
                fail = t["step"] == "fetch" and t["attempt"] == 1 and rng.random() < 0.2
                body = (
                    {"status": "failed", "error": {"flaky": True}}
                    if fail
                    else {"status": "succeeded", "output": {"n": t.get("item")}}
                )
                if t["step"] == "fetch":
                    in_flight -= 1  # before the report: a slot freed by it may be granted before it is acked
                subject = f"run:{t['run_id']}" if t["step"] == "sum" else None
                await report(t["job_id"], subject, body)

            job = asyncio.create_task(answer())
            answering.add(job)
            job.add_done_callback(answering.discard)

    async def progress() -> None:
        while True:
            await asyncio.sleep(2)
            print(
                f"kills {outcome.kills}, acknowledged {outcome.acknowledged}, "
                f"retried {outcome.retried_requests}, events {len(handler.events)}, "
                f"called back {len(_first_arrivals(handler))}",
                file=sys.stderr,
                flush=True,
            )

    stop = asyncio.Event()
    killer = asyncio.create_task(_killer(c, load, stop, outcome))
    worker = asyncio.create_task(work_tasks())
    shown = asyncio.create_task(progress())
    try:
        starts: list[asyncio.Task[None]] = []
        kinds = (
            [(gather, k) for k in range(load.gathers)]
            + [(wait, k) for k in range(load.waits)]
            + [(start_run, k) for k in range(load.runs)]
        )
        rng.shuffle(kinds)
        gap = load.seconds / max(1, len(kinds))
        for fn, k in kinds:
            starts.append(asyncio.create_task(fn(k)))
            await asyncio.sleep(gap)
        await asyncio.gather(*starts)
        wanted = {f"gather:g{k}" for k in range(load.gathers)}
        wanted |= {f"wait:w{k}" for k in range(load.waits)} | {f"run:run{k}" for k in range(load.runs)}
        seen, quiet_since = 0, time.monotonic()
        while not wanted <= (arrived := _first_arrivals(handler).keys()):
            if len(arrived) > seen:
                seen, quiet_since = len(arrived), time.monotonic()
            elif time.monotonic() - quiet_since > load.settle_seconds:
                break  # nothing more for a while: what is missing is missing
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await killer
        worker.cancel()
        shown.cancel()
        for task in answering:
            task.cancel()
    arrivals = _first_arrivals(handler)
    outcome.missing = sorted(wanted - arrivals.keys())
    for subject, at in arrivals.items():
        if subject in last_ack:
            outcome.latencies.append(max(0.0, at - last_ack[subject]))
    events_of: dict[str, set[str]] = defaultdict(set)
    deliveries = Counter(event["id"] for _, event in handler.events)
    outcome.redelivered = sum(n - 1 for n in deliveries.values())
    for _, event in handler.events:
        key = _subject(event)
        if key is not None:
            events_of[key].add(event["id"])
    outcome.ended_twice = sorted(
        k for k, ids in events_of.items() if len(ids) > 1 and not k.startswith("task:")
    )
    outcome.dispatched_twice = sorted(
        k for k, ids in events_of.items() if len(ids) > 1 and k.startswith("task:")
    )
    outcome.unfinished_jobs = sorted(acked_jobs)  # checked against the database next


def _subject(event: dict[str, Any]) -> str | None:
    data = event["data"]
    kind = event["type"]
    if kind.startswith("gather."):
        return f"gather:{data['gather']['id']}"
    if kind == "wait.resolved":
        return f"wait:{data['group_key']}"
    if kind.startswith("run."):
        return f"run:{data['run']['id']}"
    if kind == "task.requested":
        return f"task:{data['task']['job_id']}"
    return None


def _first_arrivals(handler: Handler) -> dict[str, float]:
    first: dict[str, float] = {}
    for at, event in handler.events:
        key = _subject(event)
        if key is not None and not key.startswith("task:") and key not in first:
            first[key] = at
    return first


async def _check_database(name: str, outcome: Outcome) -> None:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        outcome.dead = await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'dead'")
        rows = await conn.fetch(
            "SELECT id FROM jobs WHERE id = ANY($1::text[]) AND status IN ('pending', 'running')",
            outcome.unfinished_jobs,
        )
        outcome.unfinished_jobs = sorted(r["id"] for r in rows)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replicas killed while work flows (PostgreSQL).")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long new work keeps starting")
    args = parser.parse_args(argv)
    scale = args.seconds / 40  # Load's work spread over 40 s: about what this machine finishes under kills
    load = Load(
        seconds=args.seconds,
        gathers=int(Load.gathers * scale),
        waits=int(Load.waits * scale),
        runs=int(Load.runs * scale),
    )
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))  # clean up on TERM
    outcome = asyncio.run(run(load))
    figures = outcome.figures() | {"seconds": round(time.monotonic() - started, 1), "load": load.__dict__}
    print(json.dumps(figures, indent=2))
    ok = not (
        outcome.missing
        or outcome.ended_twice
        or outcome.dispatched_twice
        or outcome.dead
        or outcome.unfinished_jobs
        or outcome.max_in_flight > THROTTLE_LIMIT
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
