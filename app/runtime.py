"""Everything one app instance owns for its lifetime: engine, HTTP client, deliverer, scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.access.auth import KeyResolver, RateLimiter
from app.config import Settings
from app.core import replicas
from app.core.broadcast import Listener
from app.core.clock import Clock, SystemClock
from app.core.db import Database, make_engine
from app.core.notify import Notifier
from app.deliveries.sender import make_client
from app.deliveries.urlguard import AddressPolicy, Resolver, system_resolver
from app.deliveries.worker import Deliverer
from app.ops.metrics import Metrics
from app.ops.watch import Watches
from app.scheduler import Ticks, build_scheduler

log = logging.getLogger("rendezvous")


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    resolver: Resolver = system_resolver
    # (event type, handler): what reacts, inside the transaction, to events services publish
    subscriptions: Sequence[tuple[type, Any]] = ()
    db: Database = field(init=False)
    notifier: Notifier = field(init=False)
    deliverer: Deliverer = field(init=False)
    ticks: Ticks = field(init=False)
    scheduler: AsyncIOScheduler | None = field(init=False, default=None)
    listener: Listener | None = field(init=False, default=None)
    keys: KeyResolver = field(init=False)
    metrics: Metrics = field(init=False)
    limiter: RateLimiter = field(init=False)
    watches: Watches = field(init=False)
    _chained: dict[int, Any] = field(init=False, default_factory=dict)

    async def start(self) -> None:
        """Open the engine and client, wire the in-process signals, start the scheduler."""
        s = self.settings
        engine = make_engine(s.database_url, pool_size=s.db_pool_size)
        self.db = Database(
            engine, self.clock, inline_members=s.inline_members_limit, task_messages=s.task_messages
        )
        for event_type, handler in self.subscriptions:
            self.db.subscribe(event_type, handler)
        self.notifier = Notifier()
        self.keys = KeyResolver(self.db, s.api_key_cache_seconds)
        self.limiter = RateLimiter(s.rate_limit_per_second, s.rate_limit_burst)
        policy = AddressPolicy(s.effective_allow_cidrs)
        client = make_client(policy, resolver=self.resolver, concurrency=s.delivery_concurrency)
        self.metrics = Metrics()
        self.watches = Watches(self.db, streams=s.watch_streams)
        self._end_streams_on_exit()
        self.db.observer = self.metrics.observe
        self.deliverer = Deliverer(self.db, client, s, self.metrics)
        self.db.listeners["delivery"] = self.deliverer  # it also takes the deliveries this process writes
        self.db.listeners["signing"] = self.deliverer.forget_secrets
        self.db.listeners["resolved"] = self._publish
        self.ticks = Ticks(self.db, self.deliverer, s)
        if not self.db.is_sqlite:
            self.listener = Listener(self.db)
            await self.listener.start()
        await self._beat()  # before anything is claimed: a claim of a replica with no heartbeat is an orphan
        if s.scheduler_enabled:
            self.scheduler = build_scheduler(self.ticks, s)
            self.scheduler.start()
        self.deliverer.wake()

    @property
    def replica_id(self) -> str:
        """This process among the replicas: the id its heartbeat and its delivery claims carry."""
        return self.deliverer.worker_id

    async def _beat(self) -> None:
        try:
            await self.db.run(lambda tx: replicas.beat(tx, self.replica_id, self.deliverer.started_at))
        except Exception:  # no schema yet (readyz says so), or the database is away: the next beat tries
            log.warning("this replica's heartbeat could not be written", exc_info=True)

    async def _beating(self) -> None:
        """Beat until cancelled (while closing, when the scheduler no longer does)."""
        while True:
            await asyncio.sleep(self.settings.replica_heartbeat_seconds)
            await self._beat()

    def _publish(self, keys: list[Any]) -> None:
        for key in keys:
            self.notifier.publish(key)

    def _end_streams_on_exit(self) -> None:
        """On SIGTERM or SIGINT, end the event streams at once, beside what the server's own handler does:
        uvicorn waits for open responses before the app stops, and a stream would otherwise hold it for its
        graceful timeout. Each handler in place is chained to, and put back when the runtime stops."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to end
                    loop.call_soon_threadsafe(self.watches.close)
                if callable(previous):
                    previous(signum, frame)
                elif previous is not signal.SIG_IGN:  # the default action: as if this handler were not here
                    signal.signal(signum, signal.SIG_DFL)
                    signal.raise_signal(signum)

            self._chained[sig] = (previous, handler)
            signal.signal(sig, handler)

    def _restore_signals(self) -> None:
        for sig, (previous, handler) in self._chained.items():
            if signal.getsignal(sig) is handler:  # the server has not put its own back already
                signal.signal(sig, previous)
        self._chained.clear()

    async def stop(self) -> None:
        self._restore_signals()
        self.watches.close()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.listener is not None:
            await self.listener.stop()
        # Sends in flight may take up to the HTTP timeout to finish: keep beating meanwhile, or the other
        # replicas would take this one for stopped and send them again.
        beating = asyncio.get_running_loop().create_task(self._beating())
        try:
            await self.deliverer.close()
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
        try:  # what it still holds (sends cut off at shutdown) goes to the other replicas at once
            await self.db.run(lambda tx: replicas.leave(tx, self.deliverer.worker_id))
        except Exception:  # the database is away: the heartbeat goes stale instead
            log.exception("removing this replica's heartbeat failed")
        await self.deliverer.client.aclose()
        await self.db.engine.dispose()
