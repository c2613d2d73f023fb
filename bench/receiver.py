"""A minimal HTTP/1.1 callback receiver on loopback: records when each gather's or wait's callback arrives."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

MAX_BODY = 64 << 20
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
BAD = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@dataclass(frozen=True)
class WaitArrival:
    """The first ``wait.resolved`` callback of one wait: when it arrived and what the event said."""

    perf: float  # time.perf_counter() at arrival
    wall: float  # time.time() at arrival, comparable with the server's timestamps (same machine)
    created_at: str  # the event's ``created_at``: when the service fired it
    reason: str | None


TaskSink = Callable[[dict[str, Any], float], None]


class Receiver:
    """Answers every POST with 200 and keeps the first arrival per gather id (``data.gather.id``) and per
    wait id (``data.wait_id``, with the wall-clock arrival time and the event's ``created_at``). Task
    messages (``task.*``) go to ``task_sink`` with their arrival time, when one is set."""

    def __init__(self) -> None:
        self.task_sink: TaskSink | None = None
        self.arrivals: dict[str, float] = {}
        self.wait_arrivals: dict[str, WaitArrival] = {}
        self.wait_duplicates = 0
        self._waits_wanted: set[str] = set()
        self._waits_in = asyncio.Event()
        self.types: Counter[str] = Counter()
        self.duplicates = 0
        self.malformed = 0
        self._waiters: dict[str, asyncio.Future[float]] = {}
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cb"

    def expect(self, gather_id: str) -> asyncio.Future[float]:
        """A future set to the arrival time of ``gather_id``'s callback (at once if it came already)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if gather_id in self.arrivals:
            future.set_result(self.arrivals[gather_id])
        else:
            self._waiters[gather_id] = future
        return future

    def forget(self, gather_id: str) -> None:
        self._waiters.pop(gather_id, None)

    async def waits_arrived(self, wait_ids: Collection[str], *, until: float) -> None:
        """Return once every wait in ``wait_ids`` has called back, or at ``time.time()`` ``until``."""
        self._waits_wanted = set(wait_ids) - self.wait_arrivals.keys()
        self._waits_in.clear()
        try:
            if self._waits_wanted:
                async with asyncio.timeout(max(0.0, until - time.time())):
                    await self._waits_in.wait()
        except TimeoutError:
            pass
        finally:
            self._waits_wanted = set()

    async def gathers_arrived(self, gather_ids: Collection[str], *, until: float) -> None:
        """Return once every gather in ``gather_ids`` has called back, or at ``perf_counter()`` ``until``."""
        missing = [g for g in gather_ids if g not in self.arrivals]
        while missing and time.perf_counter() < until:
            await asyncio.sleep(0.05)
            missing = [g for g in missing if g not in self.arrivals]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length > MAX_BODY:
            writer.write(BAD)
            return False
        body = await reader.readexactly(length)
        arrived, wall = time.perf_counter(), time.time()
        self._record(body, arrived, wall)
        writer.write(OK)
        await writer.drain()
        return True

    def _record(self, body: bytes, arrived: float, wall: float) -> None:
        try:
            event: Any = json.loads(body)
            data = event["data"]
            if str(event.get("type")).startswith("task.") and self.task_sink is not None:
                self.types[str(event["type"])] += 1
                self.task_sink(event, arrived)
                return
            if "wait_id" in data:
                self._record_wait(event, str(data["wait_id"]), arrived, wall)
                return
            gather_id = data["gather"]["id"]
            self.types[str(event.get("type"))] += 1
        except (ValueError, KeyError, TypeError):
            self.malformed += 1
            return
        if gather_id in self.arrivals:
            self.duplicates += 1
            return
        self.arrivals[gather_id] = arrived
        waiter = self._waiters.pop(gather_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(arrived)

    def _record_wait(self, event: Any, wait_id: str, arrived: float, wall: float) -> None:
        self.types[str(event.get("type"))] += 1
        if wait_id in self.wait_arrivals:
            self.duplicates += 1
            self.wait_duplicates += 1
            return
        reason = event["data"].get("reason")
        self.wait_arrivals[wait_id] = WaitArrival(arrived, wall, str(event.get("created_at")), reason)
        if wait_id in self._waits_wanted:
            self._waits_wanted.discard(wait_id)
            if not self._waits_wanted:
                self._waits_in.set()
