"""Callbacks as clients give them, and deliveries as the API shows them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from app.core.schemas import SmallJson, Strict

DeliveryStatus = Literal["pending", "delivering", "succeeded", "dead"]
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
RESERVED_HEADERS = {"host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent"}


class Callback(Strict):
    """Where to POST an event, with extra headers and a payload echoed back unchanged."""

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    headers: Annotated[dict[str, Annotated[str, Field(max_length=2048)]], Field(max_length=20)] = {}
    payload: SmallJson = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise ValueError("must be an http or https URL")
        if not parts.hostname:
            raise ValueError("must name a host")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials; use headers")
        if port == 0:
            raise ValueError("port 0 is not allowed")
        return value

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header_value in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid header name")
            lowered = name.lower()
            if lowered in RESERVED_HEADERS or lowered.startswith("webhook-"):
                raise ValueError(f"{name!r} is set by the service and cannot be overridden")
            if any(c in header_value for c in "\r\n\x00"):
                raise ValueError(f"the value of {name!r} contains a line break or NUL")
        return value


class CallbackRead(BaseModel):
    url: str
    headers: dict[str, str]
    payload: Any


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
