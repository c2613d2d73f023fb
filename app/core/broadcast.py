"""Replicas hear of each other's commits through PostgreSQL LISTEN/NOTIFY: a hint, never the arbiter."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import asyncpg

from app.core.db import Database

log = logging.getLogger("rendezvous.broadcast")
CHANNEL = "rendezvous_signals"


class Listener:
    """Holds one LISTEN connection; reconnects when it drops. Signals from this node are ignored."""

    def __init__(self, db: Database, *, check_every: float = 5.0) -> None:
        self.db = db
        self.check_every = check_every
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.db.broadcast_channel = CHANNEL
        await self._connect()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def _connect(self) -> None:
        url = self.db.engine.url.set(drivername="postgresql")
        try:
            self._conn = await asyncpg.connect(url.render_as_string(hide_password=False))
            await self._conn.add_listener(CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError):
            log.exception("LISTEN connection failed; replicas fall back to the scheduler's tick")
            self._conn = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            if self._conn is None or self._conn.is_closed():
                await self._connect()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, message: str) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            return
        if data.get("node") == self.db.node_id:
            return  # this process already acted on its own commit
        signals = data.get("signals")
        if not isinstance(signals, dict):
            return
        self.db.dispatch(
            {
                str(name): [tuple(p) if isinstance(p, list) else p for p in payloads]
                for name, payloads in signals.items()
            }
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
