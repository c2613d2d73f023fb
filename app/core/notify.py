"""In-process wake-ups: a resolution wakes the long-polls that wait on it."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

Key = tuple[str, str, str]  # (kind, namespace, id)


class Subscription:
    """One long-poll's interest in a key: set when a committed resolution of that key is published."""

    def __init__(self, notifier: Notifier, key: Key) -> None:
        self._notifier = notifier
        self.key = key
        self.event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait until the key is published or ``timeout`` passes; True if it was published."""
        with self._notifier._polling(self.key):
            try:
                await asyncio.wait_for(self.event.wait(), timeout)
            except TimeoutError:
                return False
        return True


class Notifier:
    """Long-polls subscribe to a key; a committed resolution publishes it."""

    def __init__(self) -> None:
        self._waiters: dict[Key, set[asyncio.Event]] = defaultdict(set)
        self._polls: Counter[Key] = Counter()  # long-polls waiting now, by key
        self._watched: dict[Key, asyncio.Event] = {}  # keys a test awaits ``polling`` on

    @contextmanager
    def subscribe(self, key: Key) -> Iterator[Subscription]:
        """Subscribe before reading the state, so a resolution in between is not missed."""
        subscription = Subscription(self, key)
        self._waiters[key].add(subscription.event)
        try:
            yield subscription
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(subscription.event)
                if not waiters:
                    del self._waiters[key]

    def publish(self, key: Key) -> None:
        for event in self._waiters.get(key, ()):
            event.set()

    async def polling(self, key: Key) -> None:
        """Return once a long-poll has read ``key`` unresolved and waits for its publication: tests await
        this instead of sleeping, so a resolution they cause next can only reach the poll as a wake-up."""
        while not self._polls[key]:
            await self._watched.setdefault(key, asyncio.Event()).wait()

    @contextmanager
    def _polling(self, key: Key) -> Iterator[None]:
        self._polls[key] += 1
        watched = self._watched.pop(key, None)
        if watched is not None:
            watched.set()
        try:
            yield
        finally:
            self._polls[key] -= 1
            if not self._polls[key]:
                del self._polls[key]
