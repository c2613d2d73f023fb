"""The deliverer: claims due deliveries and sends them, at most ``concurrency`` at once."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

import httpx

from app.config import Settings
from app.core.db import Database
from app.core.ids import new_id
from app.core.metrics import AttemptMetrics
from app.deliveries import sender
from app.deliveries import service as outbox

log = logging.getLogger("rendezvous.deliveries")


class Deliverer:
    """Woken in-process when a delivery is written; the scheduler's tick is the safety net."""

    def __init__(
        self, db: Database, client: httpx.AsyncClient, settings: Settings, metrics: AttemptMetrics
    ) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        self.metrics = metrics
        self.worker_id = new_id("wrk")
        self._inflight: set[asyncio.Task[None]] = set()
        self._drain_task: asyncio.Task[int] | None = None
        self._again = False
        self._saturated = False
        self._closed = False
        self._drain_lock = asyncio.Lock()

    def wake(self, _payloads: Any = None) -> None:
        """Start draining now, or make the running drain look again."""
        if self._closed:
            return
        if self._drain_task is None or self._drain_task.done():
            # A fresh context: the request that woke us must not lend its request id to these logs.
            self._drain_task = asyncio.get_running_loop().create_task(
                self.drain(), context=contextvars.Context()
            )
        else:
            self._again = True

    async def drain(self) -> int:
        """Claim and start every due delivery there is room for; returns how many were started."""
        async with self._drain_lock:  # the scheduler's tick and a wake-up never claim side by side
            return await self._drain()

    async def _drain(self) -> int:
        started = 0
        while not self._closed:
            self._again = False
            room = self.settings.delivery_concurrency - len(self._inflight)
            if room <= 0:
                break  # a finishing send wakes us again
            try:
                async with self.db.transaction() as tx:
                    claimed = await outbox.claim_due(
                        tx, worker=self.worker_id, limit=room, lease_seconds=self.settings.lease_seconds
                    )
            except Exception:  # the database is away; the scheduler's next tick tries again
                log.exception("claiming due deliveries failed")
                break
            for item in claimed:
                task = asyncio.get_running_loop().create_task(
                    self._deliver(item), context=contextvars.Context()
                )
                self._inflight.add(task)
                task.add_done_callback(self._done)
            started += len(claimed)
            self._saturated = len(claimed) == room
            if not self._saturated and not self._again:
                break
        return started

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task failed", exc_info=task.exception())
        if self._saturated:
            self.wake()  # more may be due than there was room for; otherwise new rows wake us themselves

    async def _deliver(self, item: outbox.Claimed) -> None:
        started_at = self.db.clock.now()
        result = await sender.send(
            self.client,
            url=item.url,
            body=item.body,
            event_id=item.event_id,
            secrets_=item.secrets,
            extra_headers=item.headers,
            now=started_at,
            response_cap=self.settings.delivery_response_cap_bytes,
            deadline=self.settings.delivery_timeout_seconds,
        )
        # Retried on a PostgreSQL deadlock: what reacts to a delivery going dead runs in this transaction too.
        status = await self.db.run(
            lambda tx: outbox.record(
                tx,
                item,
                result,
                worker=self.worker_id,
                started_at=started_at,
                schedule=self.settings.delivery_retry_schedule,
                jitter=self.settings.delivery_jitter,
                max_retry_after=self.settings.delivery_max_retry_after_seconds,
            )
        )
        self.metrics.attempt(
            ok=result.ok,
            first=item.attempt == 1,
            seconds=result.duration_ms / 1000,
            event_type=item.event_type,
            since_event=(self.db.clock.now() - item.created_at).total_seconds(),
        )
        extra = {"delivery_id": item.id, "event_id": item.event_id, "namespace": item.namespace}
        log.info(
            "delivery attempt %d: %s (%s)",
            item.attempt,
            status,
            result.error or result.status_code,
            extra=extra,
        )

    def _tasks(self) -> list[asyncio.Task[Any]]:
        tasks: list[asyncio.Task[Any]] = list(self._inflight)
        if self._drain_task is not None:
            tasks.append(self._drain_task)
        return tasks

    async def idle(self) -> None:
        """Wait until no drain or send is running (for tests and shutdown)."""
        while (self._drain_task is not None and not self._drain_task.done()) or self._inflight:
            pending: list[asyncio.Task[Any]] = [t for t in self._tasks() if not t.done()]
            if pending:
                await asyncio.wait(pending)
            else:  # finished sends whose done-callbacks have not yet run: let them
                await asyncio.sleep(0)

    async def close(self) -> None:
        """Stop claiming; let sends in flight finish (each is bounded by the HTTP timeout), then cancel
        stragglers, whose leases expire so another worker retries them."""
        self._closed = True
        timeout = self.settings.delivery_timeout_seconds + 5
        tasks = [t for t in self._tasks() if not t.done()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
