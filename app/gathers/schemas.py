"""Gather request and response bodies."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from app.core.schemas import ClientId, Seconds, SmallJson, Strict
from app.jobs.schemas import JobStatus

MAX_GATHER_JOBS = 100_000
GatherStatus = Literal["waiting", "succeeded", "completed", "failed", "timed_out", "cancelled"]
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


JobIds = Annotated[list[ClientId], Field(max_length=MAX_GATHER_JOBS)]


def _no_duplicates(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        dupes = sorted(v for v, n in Counter(value).items() if n > 1)
        raise ValueError(f"job ids must be unique; repeated: {', '.join(dupes[:10])}")
    return value


class GatherCreate(Strict):
    """Create a gather over ``job_ids``; unknown ids are registered as pending."""

    id: ClientId | None = None
    job_ids: JobIds
    callback: Callback | None = None
    failure_callback: Callback | None = None
    on_failure: Literal["wait_all", "fail_fast"] = "wait_all"
    timeout_seconds: Seconds | None = None
    poll_interval_seconds: Seconds | None = 2.0
    max_attempts: Annotated[int, Field(ge=1, le=1_000_000)] | None = 10
    include_outputs: bool = True
    sealed: bool = True

    _unique = field_validator("job_ids")(_no_duplicates)


class GatherAddJobs(Strict):
    """More members for an unsealed gather; ids already in it are ignored."""

    job_ids: Annotated[JobIds, Field(min_length=1)]

    _unique = field_validator("job_ids")(_no_duplicates)


class CallbackRead(BaseModel):
    url: str
    headers: dict[str, str]
    payload: Any


class GatherRead(BaseModel):
    id: str
    status: GatherStatus
    sealed: bool
    on_failure: str
    include_outputs: bool
    total: int
    done: int
    succeeded: int
    failed: int
    pending: int
    pending_job_ids: list[str] = Field(description="The first 100 members that have not finished")
    callback: CallbackRead | None
    failure_callback: CallbackRead | None
    timeout_seconds: float | None
    poll_interval_seconds: float | None
    max_attempts: int | None
    deadline_at: datetime | None
    created_at: datetime
    resolved_at: datetime | None


class MemberRead(BaseModel):
    id: str
    position: int
    status: JobStatus
    output: Any = None
    error: Any = None


class GatherExplain(BaseModel):
    id: str
    status: GatherStatus
    resolved: bool
    reasons: list[str]
    missing_job_ids: list[str]
    failed_job_ids: list[str]
    deadline_at: datetime | None
    seconds_to_deadline: float | None
