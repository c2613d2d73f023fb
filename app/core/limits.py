"""The input edge: valid query strings naming only parameters their route takes, body size limits (413), then
standard JSON bodies (422), all enforced before anything parses the request."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import strictjson
from app.core.ids import SUB_RESOURCES
from app.core.problem import field_error, invalid_body, problem_body, send_problem
from app.core.requestctx import current_request_id
from app.core.routing import app_path, is_api

# Member lists (gathers, their additions; batches, their reports and sets) may be larger than other bodies.
_GATHER_JOBS = "jobs"
_BATCHES, _SETS = "batches", "sets"
assert _GATHER_JOBS in SUB_RESOURCES["gathers"].leaves and {_BATCHES, _SETS} <= set(
    SUB_RESOURCES["jobs"].nested
)
_MEMBER_LIST_ROUTES = {
    "POST": re.compile(rf"^/v1/(gathers(/.+/{_GATHER_JOBS})?|jobs/.+/{_BATCHES}(/[^/]+/report)?)/?$"),
    "PUT": re.compile(rf"^/v1/jobs/.+/{_BATCHES}/[^/]+/{_SETS}/[^/]+$"),
}
_NO_BODY = ("GET", "HEAD", "DELETE", "OPTIONS")
PARSE_INLINE_BYTES = 64 << 10
# A route as the query check sees it: its path pattern, its methods and the query parameters it takes.
RouteQuery = tuple[re.Pattern[str], frozenset[str], frozenset[str]]


class InputMiddleware:
    """Refuse what no route may see: query strings whose names or values are not valid UTF-8 or hold U+0000,
    or that name a parameter the route does not take (422 naming the parameter), bodies over the limit (413),
    and /v1 bodies that are not standard JSON of storable strings (422 naming each field, or 400 when too
    deep to parse). The body is read once and handed on. ``routes`` are the app's routes in the order the
    router tries them (see ``app.deps.query_names``); a request no route takes is left to the router."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, max_member_list_bytes: int, routes: Sequence[RouteQuery] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_member_list_bytes = max_member_list_bytes
        self.routes = routes

    def limit_for(self, scope: Scope) -> int:
        pattern = _MEMBER_LIST_ROUTES.get(scope.get("method", ""))
        if pattern is not None and pattern.match(app_path(scope)):
            return self.max_member_list_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query_string = scope.get("query_string", b"")
        if query_string:
            errors = query_problems(query_string) or self.unknown_query(scope, query_string)
            if errors:
                await send_problem(send, invalid_body(errors, request_id=current_request_id()))
                return
        if scope.get("method") in _NO_BODY:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reject(send, limit)
            return
        try:
            body = await read_body(receive, limit=limit)
        except BodyTooLarge:
            await _reject(send, limit)
            return
        if body is None:  # the client went away
            return
        if body and is_api(scope):
            # Every /v1 body is JSON, whatever Content-Type claims (a route that reads it as JSON and the
            # edge can then never disagree). The caller is known by now: no key, no parse.
            try:
                if len(body) > PARSE_INLINE_BYTES:  # keep the event loop serving while a big body parses
                    await asyncio.to_thread(strictjson.parse, body)
                else:
                    strictjson.parse(body)
            except strictjson.JsonRejected as exc:
                await _refuse(send, exc)
                return
        await self.app(scope, replaying(body, receive), send)

    def unknown_query(self, scope: Scope, query_string: bytes) -> list[dict[str, str]]:
        """An error for each query parameter the route this request reaches does not take."""
        method, path = scope.get("method", ""), app_path(scope)
        for pattern, methods, allowed in self.routes:
            if method in methods and pattern.match(path):
                # Named as the route reads them (Starlette's query_params parse the same way).
                pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
                given = {name for name, _ in pairs}
                return [
                    field_error(name, "this route takes no such parameter", "query")
                    for name in sorted(given - allowed)
                ]
        return []


def query_problems(query_string: bytes) -> list[dict[str, str]]:
    """Each query parameter whose name or value is not valid UTF-8 or holds a refused character."""
    errors: list[dict[str, str]] = []
    if not query_string:
        return errors
    for part in query_string.split(b"&"):
        raw_name, _, raw_value = part.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        name = name_bytes.decode("utf-8", "replace")
        for label, raw in (("name", name_bytes), ("value", unquote_to_bytes(raw_value.replace(b"+", b" ")))):
            try:
                reason = strictjson.string_problem(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                reason = f"must be percent-encoded UTF-8: invalid byte at offset {exc.start}"
            if reason is not None:
                errors.append(field_error(name or "query", f"the {label} {reason}", "query"))
    return errors


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, *, limit: int | None = None) -> bytes | None:
    """The whole request body, or None when the client disconnected first; BodyTooLarge past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then whatever the client sends next."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, exc: strictjson.JsonRejected) -> None:
    if exc.status == 422:
        await send_problem(send, invalid_body(exc.errors, request_id=current_request_id()))
        return
    body = problem_body(
        status=exc.status,
        slug="bad-request",
        title="Bad request",
        detail=exc.errors[0]["reason"],
        request_id=current_request_id(),
        errors=exc.errors,
    )
    await send_problem(send, body)


async def _reject(send: Send, limit: int) -> None:
    body = problem_body(
        status=413,
        slug="payload-too-large",
        title="Payload too large",
        detail=f"The request body exceeds the limit of {limit} bytes for this route.",
        request_id=current_request_id(),
        limit_bytes=limit,
    )
    await send_problem(send, body)
