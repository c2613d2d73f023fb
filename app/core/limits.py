"""Request body limits, enforced before the body is parsed (413 problem+json)."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problem import problem_body, send_problem
from app.core.requestctx import current_request_id

# Member lists (gathers, their additions; batches, their reports and sets) may be larger than other bodies.
_MEMBER_LIST_ROUTES = {
    "POST": re.compile(r"^/v1/(gathers(/.+/jobs)?|jobs/.+/batches(/[^/]+/report)?)/?$"),
    "PUT": re.compile(r"^/v1/jobs/.+/batches/[^/]+/sets/[^/]+$"),
}


class BodyLimitMiddleware:
    """Reject bodies over the limit with 413; read the body once and hand it on."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_member_list_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_member_list_bytes = max_member_list_bytes

    def limit_for(self, scope: Scope) -> int:
        pattern = _MEMBER_LIST_ROUTES.get(scope.get("method", ""))
        if pattern is not None and pattern.match(scope.get("path", "")):
            return self.max_member_list_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "DELETE", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reject(send, limit)
            return
        try:
            body = await read_body(receive, limit=limit)
        except BodyTooLarge:
            await _reject(send, limit)
            return
        if body is not None:  # None: the client went away
            await self.app(scope, replaying(body, receive), send)


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
