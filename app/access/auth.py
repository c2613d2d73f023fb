"""Who is calling: API keys resolved (with a short cache) to a namespace and role; per-key rate limits."""

from __future__ import annotations

import time
from collections import OrderedDict

from app.access import reads, service
from app.core.caller import Caller
from app.core.db import Database

CACHE_ENTRIES = 10_000
MAX_KEY_LENGTH = 200


def bearer_token(header: str) -> str | None:
    """The ``rdv_…`` key of an ``Authorization: Bearer`` header, or None when it is not one."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(service.KEY_PREFIX) or len(token) > MAX_KEY_LENGTH:
        return None
    return token


class KeyResolver:
    """Presented key → Caller, cached for ``ttl`` seconds (revocation reaches other replicas within it)."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl
        self._cache: OrderedDict[str, tuple[Caller | None, float]] = OrderedDict()

    async def resolve(self, key: str) -> Caller | None:
        digest = service.hash_key(key)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        async with self.db.read() as conn:
            caller = await reads.find_caller(conn, key)
        if self.ttl > 0:
            self._cache[digest] = (caller, now + self.ttl)
            self._cache.move_to_end(digest)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return caller

    def forget(self, key_id: str) -> None:
        """Drop a revoked key from this process's cache at once."""
        for digest, (caller, _) in list(self._cache.items()):
            if caller is not None and caller.key_id == key_id:
                del self._cache[digest]


class RateLimiter:
    """A token bucket per key: ``rate`` requests per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> float:
        """Spend one token; 0 when allowed, else the seconds until the next token."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate
