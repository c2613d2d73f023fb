"""Callbacks as clients give them, and deliveries as the API shows them."""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import datetime
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, BaseModel, Field

from app.core.schemas import SmallJson, Strict
from app.deliveries.models import AttemptRow, DeliveryRow, DeliveryStatus

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
RESERVED_HEADERS = {"host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent"}


_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0[xX][0-9A-Fa-f]*)$")


def _host_problem(host: str) -> str | None:
    """Why ``host`` is not one the sender can use as written, or None: an IP literal, or a DNS name of valid
    labels (IDNA hosts arrive here in their ASCII form). A name whose last label is a number is an IPv4
    address to URL parsers and resolvers alike (``0x7f.1`` is 127.0.0.1): it must be a plain dotted quad."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        return f"{host!r} is not a valid host name or IP address"
    if _NUMERIC_LABEL.match(labels[-1]):
        return f"{host!r} ends in a number but is not an IPv4 address in dotted-decimal form (a.b.c.d)"
    return None


def sendable_url(value: str) -> str:
    """An http(s) URL as the sender will use it: parsed by httpx (what it refuses never gets stored), with a
    host it can resolve as written, a port it can connect to, and no credentials."""
    try:
        url = httpx.URL(value)
    except Exception as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if not url.host:
        raise ValueError("must name a host")
    if url.userinfo:
        raise ValueError("must not carry credentials; use headers")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise ValueError(f"port {url.port} is out of range (1 to 65535)")
    problem = _host_problem(url.raw_host.decode("ascii", "replace"))
    if problem is not None:
        raise ValueError(problem)
    return value


SendableUrl = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(sendable_url)]


def sendable_headers(value: dict[str, str]) -> dict[str, str]:
    """Extra request headers: valid names, printable ASCII values, none the service sets itself."""
    for name, header_value in value.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid header name")
        lowered = name.lower()
        if lowered in RESERVED_HEADERS or lowered.startswith("webhook-"):
            raise ValueError(f"{name!r} is set by the service and cannot be overridden")
        if not _HEADER_VALUE.match(header_value):
            raise ValueError(f"the value of {name!r} must be printable ASCII")
    return value


# Headers sent with each delivery to a URL (callbacks, workflow handlers).
SendableHeaders = Annotated[
    dict[str, Annotated[str, Field(max_length=2048)]], Field(max_length=20), AfterValidator(sendable_headers)
]


class Callback(Strict):
    """Where to POST an event, with extra headers and a payload echoed back unchanged."""

    url: SendableUrl
    headers: SendableHeaders = {}
    payload: SmallJson = None


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

    @classmethod
    def from_row(cls, row: AttemptRow) -> AttemptRead:
        return cls.model_validate(row)


class DeliveryRead(BaseModel):
    id: str
    event_id: str
    event_type: str
    subject_kind: str
    subject_id: str
    url: str
    status: DeliveryStatus
    attempts: int
    interrupted: int = Field(
        description="Attempts cut off by the replica that made them stopping (not counted against the retry "
        "schedule)"
    )
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def from_row(cls, row: DeliveryRow) -> DeliveryRead:
        return cls.model_validate(row)


class DeliveryDetail(DeliveryRead):
    event: Any
    attempt_log: list[AttemptRead]

    @classmethod
    def with_attempts(cls, row: DeliveryRow, attempts: list[AttemptRow]) -> DeliveryDetail:
        """The delivery, its event (the body it sends) and every attempt."""
        return cls.model_validate(
            {
                **row,
                "event": json.loads(row["body"]),
                "attempt_log": [AttemptRead.from_row(a) for a in attempts],
            }
        )
