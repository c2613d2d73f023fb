"""Prometheus metrics: one registry per app; counters fed by committed transactions and the deliverer,
gauges read from the database at scrape time."""

from __future__ import annotations

import time
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncConnection

from app.batches.models import batches
from app.deliveries.models import deliveries
from app.gathers.models import gathers
from app.waits.models import waits

GAUGE_SECONDS = 5.0  # scrapes within this long reuse the gauges' counts (each is a COUNT over a table)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)


class Metrics:
    """This process's counters (what it committed and attempted) and the database's gauges. It is the
    deliverer's ``AttemptMetrics`` and the routes' ``MetricsText``."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.reports = Counter(
            "rendezvous_reports",
            "Job completions applied, by status (timeouts included)",
            ["status"],
            registry=r,
        )
        self.resolutions = Counter(
            "rendezvous_resolutions",
            "Resolutions by kind (gather, wait, batch, batch_job) and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.fan_in = Histogram(
            "rendezvous_fanin_latency_seconds",
            "From an event's commit to its callback's delivery on the first attempt, by event kind",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.attempts = Counter(
            "rendezvous_delivery_attempts", "Callback attempts by outcome", ["outcome"], registry=r
        )
        self.attempt_seconds = Histogram(
            "rendezvous_delivery_attempt_seconds",
            "Duration of one callback attempt, by outcome",
            ["outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.deliveries = Gauge(
            "rendezvous_deliveries", "Deliveries due now (pending) and dead", ["state"], registry=r
        )
        self.open = Gauge("rendezvous_open", "Open gathers, waits and batches", ["kind"], registry=r)
        self._gauges_read_at = -GAUGE_SECONDS

    def observe(self, observations: list[tuple[str, str, str]]) -> None:
        """Count what a committed transaction did."""
        for metric, kind, outcome in observations:
            if metric == "report":
                self.reports.labels(kind).inc()
            elif metric == "resolution":
                self.resolutions.labels(kind, outcome).inc()

    def attempt(self, *, ok: bool, first: bool, seconds: float, event_type: str, since_event: float) -> None:
        outcome = "succeeded" if ok else "failed"
        self.attempts.labels(outcome).inc()
        self.attempt_seconds.labels(outcome).observe(seconds)
        if ok and first:  # retries and redeliveries would measure the schedule, not the fan-in
            self.fan_in.labels(event_type.partition(".")[0]).observe(max(0.0, since_event))

    async def render(self, conn: AsyncConnection, now: datetime) -> bytes:
        """Refresh the gauges from the database (at most every few seconds), then the exposition text."""
        if time.monotonic() - self._gauges_read_at >= GAUGE_SECONDS:
            await self._read_gauges(conn, now)
            self._gauges_read_at = time.monotonic()
        return generate_latest(self.registry)

    async def _read_gauges(self, conn: AsyncConnection, now: datetime) -> None:
        due = sa.select(sa.func.count()).where(
            deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now
        )
        dead = sa.select(sa.func.count()).where(deliveries.c.status == "dead")
        self.deliveries.labels("due").set((await conn.execute(due)).scalar_one())
        self.deliveries.labels("dead").set((await conn.execute(dead)).scalar_one())
        for kind, table, status in (
            ("gather", gathers, "waiting"),
            ("wait", waits, "waiting"),
            ("batch", batches, "open"),
        ):
            count = sa.select(sa.func.count()).select_from(table).where(table.c.status == status)
            self.open.labels(kind).set((await conn.execute(count)).scalar_one())
