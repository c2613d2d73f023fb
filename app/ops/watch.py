"""/v1/watch: server-sent events for one gather, run, wait or batch job while a page (the console) shows it.
The server looks at the subject every WATCH_INTERVAL and sends ``change`` when what a reader sees of it moved
(its counters, its status, its callbacks; a run's steps and history), so it works the same on every replica
without a message bus. However many pages follow one subject, this process reads it once per look (one
poller per subject, shared by its streams). The first event comes at once; a comment keeps an idle stream
open; a stream ends after ``watch_seconds`` (the client connects again, and its key is checked again), and at
most ``watch_streams`` are open in a process."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import Receive, Scope, Send

from app.batches.models import COUNTERS, batch_ledgers
from app.core.db import Database
from app.core.problem import field_error
from app.deliveries.models import deliveries
from app.deps import NamespaceDep, RuntimeDep
from app.errors import Invalid, NotFound, TooManyRequests, responses
from app.gathers.models import gathers
from app.jobs.models import jobs
from app.waits import reads as wait_reads
from app.workflows.run_models import run_history, run_steps, runs

log = logging.getLogger("rendezvous.watch")
router = APIRouter(tags=["ops"])
WATCH_INTERVAL = 0.5
KEEP_ALIVE = 15.0
KINDS = ("gather", "run", "wait", "batch_job")
Subject = Annotated[str | None, Query(max_length=200)]
Key = tuple[str, str, str]  # namespace, kind, subject
# One event of the stream, as a reader of text/event-stream sees it.
EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["change"]},
        "data": {"type": "string", "description": 'JSON naming the subject, e.g. {"gather": "nightly"}'},
    },
}


async def _callbacks(conn: AsyncConnection, namespace: str, kind: str, subject: str) -> list[Any]:
    """The subject's callbacks as counts and attempts by status: any attempt or change of state moves it."""
    d = deliveries.c
    stmt = (
        sa.select(d.status, sa.func.count(), sa.func.sum(d.attempts))
        .where(d.namespace == namespace, d.subject_kind == kind, d.subject_id == subject)
        .group_by(d.status)
        .order_by(d.status)
    )
    return [tuple(r) for r in (await conn.execute(stmt)).all()]


async def _seen(conn: AsyncConnection, key: Key) -> Any:
    """What a reader sees of the subject, as a comparable value; NotFound when it does not exist."""
    namespace, kind, subject = key
    if kind == "gather":
        g = gathers.c
        stmt = sa.select(g.status, g.total, g.done, g.succeeded, g.failed, g.sealed)
        row = (await conn.execute(stmt.where(g.namespace == namespace, g.id == subject))).first()
        if row is None:
            raise NotFound(f"gather {subject!r} does not exist")
        return [tuple(row), await _callbacks(conn, namespace, "gather", subject)]
    if kind == "run":
        r, s, h = runs.c, run_steps.c, run_history.c
        found = sa.select(r.status, r.updated_at).where(r.namespace == namespace, r.id == subject)
        run = (await conn.execute(found)).first()
        if run is None:
            raise NotFound(f"run {subject!r} does not exist")
        counts = [s.status, s.succeeded, s.failed, s.in_flight, s.retry_scheduled, s.cancelled]
        steps = sa.select(s.step, *counts).where(s.namespace == namespace, s.run_id == subject)
        last = sa.select(h.id).where(h.namespace == namespace, h.run_id == subject).order_by(h.id.desc())
        return [
            tuple(run),
            sorted(tuple(x) for x in (await conn.execute(steps)).all()),
            (await conn.execute(last.limit(1))).scalar(),
            await _callbacks(conn, namespace, "run", subject),
        ]
    if kind == "batch_job":
        ledger, j = batch_ledgers.c, jobs.c
        stmt = (
            sa.select(j.status, *(ledger[c] for c in COUNTERS), ledger.batches_open, ledger.batches_total)
            .select_from(batch_ledgers)
            .join(jobs, sa.and_(j.namespace == ledger.namespace, j.id == ledger.job_id))
            .where(ledger.namespace == namespace, ledger.job_id == subject, ledger.batch_job)
        )
        ledger_row = (await conn.execute(stmt)).first()
        if ledger_row is None:
            raise NotFound(f"batch job {subject!r} does not exist")
        return [tuple(ledger_row), await _callbacks(conn, namespace, "job", subject)]
    wait = await wait_reads.current(conn, namespace=namespace, group_key=subject)
    callbacks = await _callbacks(conn, namespace, "wait", wait["id"])
    return [wait["id"], wait["status"], wait["participant_count"], callbacks]


