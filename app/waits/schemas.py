"""Wait request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.schemas import ClientId, Seconds, Strict
from app.deliveries.schemas import Callback, CallbackRead

MAX_EXPECTED = 10_000
WaitStatus = Literal["waiting", "resolved", "cancelled"]
WaitReason = Literal["quorum", "timeout"]


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


class ParticipantAdded(WaitRead):
    counted: bool = Field(description="False when this participant had already joined this wait")
