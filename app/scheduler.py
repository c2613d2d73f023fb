"""Periodic work: deadlines, due deliveries and expired leases. Each tick is small and safe to re-run."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.access import idempotency
from app.batches import service as batches
from app.config import Settings
from app.core.db import Database, Tx
from app.deliveries import service as outbox
from app.deliveries.worker import Deliverer
from app.gathers import service as gathers
from app.jobs import service as jobs
from app.waits import service as waits
from app.workflows import engine as workflow_engine
from app.workflows import runs_service as workflow_runs

log = logging.getLogger("rendezvous.scheduler")


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
        transaction until none are left."""
        total = 0
        work = (jobs.expire_due, workflow_engine.retry_due, workflow_runs.expire_due)
        for expire in (*work, gathers.expire_due, waits.expire_due):
            total += await self.drain(expire, self.batch)
        return total + await self.db.run(lambda tx: workflow_engine.sweep_throttles(tx, limit=self.batch))

    async def reclaim_leases(self) -> int:
        async def reclaim(tx: Tx, *, limit: int) -> int:
            return await outbox.reclaim_expired(
                tx, limit=limit, schedule=self.schedule, jitter=self.settings.delivery_jitter
            )

        return await self.drain(reclaim, self.batch)

    async def housekeeping(self) -> int:
        """Delete what has outlived its retention: batch item sets (a few batches of up to 10,000 ids per
        transaction), finished workflow runs and idempotency records."""
        items = await self.drain(batches.expire_items, max(1, self.batch // 100))
        retention = timedelta(days=self.settings.run_retention_days)

        async def purge_runs(tx: Tx, *, limit: int) -> int:
            return await workflow_runs.purge_finished(tx, limit=limit, retention=retention)

        runs = await self.drain(purge_runs, max(1, self.batch // 10))
        return items + runs + await self.drain(idempotency.expire, self.batch)

    async def deliver_due(self) -> int:
        return await self.deliverer.drain()

    async def run_all(self) -> None:
        """One pass of everything time triggers, in order; then wait for sends to finish."""
        await self.expire_deadlines()
        await self.reclaim_leases()
        await self.housekeeping()
        await self.deliver_due()
        await self.deliverer.idle()


def build_scheduler(ticks: Ticks, settings: Settings) -> AsyncIOScheduler:
    """An AsyncIOScheduler running each tick on its own interval, never overlapping itself."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    every = settings.scheduler_interval_seconds
    options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(
        ticks.expire_deadlines,
        "interval",
        seconds=settings.deadline_interval_seconds,
        id="expire_deadlines",
        **options,
    )
    scheduler.add_job(ticks.deliver_due, "interval", seconds=every, id="deliver_due", **options)
    scheduler.add_job(
        ticks.reclaim_leases, "interval", seconds=max(every, 5.0), id="reclaim_leases", **options
    )
    scheduler.add_job(ticks.housekeeping, "interval", seconds=max(every, 60.0), id="housekeeping", **options)
    return scheduler
