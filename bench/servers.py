"""Databases and server subprocesses for the benchmark: all on loopback, all cleaned up on exit."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import socket
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from httpload import wait_ready

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_BIN = ROOT / ".venv" / "bin"
BIN = VENV_BIN if (VENV_BIN / "python").exists() else Path(sys.executable).parent
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PG_DSN = "postgresql://postgres@127.0.0.1:5432/{name}"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
MIGRATE_TIMEOUT = 120.0
DIGITS = re.compile(r"\d+")
DEV_WARNING = "dev mode: no authentication"


@dataclass(frozen=True)
class BenchDatabase:
    """One fresh database: the service's SQLAlchemy URL and the baseline's URL."""

    kind: str
    service_url: str
    baseline_url: str
    label: str


@contextlib.asynccontextmanager
async def sqlite_database(workdir: Path) -> AsyncIterator[BenchDatabase]:
    """Two SQLite files in ``workdir``: one for Rendezvous, one for the baseline."""
    service = workdir / "bench.db"
    baseline = workdir / "baseline.db"
    yield BenchDatabase("sqlite", f"sqlite+aiosqlite:///{service}", f"sqlite:///{baseline}", str(service))


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[BenchDatabase]:
    """A fresh PostgreSQL database ``rdv_bench_<random>``, dropped (WITH (FORCE)) afterwards."""
    name = f"rdv_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        dsn = PG_DSN.format(name=name)
        yield BenchDatabase("postgres", dsn.replace("postgresql://", "postgresql+asyncpg://"), dsn, name)
    finally:
        await _drop_database(name)


async def _drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    """The caller's environment without RENDEZVOUS_* settings, so only the benchmark's apply."""
    return {k: v for k, v in os.environ.items() if not k.startswith("RENDEZVOUS_")}


def service_env(database_url: str) -> dict[str, str]:
    """Settings for ``rendezvous``; PYTHONPATH puts the source tree first, so ``app`` is always this one."""
    env = base_env()
    return {
        **env,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        "RENDEZVOUS_DATABASE_URL": database_url,
        "RENDEZVOUS_CALLBACK_ALLOW_CIDRS": "127.0.0.0/8",
        "RENDEZVOUS_LOG_LEVEL": "WARNING",
    }


class ServerProcess:
    """A server subprocess whose combined output goes to a log file; stopped by its own pid only."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path, port: int) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.port = port
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log
            )
        try:
            await wait_ready(self.port, "/readyz", timeout=READY_TIMEOUT, alive=self.alive)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{self.name} did not start: {exc}\n{self.log_tail()}") from None

    def log_tail(self, size: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-size:] if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.terminate()
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def problems(self, limit: int = 12) -> tuple[int, list[str]]:
        """The number of lines logged besides the dev-mode banner, and the most frequent ones with counts.

        The server logs at WARNING, so every line is worth a look; numbers are masked to group repeats.
        """
        if not self.log_path.exists():
            return 0, []
        lines = self.log_path.read_text(errors="replace").splitlines()
        hits = [line for line in lines if line.strip() and DEV_WARNING not in line]
        groups = Counter(DIGITS.sub("#", line)[:240] for line in hits)
        return len(hits), [f"{count}x {text}" for text, count in groups.most_common(limit)]


@contextlib.asynccontextmanager
async def running(server: ServerProcess) -> AsyncIterator[ServerProcess]:
    try:
        await server.start()
        yield server
    finally:
        await server.stop()


async def migrate(database_url: str, log_path: Path) -> None:
    """``rendezvous migrate`` against ``database_url``; raises with the log's tail when it fails."""
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            str(BIN / "rendezvous"),
            "migrate",
            env=service_env(database_url),
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    try:
        async with asyncio.timeout(MIGRATE_TIMEOUT):
            code = await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    if code != 0:
        tail = await asyncio.to_thread(log_path.read_text, errors="replace")
        raise RuntimeError(f"rendezvous migrate exited with {code}:\n{tail[-2000:]}")


def rendezvous_server(db: BenchDatabase, logdir: Path) -> ServerProcess:
    port = free_port()
    argv = [str(BIN / "rendezvous"), "serve", "--dev", "--host", "127.0.0.1", "--port", str(port)]
    return ServerProcess(
        "rendezvous", argv, service_env(db.service_url), logdir / f"rendezvous-{db.kind}.log", port
    )


def baseline_server(db: BenchDatabase, logdir: Path) -> ServerProcess:
    port = free_port()
    argv = [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH_DIR),
        "baseline_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    env = {**base_env(), "BASELINE_DATABASE_URL": db.baseline_url}
    return ServerProcess("baseline", argv, env, logdir / f"baseline-{db.kind}.log", port)


def make_workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="rdv-bench-")


def machine() -> dict[str, object]:
    """nproc, CPU model and memory of this machine."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(mem_kib / (1 << 20), 1),
        "python": sys.version.split()[0],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
