"""What the deliverer reports of its attempts; the runtime wires in ``app.ops.metrics.Metrics``."""

from __future__ import annotations

from typing import Protocol


class AttemptMetrics(Protocol):
    def attempt(self, *, ok: bool, first: bool, seconds: float, event_type: str, since_event: float) -> None:
        """Count one callback attempt: its outcome, duration and, for a first attempt, its event's age."""
