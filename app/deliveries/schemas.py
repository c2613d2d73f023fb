"""Callbacks as clients give them, and deliveries as the API shows them."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, Field, field_validator

from app.core.schemas import SmallJson, Strict

DeliveryStatus = Literal["pending", "delivering", "succeeded", "dead"]
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
RESERVED_HEADERS = {"host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent"}


def _valid_host(host: str) -> bool:
    """An IP literal, or a DNS name of valid labels (IDNA hosts arrive here in their ASCII form)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


class Callback(Strict):
    """Where to POST an event, with extra headers and a payload echoed back unchanged."""

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    headers: Annotated[dict[str, Annotated[str, Field(max_length=2048)]], Field(max_length=20)] = {}
    payload: SmallJson = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            url = httpx.URL(value)  # the parser that will send it: what it refuses never gets stored
        except Exception as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if url.scheme not in ("http", "https"):
            raise ValueError("must be an http or https URL")
        if not url.host:
            raise ValueError("must name a host")
        if url.userinfo:
            raise ValueError("must not carry credentials; use headers")
        if url.port == 0:
            raise ValueError("port 0 is not allowed")
        if not _valid_host(url.raw_host.decode("ascii", "replace")):
            raise ValueError(f"{url.host!r} is not a valid host name or IP address")
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
            if not _HEADER_VALUE.match(header_value):
                raise ValueError(f"the value of {name!r} must be printable ASCII")
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
