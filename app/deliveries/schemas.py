"""Delivery response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

DeliveryStatus = Literal["pending", "delivering", "succeeded", "dead"]


class AttemptRead(BaseModel):
    attempt: int
    started_at: datetime
    duration_ms: float
    status_code: int | None
    error: str | None
    response_body: str | None


class DeliveryRead(BaseModel):
    id: str
    event_id: str
    event_type: str
    subject_kind: str
    subject_id: str
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryDetail(DeliveryRead):
    event: Any
    attempt_log: list[AttemptRead]


class NamespaceRead(BaseModel):
    name: str
    signing_secret: str
    created_at: datetime
