"""The receiver acting as a workflow handler: each ``task.requested`` it gets is reported succeeded at once
through ``POST /v1/jobs/{job_id}/complete``, with the times the benchmark needs."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from httpload import Connection, HttpError, Response

REPORT_TIMEOUT = 60.0
Mode = Literal["now", "serial", "hold"]


@dataclass
class RunView:
    """What the handler saw of one run: tasks held at once and the steps' report counts."""

    holding: int = 0  # tasks arrived whose report has not been answered yet
    peak: int = 0
    unsent: int = 0  # tasks arrived whose report has not been sent yet: a lower bound of the service's count
    peak_unsent: int = 0
    reported: Counter[str] = field(default_factory=Counter)  # 2xx reports by step
    answers: list[float] = field(default_factory=list)  # when each 2xx report was answered, in order


@dataclass
class _Watch:
    run_id: str
    step: str
    count: int
    future: asyncio.Future[float]


class TaskHandler:
    """Plugged into a ``Receiver`` as its task sink. Keeps, per attempt (job id), the arrival time of its
    task message and the time its report was answered (``time.perf_counter()``), and per report the request
    latency. Each run's tasks are reported in one of three modes: ``now`` (the default: each as it arrives,
    concurrently), ``serial`` (one report at a time, in arrival order, across every serial run), ``hold``
    (kept until the run's mode changes)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.arrived: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.latency: dict[str, float] = {}
        self.runs: dict[str, RunView] = {}
        self.modes: dict[str, Mode] = {}
        self.held: list[tuple[str, str]] = []
        self.fail: set[str] = set()  # attempts reported failed for good (non_retryable)
        self.duplicates = 0
        self.cancelled = 0
        self.reconnects = 0
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()
        self.first_error: str | None = None
        self._idle: list[Connection] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._watches: list[_Watch] = []
        self._serial: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._serial_task: asyncio.Task[None] | None = None
        self._held_more = asyncio.Event()

    # the receiver's side

    def __call__(self, event: dict[str, Any], arrived: float) -> None:
        if event.get("type") != "task.requested":
            self.cancelled += 1
            return
        task = event["data"]["task"]
        if task.get("kind") == "map_batch":
            self._batch(task, arrived)
            return
        job_id = task["job_id"]
        if job_id in self.arrived:
            self.duplicates += 1
            return
        self.arrived[job_id] = arrived
        view = self.view(task["run_id"])
        view.holding += 1
        view.unsent += 1
        view.peak = max(view.peak, view.holding)
        view.peak_unsent = max(view.peak_unsent, view.unsent)
        self._dispatch(job_id, task["complete_url"])

    def _batch(self, task: dict[str, Any], arrived: float) -> None:
        """A ``map_batch`` message: its items reported together, with one bulk report (mode ``now`` only)."""
        fresh = [item["job_id"] for item in task["items"] if item["job_id"] not in self.arrived]
        self.duplicates += len(task["items"]) - len(fresh)
        if not fresh:
            return
        view = self.view(task["run_id"])
        for job_id in fresh:
            self.arrived[job_id] = arrived
        view.holding += len(fresh)
        view.unsent += len(fresh)
        view.peak = max(view.peak, view.holding)
        view.peak_unsent = max(view.peak_unsent, view.unsent)
        job = asyncio.get_running_loop().create_task(self._report_many(task["run_id"], task["step"], fresh))
        self._tasks.add(job)
        job.add_done_callback(self._tasks.discard)

    async def _report_many(self, run_id: str, step: str, job_ids: list[str]) -> None:
        view = self.view(run_id)
        reports = [{"id": j, "status": "succeeded", "output": {"job": j}} for j in job_ids]
        started = time.perf_counter()
        view.unsent -= len(job_ids)
        try:
            conn, response = await self._post("/v1/jobs/complete", {"reports": reports})
        except (OSError, TimeoutError, asyncio.IncompleteReadError, HttpError) as exc:
            self.failures[type(exc).__name__] += 1
            self.first_error = self.first_error or f"bulk report {job_ids[0]}…: {type(exc).__name__}: {exc}"
            view.holding -= len(job_ids)
            return
        done = time.perf_counter()
        self._idle.append(conn)
        self.statuses[response.status] += 1
        view.holding -= len(job_ids)
        if not 200 <= response.status < 300:
            if self.first_error is None:
                self.first_error = f"bulk report: HTTP {response.status}: {response.body[:300]!r}"
            return
        for job_id in job_ids:
            self.answered[job_id] = done
            self.latency[job_id] = done - started
            view.reported[step] += 1
            view.answers.append(done)
        if self._watches:
            self._check(run_id, step, view.reported[step], done)

    def view(self, run_id: str) -> RunView:
        return self.runs.setdefault(run_id, RunView())

    def set_mode(self, run_ids: set[str], mode: Mode) -> None:
        """Report these runs' tasks in ``mode`` from now on; held tasks of theirs go out in the new mode."""
        for run_id in run_ids:
            self.modes[run_id] = mode
        if mode == "hold":
            return
        held, self.held = self.held, []
        for job_id, url in held:
            self._dispatch(job_id, url)

    async def until_held(self, run_id: str, count: int, *, timeout: float) -> None:
        """Hold the run's tasks and wait until ``count`` of them are held here (its whole in flight: then
        nothing of the run moves until its mode changes)."""
        self.set_mode({run_id}, "hold")
        async with asyncio.timeout(timeout):
            while sum(1 for job_id, _ in self.held if run_id_of(job_id) == run_id) < count:
                self._held_more.clear()
                await self._held_more.wait()

    def _dispatch(self, job_id: str, url: str) -> None:
        mode = self.modes.get(run_id_of(job_id), "now")
        if mode == "hold":
            self.held.append((job_id, url))
            self._held_more.set()
        elif mode == "serial":
            self._serial.put_nowait((job_id, url))
            if self._serial_task is None:
                self._serial_task = asyncio.get_running_loop().create_task(self._serial_reports())
        else:
            task = asyncio.get_running_loop().create_task(self._report(job_id, url))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # reporting

    async def _serial_reports(self) -> None:
        while True:
            job_id, url = await self._serial.get()
            await self._report(job_id, url)

    async def _report(self, job_id: str, url: str) -> None:
        run_id, step = split(job_id)
        view = self.view(run_id)
        body: dict[str, Any] = {"status": "succeeded", "output": {"job": job_id}}
        if job_id in self.fail:
            body = {"status": "failed", "error": {"non_retryable": True, "bench": "the item that fails"}}
        started = time.perf_counter()
        view.unsent -= 1
        try:
            conn, response = await self._post(url, body)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, HttpError) as exc:
            self.failures[type(exc).__name__] += 1
            self.first_error = self.first_error or f"report {job_id}: {type(exc).__name__}: {exc}"
            view.holding -= 1
            return
        done = time.perf_counter()
        self._idle.append(conn)
        self.statuses[response.status] += 1
        view.holding -= 1
        if not 200 <= response.status < 300:
            if self.first_error is None:
                self.first_error = f"report {job_id}: HTTP {response.status}: {response.body[:300]!r}"
            return
        self.answered[job_id] = done
        self.latency[job_id] = done - started
        view.reported[step] += 1
        view.answers.append(done)
        if self._watches:
            self._check(run_id, step, view.reported[step], done)

    async def _post(self, url: str, body: Any) -> tuple[Connection, Response]:
        """POST on an idle connection, or a new one; a reused connection the server closed meanwhile
        (its keep-alive timeout) is retried once on a new one (an identical repeated report is a 200)."""
        while self._idle:
            conn = self._idle.pop()
            try:
                return conn, await conn.request("POST", url, body, timeout=REPORT_TIMEOUT)
            except (OSError, asyncio.IncompleteReadError):
                self.reconnects += 1
        conn = Connection(self.port)
        return conn, await conn.request("POST", url, body, timeout=REPORT_TIMEOUT)

    def _check(self, run_id: str, step: str, count: int, at: float) -> None:
        keep = []
        for watch in self._watches:
            if watch.run_id == run_id and watch.step == step and count >= watch.count:
                if not watch.future.done():
                    watch.future.set_result(at)
            elif not watch.future.done():
                keep.append(watch)
        self._watches = keep

    async def reported(self, run_id: str, step: str, count: int, *, timeout: float) -> float:
        """Wait until ``count`` reports of ``step`` in ``run_id`` were answered 2xx; the time the last one
        was (perf_counter). TimeoutError after ``timeout`` seconds."""
        view = self.view(run_id)
        if view.reported[step] >= count:
            return time.perf_counter()
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        watch = _Watch(run_id, step, count, future)
        self._watches.append(watch)
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            if watch in self._watches:
                self._watches.remove(watch)

    @property
    def errors(self) -> int:
        return sum(self.failures.values()) + sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    async def close(self) -> None:
        if self._serial_task is not None:
            self._tasks.add(self._serial_task)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        idle, self._idle = self._idle, []
        await asyncio.gather(*(c.close() for c in idle))


def split(job_id: str) -> tuple[str, str]:
    """``{run_id}:{step}:{n}:a{k}`` → (run_id, step); a run id may itself hold colons."""
    run_id, step, _n, _attempt = job_id.rsplit(":", 3)
    return run_id, step


def run_id_of(job_id: str) -> str:
    return split(job_id)[0]
