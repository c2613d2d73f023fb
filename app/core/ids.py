"""Server-made ids: a prefix and a ULID-style body, so ids sort by creation time."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"

CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$"
# A job id may not look like one of its own sub-resource paths: no ``/batches`` or ``/sets`` segment, and no
# ``/complete``, ``/heartbeat`` or ``/seal`` at the end.
RESERVED_JOB_PATH = r"/(?:batches|sets)(?:/|$)|/(?:complete|heartbeat|seal)$"
# Likewise a gather id never ends in the name of one of its own sub-resources.
RESERVED_GATHER_PATH = r"/(?:members|explain|jobs|seal)$"


_last = [0, 0]  # the millisecond and random part of the last id this process made
_lock = threading.Lock()


def new_id(prefix: str) -> str:
    """Return e.g. ``evt_01hx…``: 48 bits of milliseconds then 80 random bits, Crockford base32. Ids one
    process makes in the same millisecond (or after the clock stepped back) continue from the last one, so
    they sort in the order they were made, as the outbox's listing relies on."""
    now = int(time.time() * 1000)
    with _lock:
        if now <= _last[0]:
            now, rand = _last[0], (_last[1] + 1) % (1 << 80)
        else:
            rand = int.from_bytes(os.urandom(10), "big")
        _last[0], _last[1] = now, rand
    value = (now << 80) | rand
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"
