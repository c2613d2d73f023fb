"""Wait request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field

from app.core.schemas import ClientId, Seconds, Strict
from app.deliveries.schemas import Callback, CallbackRead
from app.waits.models import WaitReason, WaitRow, WaitStatus

MAX_EXPECTED = 10_000


class ParticipantAdd(Strict):
    """Join a wait, opening it on the first add. Settings are last-writer-wins; every add resets the timer."""

    participant_key: ClientId
    expected_participants: Annotated[int, Field(ge=1, le=MAX_EXPECTED)]
    wait_seconds: Seconds
    callback: Callback
    max_wait_seconds: Seconds | None = Field(
        default=None,
        description="Caps the wait, counted from its first add, however often the timer is reset",
    )
    refire_on_quorum_after_timeout: bool = Field(
        default=False, description="After a timeout, keep the wait open for one later quorum event"
    )


class WaitRead(BaseModel):
    id: str
    group_key: str
    status: WaitStatus
    reason: WaitReason | None = Field(description="What fired last: quorum or timeout; null before any event")
    expected: int
    participant_count: int
    participants: list[str] = Field(description="Participant keys in join order (the first 1,000)")
    wait_seconds: float
    max_wait_seconds: float | None
    refire_on_quorum_after_timeout: bool
    callback: CallbackRead
    created_at: datetime
    last_added_at: datetime
    deadline_at: datetime | None
    timed_out_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def from_row(cls, row: WaitRow, *, participants: list[str], **extra: Any) -> Self:
        """The wait as the API shows it, with the first participant keys (and any fields a subclass adds)."""
        return cls(
            id=row["id"],
            group_key=row["group_key"],
            status=row["status"],
            reason=row["reason"],
            expected=row["expected"],
            participant_count=row["participant_count"],
            participants=participants,
            wait_seconds=row["wait_seconds"],
            max_wait_seconds=row["max_wait_seconds"],
            refire_on_quorum_after_timeout=row["refire_on_quorum_after_timeout"],
            callback=row["callback"],
            created_at=row["created_at"],
            last_added_at=row["last_added_at"],
            deadline_at=row["deadline_at"],
            timed_out_at=row["timed_out_at"],
            resolved_at=row["resolved_at"],
            **extra,
        )


class ParticipantAdded(WaitRead):
    counted: bool = Field(description="False when this participant had already joined this wait")
