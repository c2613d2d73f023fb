"""Request ids: taken from X-Request-Id or made, kept in a context variable for logs and problems. The
request's W3C trace context (``traceparent``, ``tracestate``), when valid, is kept beside it: the callbacks
and task messages the request causes carry it on."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problem import problem_body, send_problem

log = logging.getLogger("rendezvous.http")
access_log = logging.getLogger("rendezvous.access")
_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# Fields the request's handlers learn (the caller's namespace and key id) for every log line of the request.
_fields: ContextVar[dict[str, str] | None] = ContextVar("log_fields", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_trace: ContextVar[dict[str, str] | None] = ContextVar("trace_context", default=None)
# W3C Trace Context: version, trace id, parent id, flags, lowercase hex; version ff is invalid.
_TRACEPARENT = re.compile(r"^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")
# A tracestate list member: a key (lowercase, digits and _-*/, with an optional tenant@system) and a value.
_MEMBER = re.compile(
    r"^[a-z0-9][a-z0-9_\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$"
)


def current_request_id() -> str:
    return _request_id.get()


def current_trace() -> dict[str, str] | None:
    """The request's trace context as the headers to send on (``traceparent``, and ``tracestate`` when
    given), or None outside a request or when the request carried none that is valid."""
    return _trace.get()


def trace_context(headers: list[tuple[bytes, bytes]]) -> dict[str, str] | None:
    """The valid trace context of these request headers. A ``traceparent`` repeated or malformed is dropped
    with its ``tracestate``; one of a later version is read as version 00 (its first four fields) and sent on
    as 00. Repeated ``tracestate`` headers are joined; a malformed one is dropped alone."""
    parents = [v for n, v in headers if n == b"traceparent"]
    if len(parents) != 1:
        return None
    parent = parents[0].decode("latin-1").strip()
    later = not parent.startswith("00") and len(parent) > 55 and parent[55] == "-"
    if not _TRACEPARENT.match(parent[:55]) or (len(parent) != 55 and not later):
        return None
    flags = parent[53:55] if parent.startswith("00") else f"{int(parent[53:55], 16) & 0x01:02x}"
    found = {"traceparent": "00" + parent[2:53] + flags}  # a later version's flags: the sampled bit only
    state = _tracestate([v.decode("latin-1") for n, v in headers if n == b"tracestate"])
    if state:
        found["tracestate"] = state
    return found


def _tracestate(values: list[str]) -> str:
    """The ``tracestate`` to pass on: its list members (``key=value``) in order, empty ones skipped; none at
    all when a member is malformed, a key repeats or there are more than 32. Past 512 characters, members
    longer than 128 go first, then members from the end."""
    members = [m.strip() for v in values for m in v.split(",") if m.strip()]
    keys = [m.partition("=")[0] for m in members]
    if len(members) > 32 or len(set(keys)) != len(keys):
        return ""
    if not all(_MEMBER.match(m) for m in members):
        return ""
    if len(",".join(members)) > 512:
        members = [m for m in members if len(m) <= 128]
    while members and len(",".join(members)) > 512:
        members.pop()
    return ",".join(members)


@contextmanager
def no_trace() -> Iterator[None]:
    """Within: what is written carries no trace context (work of another subject than the request's)."""
    token = _trace.set(None)
    try:
        yield
    finally:
        _trace.reset(token)


def annotate(**values: str) -> None:
    """Add fields to every later log line of the current request."""
    fields = _fields.get()
    if fields is not None:
        fields.update(values)


class RequestIdMiddleware:
    """Give every request an id, echo it in ``X-Request-Id``, and expose it to logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":  # the last, when repeated
                given = value.decode("latin-1")
        request_id = given if _VALID.match(given) else "req_" + secrets.token_hex(8)
        id_header = (b"x-request-id", request_id.encode())
        token = _request_id.set(request_id)
        fields_token = _fields.set({})
        trace_token = _trace.set(trace_context(scope.get("headers", [])))
        began = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _send_500(send_with_id, request_id)
        finally:
            # The path holds the resource ids; headers (keys) and bodies are never logged.
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s",
                    scope.get("method"),
                    scope.get("path"),
                    status,
                    extra={"status": status, "ms": round((time.perf_counter() - began) * 1000, 2)},
                )
            _trace.reset(trace_token)
            _fields.reset(fields_token)
            _request_id.reset(token)


def internal_error(request_id: str) -> dict[str, Any]:
    """The problem document of an unexpected error."""
    return problem_body(
        status=500,
        slug="internal",
        title="Internal server error",
        detail="An unexpected error occurred; quote the request id when reporting it.",
        request_id=request_id,
    )


async def _send_500(send: Send, request_id: str) -> None:
    await send_problem(send, internal_error(request_id))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": _request_id.get(),
            **(_fields.get() or {}),
        }
        for key in ("namespace", "resource", "delivery_id", "event_id", "status", "ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """JSON logs on stderr for the rendezvous loggers."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("rendezvous")
    root.handlers = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    # A tick still running when its next run comes is skipped by design (max_instances=1): not a warning.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
