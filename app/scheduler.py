"""Periodic work: deadlines, due deliveries and expired leases. Each tick is small and safe to re-run."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.access import idempotency
from app.batches import service as batches
from app.config import Settings
from app.core import replicas
from app.core.db import Database, Tx
from app.deliveries import service as outbox
from app.deliveries.worker import Deliverer
from app.gathers import service as gathers
from app.jobs import service as jobs
from app.waits import reads as wait_reads
from app.waits import service as waits
from app.workflows import engine as workflow_engine
from app.workflows import runs_service as workflow_runs

log = logging.getLogger("rendezvous.scheduler")

DEADLINES, TIMERS = "expire_deadlines", "expire_timers"
# A timer run starts at least this long after the last one ended: a timer another replica holds (skipped,
# still due) cannot make it spin, and timers falling close together are fired together.
MIN_TIMER_GAP = 0.02
TIMER_WORKERS = 2


class Ticks:
    """The scheduler's jobs, callable directly (tests move a clock, then tick)."""

    def __init__(self, db: Database, deliverer: Deliverer, settings: Settings) -> None:
        self.db = db
        self.deliverer = deliverer
        self.settings = settings
        self.batch = settings.scheduler_batch_size
        self.schedule = settings.delivery_retry_schedule

    async def drain(self, work: Callable[..., Awaitable[int]], per_tx: int) -> int:
        """Run ``work(tx, limit=per_tx)`` in a transaction of its own, again while it used its whole bound:
        each transaction stays small, and a tick still clears all that is due."""

        async def step(tx: Tx) -> int:
            return await work(tx, limit=per_tx)

        total = 0
        while True:
            count = await self.db.run(step)
            total += count
            if count < per_tx:
                return total

    async def expire_deadlines(self) -> int:
        """Time out due jobs, gathers, waits and runs, and dispatch due workflow retries, a bounded batch per
        transaction until none are left. Kinds take turns, a batch each, so a backlog of one kind does not
        hold back the deadlines of the others."""
        total = 0
        kinds: list[Callable[..., Awaitable[int]]] = [
            jobs.expire_due,
            workflow_engine.retry_due,
            workflow_runs.expire_due,
            gathers.expire_due,
            waits.expire_due,
        ]
        while kinds:
            more = []
            for expire in kinds:
                count = await self.db.run(functools.partial(expire, limit=self.batch))
                total += count
                if count >= self.batch:
                    more.append(expire)
            kinds = more
        return total + await self.db.run(lambda tx: workflow_engine.sweep_throttles(tx, limit=self.batch))

    async def expire_timers(self) -> int:
        """Time out due waits only: what the one-off timer job runs between deadline ticks. On PostgreSQL two
        transactions take batches side by side (SKIP LOCKED keeps them apart), so one builds its callbacks
        while the other waits on the database."""
        workers = 1 if self.db.is_sqlite else TIMER_WORKERS
        done = await asyncio.gather(*(self.drain(waits.expire_due, self.batch) for _ in range(workers)))
        return sum(done)

    async def next_timer(self) -> datetime | None:
        """When the earliest wait timer still open falls due (one read of an index's first entry)."""
        async with self.db.read() as conn:
            return await wait_reads.next_deadline(conn)

    async def heartbeat(self) -> int:
        """Say this replica is alive; release the delivery claims of replicas that stopped."""
        me, stale = self.deliverer.worker_id, self.settings.replica_stale_seconds
        started = self.deliverer.started_at

        async def beat(tx: Tx) -> None:
            await replicas.beat(tx, me, started)

        await self.db.run(beat)

        async def release(tx: Tx, *, limit: int) -> int:
            return await outbox.release_orphans(tx, me=me, stale_after=stale, limit=limit)

        return await self.drain(release, self.batch)

    async def reclaim_leases(self) -> int:
        async def reclaim(tx: Tx, *, limit: int) -> int:
            return await outbox.reclaim_expired(
                tx, limit=limit, schedule=self.schedule, jitter=self.settings.delivery_jitter
            )

        return await self.drain(reclaim, self.batch)

    async def housekeeping(self) -> int:
        """Delete what has outlived its retention: batch item sets (a few batches of up to 10,000 ids per
        transaction), finished workflow runs, idempotency records and replicas long gone."""
        items = await self.drain(batches.expire_items, max(1, self.batch // 100))
        retention = timedelta(days=self.settings.run_retention_days)

        async def purge_runs(tx: Tx, *, limit: int) -> int:
            return await workflow_runs.purge_finished(tx, limit=limit, retention=retention)

        runs = await self.drain(purge_runs, max(1, self.batch // 10))
        stale = self.settings.replica_stale_seconds

        async def forget(tx: Tx) -> int:
            return await replicas.forget_dead(tx, stale)

        gone = await self.db.run(forget)
        return items + runs + gone + await self.drain(idempotency.expire, self.batch)

    async def deliver_due(self) -> int:
        return await self.deliverer.drain()

    async def run_all(self) -> None:
        """One pass of everything time triggers, in order; then wait for sends to finish."""
        await self.heartbeat()
        await self.expire_deadlines()
        await self.reclaim_leases()
        await self.housekeeping()
        await self.deliver_due()
        await self.deliverer.idle()


def _stoppable(tick: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    """A tick cut short because the process stops ends quietly: each tick is safe to cut and re-run, and
    the scheduler would otherwise log the cancellation as a failed job."""

    @functools.wraps(tick)
    async def job() -> None:
        try:
            await tick()
        except asyncio.CancelledError:
            log.debug("%s cut short: the process is stopping", getattr(tick, "__name__", "tick"))

    return job


def build_scheduler(ticks: Ticks, settings: Settings) -> AsyncIOScheduler:
    """An AsyncIOScheduler running each tick on its own interval, never overlapping itself. Between two
    deadline ticks, a one-off job fires wait timers at their deadline."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    every = settings.scheduler_interval_seconds
    options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}

    async def arm_timers() -> None:
        """Run ``expire_timers`` at the earliest open wait's deadline when that comes before the next tick."""
        upcoming = await ticks.next_timer()
        tick = scheduler.get_job(DEADLINES)
        if upcoming is None or tick is None or tick.next_run_time is None:
            return
        # Counted on the service's clock, which need not be the wall clock
        delay = max((upcoming - ticks.db.clock.now()).total_seconds(), MIN_TIMER_GAP)
        at = datetime.now(UTC) + timedelta(seconds=delay)
        if at < tick.next_run_time:
            job = _stoppable(expire_timers)
            scheduler.add_job(job, "date", run_date=at, id=TIMERS, replace_existing=True, **options)

    async def expire_deadlines() -> None:
        await ticks.expire_deadlines()
        await arm_timers()

    async def expire_timers() -> None:
        await ticks.expire_timers()
        await arm_timers()

    intervals: list[tuple[Callable[[], Awaitable[Any]], str, float]] = [
        (expire_deadlines, DEADLINES, settings.deadline_interval_seconds),
        (ticks.deliver_due, "deliver_due", every),
        (ticks.heartbeat, "heartbeat", settings.replica_heartbeat_seconds),
        (ticks.reclaim_leases, "reclaim_leases", max(every, 5.0)),
        (ticks.housekeeping, "housekeeping", max(every, 60.0)),
    ]
    for tick, name, seconds in intervals:
        scheduler.add_job(_stoppable(tick), "interval", seconds=seconds, id=name, **options)
    return scheduler
