"""Server-made ids: a prefix and a ULID-style body, so ids sort by creation time."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"

CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$"


@dataclass(frozen=True)
class SubResources:
    """The path segments that follow a resource's id to address its own sub-resources: ``nested`` ones
    start a deeper path (``/v1/jobs/{id}/batches/…``), ``leaves`` end it (``/v1/jobs/{id}/complete``). An id
    may not contain them where they would be read as such, so a path always means one thing. The path
    convertors, the id validators and the body-size rules all read this one table."""

    nested: tuple[str, ...] = ()
    leaves: tuple[str, ...] = ()

    @property
    def pattern(self) -> str:
        """What an id of this resource may not contain: a nested segment anywhere, a leaf at its end."""
        parts = []
        if self.nested:
            parts.append(rf"/(?:{'|'.join(self.nested)})(?:/|$)")
        if self.leaves:
            parts.append(rf"/(?:{'|'.join(self.leaves)})$")
        return "|".join(parts)


SUB_RESOURCES = {
    "jobs": SubResources(nested=("batches", "sets"), leaves=("complete", "heartbeat", "seal")),
    "gathers": SubResources(leaves=("members", "explain", "jobs", "seal")),
}
RESERVED_JOB_PATH = SUB_RESOURCES["jobs"].pattern
RESERVED_GATHER_PATH = SUB_RESOURCES["gathers"].pattern
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
