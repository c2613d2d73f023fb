"""In-process wake-ups: a resolution wakes the long-polls that wait on it."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

Key = tuple[str, str, str]  # (kind, namespace, id)


class Notifier:
    """Long-polls subscribe to a key; a committed resolution publishes it."""

    def __init__(self) -> None:
        self._waiters: dict[Key, set[asyncio.Event]] = defaultdict(set)

    @contextmanager
    def subscribe(self, key: Key) -> Iterator[asyncio.Event]:
        """Subscribe before reading the state, so a resolution in between is not missed."""
        event = asyncio.Event()
        self._waiters[key].add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]

    def publish(self, key: Key) -> None:
        for event in self._waiters.get(key, ()):
            event.set()


async def wait_for(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set or ``timeout`` passes; True if it was set."""
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        return False
    return True
