"""Who is calling: the namespace a request acts in and its role. Resolved once per request, from its one
``Authorization`` header, by the caller middleware (``app.access.middleware``), which leaves it in the ASGI
scope; everything later reads it from there."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["read", "write", "admin"]
RANK: dict[Role, int] = {"read": 0, "write": 1, "admin": 2}
SCOPE_KEY = "rendezvous.caller"


@dataclass(frozen=True)
class Caller:
    """A resolved caller: the namespace it acts in, its role, and its key (None in dev mode)."""

    namespace: str
    role: Role
    key_id: str | None

    def can(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]


def scope_caller(scope: MutableMapping[str, Any]) -> Caller | None:
    """The caller resolved for this request (None outside /v1)."""
    caller: Caller | None = scope.get(SCOPE_KEY)
    return caller
