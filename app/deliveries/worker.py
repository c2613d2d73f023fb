"""The deliverer: sends the deliveries this process writes as soon as they commit, claims the other due ones,
at most ``concurrency`` at once, and records the outcomes of many sends in one transaction."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import time
from typing import Any

from app.config import Settings
from app.core.db import Database
from app.core.ids import new_id
from app.core.metrics import AttemptMetrics
from app.deliveries import sender, signing
from app.deliveries import service as outbox
from app.deliveries.models import NamespaceRow
from app.deliveries.transport import WebhookClient

log = logging.getLogger("rendezvous.deliveries")
SECRETS_TTL = 5.0  # seconds a namespace's signing secrets are reused; a rotation here forgets them at once
GATHER_SECONDS = 0.005  # how long the first outcome waits for others to be stored with it


class Deliverer:
    """Woken in-process when a delivery is written; the scheduler's tick is the safety net."""

    def __init__(
        self, db: Database, client: WebhookClient, settings: Settings, metrics: AttemptMetrics
    ) -> None:
        self.db = db
        self.client = client
        self.settings = settings
        self.metrics = metrics
        self.worker_id = new_id("wrk")  # this replica's id: its claims and its heartbeat
        self.started_at = db.clock.now()
        self._inflight: set[asyncio.Task[None]] = set()
        self._drain_task: asyncio.Task[int] | None = None
        self._again = False
        self._saturated = False
        self._closed = False
        self._drain_lock = asyncio.Lock()
        self._reserved = 0  # room promised to transactions that write deliveries claimed already
        # Due rows wait for a claim (some were written pending for want of room, or a claim took its whole
        # limit): new writes get no room until a claim finds fewer than it could take, so the rows written
        # first are sent first and a steady stream of new ones cannot hold them back.
        self._backlog = False
        self._outcomes: list[tuple[outbox.Outcome, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None
        self._secrets: dict[str, tuple[float, NamespaceRow]] = {}
        self._secrets_lock = asyncio.Lock()

    @property
    def lease_seconds(self) -> float:
        return self.settings.lease_seconds

    def __call__(self, payloads: list[Any]) -> None:
        """The listener of committed deliveries."""
        self.wake(payloads)

    def room(self) -> int:
        return self.settings.delivery_concurrency - len(self._inflight) - self._reserved

    def reserve(self, wanted: int) -> int:
        """Room for ``wanted`` deliveries a transaction is writing, sent by ``take`` once it commits."""
        if self._closed or self._backlog:
            return 0
        taken = max(0, min(wanted, self.room()))
        self._reserved += taken
        self._backlog = taken < wanted
        return taken

    def take(self, reserved: int, items: list[outbox.Claimed], committed: bool) -> None:
        """Send deliveries written claimed once their transaction committed (after a rollback they do not
        exist); give back the room reserved for them."""
        self._reserved -= reserved
        if committed and not self._closed:
            self._start(items)
        if reserved > (len(items) if committed else 0):
            self.wake()  # room came back unused (a rollback, or rows withdrawn before the commit)

    def forget_secrets(self, namespaces: list[Any]) -> None:
        """A namespace's secret was rotated: look it up again before the next send."""
        for name in namespaces:
            self._secrets.pop(str(name), None)

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
            room = self.room()
            # Claim in batches: with sends in flight, wait until a quarter of the room is free again.
            if room <= 0 or (self._inflight and room < self.settings.delivery_concurrency // 4):
                self._saturated = True  # a finishing send wakes us again
                break
            try:
                async with self.db.transaction() as tx:
                    claimed = await outbox.claim_due(
                        tx,
                        worker=self.worker_id,
                        limit=room,
                        lease_seconds=self.settings.lease_seconds,
                        with_secrets=False,  # kept here for a while, see _signed_by
                    )
            except Exception:  # the database is away; the scheduler's next tick tries again
                log.exception("claiming due deliveries failed")
                break
            self._start(claimed)
            started += len(claimed)
            self._saturated = self._backlog = len(claimed) == room
            if not self._saturated and not self._again:
                break
        return started

    def _start(self, items: list[outbox.Claimed]) -> None:
        loop = asyncio.get_running_loop()
        for item in items:
            task = loop.create_task(self._deliver(item), context=contextvars.Context())
            self._inflight.add(task)
            task.add_done_callback(self._done)

    async def _signed_by(self, namespace: str) -> list[str]:
        """The secrets that sign the namespace's callbacks now; its row is read at most every
        ``SECRETS_TTL`` seconds."""
        async with self._secrets_lock:
            cached = self._secrets.get(namespace)
            if cached is None or time.monotonic() - cached[0] >= SECRETS_TTL:
                async with self.db.transaction() as tx:  # a namespace without a row yet gets one
                    row = (await signing.namespace_rows(tx, {namespace}))[namespace]
                cached = self._secrets[namespace] = (time.monotonic(), row)
        return signing.signing_secrets(cached[1], self.db.clock.now())

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery task failed", exc_info=task.exception())
        if self._saturated:
            self.wake()  # more may be due than there was room for; otherwise new rows wake us themselves

    async def _deliver(self, item: outbox.Claimed) -> None:
        if not item.secrets:  # written claimed by this process: its secrets were not read with it
            item = dataclasses.replace(item, secrets=await self._signed_by(item.namespace))
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
        recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append((outbox.Outcome(item, result, started_at), recorded))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.get_running_loop().create_task(
                self._record(), context=contextvars.Context()
            )
        await recorded  # the slot stays taken until the outcome is stored

    async def _record(self) -> None:
        """Store every outcome there is in one transaction, again until none is left: the sends that end
        while one batch is stored make the next."""
        while self._outcomes:
            if len(self._outcomes) < len(self._inflight):
                await asyncio.sleep(GATHER_SECONDS)  # fewer, larger transactions; the callbacks are out
            batch, self._outcomes = self._outcomes, []
            try:
                statuses = await self._record_batch([o for o, _ in batch])
            except Exception:
                # One outcome that cannot be stored must not lose the others: each alone, once.
                log.exception("recording %d delivery attempts together failed; one by one", len(batch))
                statuses = []
                for outcome, _ in batch:
                    try:
                        statuses += await self._record_batch([outcome])
                    except Exception:  # its lease runs out and the attempt is retried
                        log.exception("recording a delivery attempt failed")
                        statuses.append(None)
            for (outcome, recorded), status in zip(batch, statuses, strict=True):
                try:
                    self._observe(outcome, status)
                except Exception:  # a metric or a log line must never hold a send's slot
                    log.exception("observing a delivery attempt failed")
                finally:
                    if not recorded.done():
                        recorded.set_result(None)

    async def _record_batch(self, outcomes: list[outbox.Outcome]) -> list[Any]:
        # Retried on a PostgreSQL deadlock: what reacts to a delivery going dead runs in this transaction too.
        return await self.db.run(
            lambda tx: outbox.record_many(
                tx,
                outcomes,
                worker=self.worker_id,
                schedule=self.settings.delivery_retry_schedule,
                jitter=self.settings.delivery_jitter,
                max_retry_after=self.settings.delivery_max_retry_after_seconds,
            )
        )

    def _observe(self, outcome: outbox.Outcome, status: str | None) -> None:
        item, result = outcome.claimed, outcome.result
        if status is None:
            return
        self.metrics.attempt(
            ok=result.ok,
            first=item.attempt == 1,
            seconds=result.duration_ms / 1000,
            event_type=item.event_type,
            since_event=(self.db.clock.now() - item.created_at).total_seconds(),
        )
        if status == "succeeded" and not log.isEnabledFor(logging.DEBUG):
            return  # the success path logs nothing at INFO: /metrics counts it, the attempt log keeps it
        extra = {"delivery_id": item.id, "event_id": item.event_id, "namespace": item.namespace}
        log.log(
            logging.DEBUG if status == "succeeded" else logging.INFO,
            "delivery attempt %d: %s (%s)",
            item.attempt,
            status,
            result.error or result.status_code,
            extra=extra,
        )

    def _tasks(self) -> list[asyncio.Task[Any]]:
        tasks: list[asyncio.Task[Any]] = list(self._inflight)
        for task in (self._drain_task, self._recorder):  # the recorder too: it may hold a transaction
            if task is not None:
                tasks.append(task)
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
