"""The Idempotency-Key middleware: claims a record per (namespace, key), runs or replays the request."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access.auth import bearer_token
from app.access.idempotency import Claim, abandon, claim, fingerprint, finish
from app.core.problem import problem_body, send_problem
from app.core.requestctx import current_request_id
from app.runtime import Runtime

HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Responses that carry a secret are not stored: their repeat is a 409 instead of a replay.
_SECRET_ROUTES = re.compile(r"^/v1/(keys|namespace/rotate-signing-secret)/?$")
_NOT_RECORDED = {401, 403, 429}
POLL_SECONDS = 0.05


class IdempotencyMiddleware:
    """Applies Idempotency-Key to POST requests; everything else passes through untouched."""

    def __init__(self, app: ASGIApp, *, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        if scope["type"] != "http" or scope["method"] != "POST" or HEADER not in headers:
            await self.app(scope, receive, send)
            return
        key = headers[HEADER].decode("latin-1")
        if not _VALID_KEY.match(key):
            await _problem(
                send,
                422,
                "validation",
                "Invalid request",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            return
        namespace = await self._namespace(headers)
        if namespace is None:  # no valid key: the route answers 401 itself
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        print_ = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        outcome = await self._claim(namespace, key, print_)
        if outcome.action == "run":
            await self._run(scope, body, send, namespace, key)
        elif outcome.action == "replay":
            await _replay(send, outcome.row or {}, secret=_SECRET_ROUTES.match(scope["path"]) is not None)
        elif outcome.action == "mismatch":
            await _problem(
                send,
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "this Idempotency-Key was used with another request (method, path or body) in the last 24 h",
            )
        else:
            await _problem(
                send,
                409,
                "idempotency-key-in-use",
                "Request in progress",
                "a request with this Idempotency-Key is still in progress; retry later",
            )

    async def _namespace(self, headers: dict[bytes, bytes]) -> str | None:
        settings = self.runtime.settings
        raw = headers.get(b"authorization")
        if raw is None:
            return settings.default_namespace if settings.dev else None
        token = bearer_token(raw.decode("latin-1"))
        caller = await self.runtime.keys.resolve(token) if token else None
        return caller.namespace if caller is not None else None

    async def _claim(self, namespace: str, key: str, print_: str) -> Claim:
        s = self.runtime.settings
        lease, ttl = timedelta(seconds=s.idempotency_lease_seconds), timedelta(hours=s.idempotency_ttl_hours)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + s.idempotency_wait_seconds
        while True:
            outcome = await self.runtime.db.run(
                lambda tx: claim(tx, namespace=namespace, key=key, fingerprint=print_, lease=lease, ttl=ttl)
            )
            if outcome.action != "busy" or loop.time() >= give_up:
                return outcome
            await asyncio.sleep(POLL_SECONDS)

    async def _run(self, scope: Scope, body: bytes, send: Send, namespace: str, key: str) -> None:
        status, content_type, chunks = 500, None, []
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = (
                    dict(message.get("headers", [])).get(b"content-type", b"").decode("latin-1") or None
                )
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await self._settle(scope, namespace, key, status, content_type, b"".join(chunks))

    async def _settle(
        self, scope: Scope, namespace: str, key: str, status: int, content_type: str | None, body: bytes
    ) -> None:
        if status >= 500 or status in _NOT_RECORDED:
            await self.runtime.db.run(lambda tx: abandon(tx, namespace=namespace, key=key))
            return
        stored = None if _SECRET_ROUTES.match(scope["path"]) else body
        await self.runtime.db.run(
            lambda tx: finish(
                tx, namespace=namespace, key=key, status=status, content_type=content_type, body=stored
            )
        )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(send: Send, row: dict[str, Any], *, secret: bool) -> None:
    if secret or row.get("response_body") is None:
        await _problem(
            send,
            409,
            "idempotency-key-in-use",
            "Not replayable",
            "the first response to this Idempotency-Key carried a secret, which is never stored; "
            "list the resources to find what it made",
        )
        return
    body: bytes = row["response_body"]
    headers = [
        (b"content-type", (row["response_type"] or "application/json").encode("latin-1")),
        (b"content-length", str(len(body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": row["response_status"], "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, status: int, slug: str, title: str, detail: str) -> None:
    body = problem_body(status=status, slug=slug, title=title, detail=detail, request_id=current_request_id())
    if status == 422:
        body["errors"] = [{"field": "Idempotency-Key", "in": "header", "reason": detail}]
    await send_problem(send, body)
