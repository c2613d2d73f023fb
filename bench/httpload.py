"""A lean HTTP/1.1 keep-alive client for loopback and a closed-loop load generator built on it.

The client is deliberately minimal (no TLS, no redirects, no proxies) so that the load generator spends as
little CPU as possible on a machine it shares with the server under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REQUEST_TIMEOUT = 60.0


class HttpError(Exception):
    """The peer answered something this client cannot parse."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One persistent HTTP/1.1 connection to ``127.0.0.1:port``; reconnects when the server closes it."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        return self._reader, self._writer

    async def request(
        self, method: str, path: str, payload: Any = None, *, timeout: float = REQUEST_TIMEOUT
    ) -> Response:
        """Send one request (a JSON body when ``payload`` is not None) and read the whole response."""
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await self._connect()
                writer.write(head.encode() + body)
                await writer.drain()
                return await self._read_response(reader)
        except BaseException:
            await self.close()
            raise

    async def _read_response(self, reader: asyncio.StreamReader) -> Response:
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        else:
            body = await reader.read()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(int(parts[1]), body)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class LoadResult:
    """What a closed-loop run achieved: requests done, wall time, per-request latency, status codes."""

    requests: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    first_error: str | None = None

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)

    @property
    def errors(self) -> int:
        return self.requests - self.ok

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed, 3),
            "requests_per_s": round(self.rate, 1),
            "latency_ms_p50": round(percentile(self.latencies, 50) * 1000, 2),
            "latency_ms_p99": round(percentile(self.latencies, 99) * 1000, 2),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "failures": dict(self.failures),
            "first_error": self.first_error,
        }


RequestFor = Callable[[int], tuple[str, str, Any]]
OnResponse = Callable[[int, Response], None]


async def _worker(
    conn: Connection,
    request_for: RequestFor,
    counter: list[int],
    count: int,
    stop_at: float,
    out: LoadResult,
    on_response: OnResponse | None,
) -> None:
    while counter[0] < count and time.perf_counter() < stop_at:
        index = counter[0]
        counter[0] += 1
        method, path, payload = request_for(index)
        started = time.perf_counter()
        try:
            response = await conn.request(method, path, payload)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, HttpError) as exc:
            out.requests += 1
            out.failures[type(exc).__name__] += 1
            out.first_error = out.first_error or f"{method} {path}: {type(exc).__name__}: {exc}"
            continue
        out.latencies.append(time.perf_counter() - started)
        out.requests += 1
        out.statuses[response.status] += 1
        if response.status >= 300 and out.first_error is None:
            out.first_error = f"{method} {path}: HTTP {response.status}: {response.body[:300]!r}"
        if on_response is not None:
            on_response(index, response)


async def closed_loop(
    port: int,
    request_for: RequestFor,
    *,
    count: int,
    concurrency: int,
    time_limit: float,
    on_response: OnResponse | None = None,
) -> LoadResult:
    """``concurrency`` clients, each on its own connection, issue requests ``0..count-1`` back to back.

    Stops after ``count`` requests or ``time_limit`` seconds, whichever comes first (requests in flight
    at the deadline are finished and counted). ``on_response(index, response)`` sees every answer.
    """
    out = LoadResult()
    counter = [0]
    conns = [Connection(port) for _ in range(concurrency)]
    started = time.perf_counter()
    stop_at = started + time_limit
    try:
        async with asyncio.TaskGroup() as group:
            for conn in conns:
                group.create_task(_worker(conn, request_for, counter, count, stop_at, out, on_response))
    finally:
        out.elapsed = time.perf_counter() - started
        await asyncio.gather(*(c.close() for c in conns))
    return out


async def wait_ready(port: int, path: str, *, timeout: float, alive: Callable[[], bool]) -> None:
    """Poll ``GET path`` until it answers 200; fail when ``alive()`` turns false or time runs out."""
    deadline = time.perf_counter() + timeout
    conn = Connection(port)
    last = "no answer"
    try:
        while time.perf_counter() < deadline:
            if not alive():
                raise RuntimeError(f"server on port {port} exited before it was ready")
            try:
                response = await conn.request("GET", path)
                if response.status == 200:
                    return
                last = f"HTTP {response.status}: {response.body[:200]!r}"
            except (OSError, asyncio.IncompleteReadError, HttpError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise TimeoutError(f"GET {path} on port {port} not ready after {timeout:.0f} s ({last})")


async def checked(
    conn: Connection, method: str, path: str, payload: Any = None, *, timeout: float = REQUEST_TIMEOUT
) -> Response:
    """One request that must succeed (2xx)."""
    response = await conn.request(method, path, payload, timeout=timeout)
    if not 200 <= response.status < 300:
        raise HttpError(f"{method} {path}: HTTP {response.status}: {response.body[:500]!r}")
    return response