@dataclass
class _Followed:
    """One subject this process follows: its last reading, and the event its streams wait on for the next."""

    seen: Any
    followers: int = 0
    gone: bool = False
    next: asyncio.Event = field(default_factory=asyncio.Event)
    poller: asyncio.Task[None] | None = None

    def moved(self) -> None:
        fired, self.next = self.next, asyncio.Event()
        fired.set()


class Watches:
    """The subjects this process's streams follow, each looked at by one poller while a stream follows it."""

    def __init__(self, db: Database, *, streams: int, interval: float = WATCH_INTERVAL) -> None:
        self.db = db
        self.limit = streams
        self.interval = interval
        self.subjects: dict[Key, _Followed] = {}
        self.streams = 0
        self.closed = False

    def join(self, key: Key, seen: Any) -> _Followed:
        """Follow ``key`` (``seen``: what the caller just read of it); a 429 past the limit of streams."""
        if self.closed or self.streams >= self.limit:
            why = "this server is stopping" if self.closed else f"this server has {self.limit} streams open"
            raise TooManyRequests(
                f"{why}; poll the subject instead, or try again later", headers={"Retry-After": "30"}
            )
        followed = self.subjects.get(key)
        if followed is None or followed.gone:
            followed = self.subjects[key] = _Followed(seen)
            followed.poller = asyncio.get_running_loop().create_task(self._poll(key, followed))
        followed.followers += 1
        self.streams += 1
        return followed

    def leave(self, key: Key, followed: _Followed) -> None:
        """A stream of ``key`` ended; the last one's going stops its poller (at its next look, never in the
        middle of a read)."""
        self.streams -= 1
        followed.followers -= 1
        if followed.followers == 0 and self.subjects.get(key) is followed:
            del self.subjects[key]

    async def _poll(self, key: Key, followed: _Followed) -> None:
        failing = False
        while not self.closed:
            await asyncio.sleep(self.interval)
            if followed.followers == 0:
                return
            try:
                async with self.db.read() as conn:
                    now = await _seen(conn, key)
            except NotFound:
                followed.gone = True
                followed.moved()
                return
            except Exception:  # the database is away for a moment: look again next time (said once)
                if not failing:
                    log.warning("a watched subject could not be read", exc_info=True)
                failing = True
                continue
            failing = False
            if now != followed.seen:
                followed.seen = now
                followed.moved()

    def close(self) -> None:
        """End every stream (the process stops)."""
        self.closed = True
        for followed in list(self.subjects.values()):
            followed.gone = True
            followed.moved()
            if followed.poller is not None:
                followed.poller.cancel()
        self.subjects.clear()


@router.get(
    "/v1/watch",
    operation_id="watch",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The stream: ``change`` events (their data names the subject) and comments",
            "content": {"text/event-stream": {"schema": EVENT_SCHEMA}},
        },
        **responses(404, 422, 429),
    },
)
async def watch(
    request: Request,
    rt: RuntimeDep,
    ns: NamespaceDep,
    gather: Subject = None,
    run: Subject = None,
    wait: Subject = None,
    batch_job: Subject = None,
) -> StreamingResponse:
    """Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``,
    ``batch_job``): ``event: change`` at once and whenever what a read of it shows moves. For pages that
    stay open; the stream ends after ``RENDEZVOUS_WATCH_SECONDS`` (a minute; connect again)."""
    given = dict(zip(KINDS, (gather, run, wait, batch_job), strict=True))
    named = [(kind, value) for kind, value in given.items() if value]
    if len(named) != 1:
        reason = "name exactly one of gather, run, wait and batch_job"
        raise Invalid(reason, errors=[field_error("gather", reason, "query")])
    key: Key = (ns, *named[0])
    async with rt.db.read() as conn:
        first = await _seen(conn, key)  # a 404 before the stream starts
    watches, seconds = rt.watches, rt.settings.watch_seconds
    followed: _Followed = watches.join(key, first)

    async def events() -> AsyncIterator[str]:
        began = time.monotonic()
        waiting = followed.next
        yield _event(key)
        while (left := seconds - (time.monotonic() - began)) > 0 and not followed.gone:
            try:
                await asyncio.wait_for(waiting.wait(), timeout=min(KEEP_ALIVE, left))
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield ": still here\n\n"
                continue
            if followed.gone:  # the subject went (or the server stops): the client reads it and sees
                return
            waiting = followed.next
            yield _event(key)

    return _Stream(events(), lambda: watches.leave(key, followed))


class _Stream(StreamingResponse):
    """An event stream that lets go of its subject however it ends: drained, cut off, or never started."""

    def __init__(self, events: AsyncIterator[str], release: Callable[[], None]) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(events, media_type="text/event-stream", headers=headers)
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


def _event(key: Key) -> str:
    _, kind, subject = key
    return f"event: change\ndata: {json.dumps({kind: subject})}\n\n"
