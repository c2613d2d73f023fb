"""The caller middleware (who is calling, once per request, before any body is read) and the Idempotency-Key
middleware (claims a record per (namespace, key), then runs or replays the request)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import math
import re
from datetime import timedelta
from typing import Protocol, cast

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access import idempotency
from app.access.auth import KeyResolver, RateLimiter, bearer_token
from app.access.models import IdempotencyRow
from app.config import Settings
from app.core.caller import SCOPE_KEY, Caller, scope_caller
from app.core.clock import Clock
from app.core.db import Database, Tx, before_commit
from app.core.ids import new_id
from app.core.limits import read_body, replaying
from app.core.problem import field_error, problem_body, send_problem
from app.core.requestctx import annotate, current_request_id, internal_error
from app.core.routing import app_path, is_api

HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Responses that carry a secret are not stored: their repeat is a 409 instead of a replay.
_SECRET_ROUTES = re.compile(r"^/v1/(keys|namespace/rotate-signing-secret)/?$")
_NOT_RECORDED = {401, 403, 429}
POLL_SECONDS = 0.05


AUTHORIZATION = b"authorization"
READS = ("GET", "HEAD", "OPTIONS")
_CHALLENGE = 'Bearer realm="rendezvous"'


class Parts(Protocol):
    """What the middlewares use of the app's runtime. They are built with the app, its parts only when the
    lifespan starts, so each request reads them here (``app.runtime.Runtime`` is one)."""

    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def keys(self) -> KeyResolver: ...
    @property
    def limiter(self) -> RateLimiter: ...
    @property
    def replica_id(self) -> str: ...


class Refusal(Exception):
    """Why a request's caller is not let in: a problem document and its headers."""

    def __init__(self, status: int, slug: str, title: str, detail: str, headers: dict[str, str]) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.headers = status, slug, title, detail, headers


def _unauthorized(detail: str, error: str | None = None) -> Refusal:
    challenge = _CHALLENGE + (f', error="{error}"' if error else "")
    return Refusal(401, "unauthorized", "Unauthorized", detail, {"WWW-Authenticate": challenge})


class CallerMiddleware:
    """Resolves the caller of every /v1 request from its one ``Authorization`` header, before the body is
    read: a request without a valid key is a 401 whatever its body, a read key writing is a 403, a spent rate
    limit is a 429. The caller is left in the scope, where the idempotency layer and the routes read it."""

    def __init__(self, app: ASGIApp, *, settings: Settings, parts: Parts) -> None:
        self.app = app
        self.settings = settings
        self.parts = parts
        self.dev_caller = Caller(settings.default_namespace, "admin", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api(scope):
            await self.app(scope, receive, send)
            return
        try:
            caller = await self.resolve(scope)
        except Refusal as refusal:
            body = problem_body(
                status=refusal.status,
                slug=refusal.slug,
                title=refusal.title,
                detail=refusal.detail,
                request_id=current_request_id(),
            )
            headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in refusal.headers.items()]
            await send_problem(send, body, headers)
            return
        scope[SCOPE_KEY] = caller
        annotate(namespace=caller.namespace, key_id=caller.key_id or "-")
        await self.app(scope, receive, send)

    async def resolve(self, scope: Scope) -> Caller:
        """The caller behind ``Authorization: Bearer rdv_…``; in dev mode a request without the header is the
        default namespace's admin. Two or more Authorization headers are refused, never chosen between."""
        settings = self.settings
        given = [value for name, value in scope.get("headers", []) if name == AUTHORIZATION]
        if len(given) > 1:
            detail = f"exactly one Authorization header is allowed; this request has {len(given)}"
            raise _unauthorized(detail, "invalid_request")
        if not given:
            if settings.dev:
                return self.dev_caller
            raise _unauthorized("an API key is required: Authorization: Bearer rdv_…")
        token = bearer_token(given[0].decode("latin-1"))
        if token is None:
            raise _unauthorized("the Authorization header must be: Bearer rdv_…", "invalid_token")
        caller = await self.parts.keys.resolve(token)
        if caller is None:
            raise _unauthorized("the API key is not valid (unknown or revoked)", "invalid_token")
        limiter = self.parts.limiter
        if limiter.enabled:
            wait = limiter.take(caller.key_id or caller.namespace)
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                detail = f"rate limit exceeded; retry after {retry} s"
                raise Refusal(429, "rate-limited", "Too many requests", detail, {"Retry-After": retry})
        if scope.get("method") not in READS and not caller.can("write"):
            raise Refusal(403, "forbidden", "Forbidden", "this API key may only read", {})
        return caller


class IdempotencyMiddleware:
    """Applies Idempotency-Key to POST requests; everything else passes through untouched."""

    def __init__(self, app: ASGIApp, *, settings: Settings, parts: Parts) -> None:
        self.app = app
        self.settings = settings
        self.parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = (
            [value for name, value in scope.get("headers", []) if name == HEADER]
            if scope["type"] == "http" and scope["method"] == "POST"
            else []
        )
        caller = scope_caller(scope)
        if not given or caller is None:  # outside /v1 there is no caller, and no idempotency
            await self.app(scope, receive, send)
            return
        if len(given) > 1:
            detail = "exactly one Idempotency-Key header is allowed"
            await _problem(send, 422, "validation", "Invalid request", detail)
            return
        key = given[0].decode("latin-1")
        if not _VALID_KEY.match(key):
            await _problem(
                send, 422, "validation", "Invalid request", "must be 1 to 255 visible ASCII characters"
            )
            return
        body = await read_body(receive)
        if body is None:  # the client went away
            return
        owner = new_id("idm")
        print_ = idempotency.fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        outcome = await self._claim(caller.namespace, key, print_, owner)
        if outcome.action == "run":
            await self._run(scope, receive, body, send, caller.namespace, key, owner)
        elif outcome.action == "replay":
            await _replay(send, outcome.row, secret=_SECRET_ROUTES.match(app_path(scope)) is not None)
        elif outcome.action == "mismatch":
            detail = (
                "this Idempotency-Key was used with another request (method, path or body) in the last 24 h"
            )
            await _problem(send, 422, "idempotency-key-reused", "Idempotency-Key reused", detail)
        elif outcome.action == "lost":
            detail = (
                "the request with this Idempotency-Key completed, but its answer was lost; read the resource"
            )
            await _problem(send, 409, "idempotency-answer-lost", "Answer lost", detail)
        else:
            detail = "a request with this Idempotency-Key is still in progress; retry later"
            await _problem(send, 409, "idempotency-key-in-use", "Request in progress", detail)

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.idempotency_lease_seconds)

    async def _claim(self, namespace: str, key: str, print_: str, owner: str) -> idempotency.Claim:
        """Claim the key; while a twin runs, poll (reads only) for its answer, up to the configured wait."""
        s, db = self.settings, self.parts.db
        lease, ttl = self._lease(), timedelta(hours=s.idempotency_ttl_hours)

        async def attempt() -> idempotency.Claim:
            return await db.run(
                lambda tx: idempotency.claim(
                    tx,
                    namespace=namespace,
                    key=key,
                    fingerprint=print_,
                    owner=owner,
                    lease=lease,
                    ttl=ttl,
                    replica=self.parts.replica_id,
                    stale_after=s.replica_stale_seconds,
                )
            )

        outcome = await attempt()
        loop = asyncio.get_running_loop()
        give_up = loop.time() + s.idempotency_wait_seconds
        while outcome.action == "busy" and loop.time() < give_up:
            await asyncio.sleep(POLL_SECONDS)
            async with db.read() as conn:
                row = await idempotency.peek(conn, namespace=namespace, key=key)
                now = self.parts.clock.now()
                done = row is None or row["state"] == "done" or not idempotency.held(row, now)
                stopped = not done and await idempotency.orphaned(
                    conn, cast(IdempotencyRow, row), self.parts.replica_id, now, s.replica_stale_seconds
                )
            if done or stopped:  # its replica stopped: the claim is taken over
                outcome = await attempt()
        return outcome

    async def _run(
        self, scope: Scope, receive: Receive, body: bytes, send: Send, namespace: str, key: str, owner: str
    ) -> None:
        status, content_type, chunks = 500, None, []

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

        async def mark(tx: Tx) -> None:
            await idempotency.mark_committed(tx, namespace=namespace, key=key, owner=owner)

        # The renewer's own transactions must not carry the hook: it starts in a fresh context.
        renewer = asyncio.get_running_loop().create_task(
            self._renew(namespace, key, owner), context=contextvars.Context()
        )
        token = before_commit.set(mark)
        try:
            await self.app(scope, replaying(body, receive), capture)
        except Exception:
            if not chunks:  # the outer middleware answers with this very document; store the same bytes
                content_type = "application/problem+json"
                chunks.append(json.dumps(internal_error(current_request_id())).encode())
            raise
        finally:
            before_commit.reset(token)
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self._settle(scope, namespace, key, owner, status, content_type, b"".join(chunks))

    async def _renew(self, namespace: str, key: str, owner: str) -> None:
        """Keep the lease while the request runs, so a slow request is never taken over and run twice."""
        lease = self._lease()
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            await self.parts.db.run(
                lambda tx: idempotency.renew(tx, namespace=namespace, key=key, owner=owner, lease=lease)
            )

    async def _settle(
        self,
        scope: Scope,
        namespace: str,
        key: str,
        owner: str,
        status: int,
        content_type: str | None,
        body: bytes,
    ) -> None:
        db = self.parts.db
        if status >= 500 or status in _NOT_RECORDED:
            # The record, not this process, knows whether the work committed (a commit can fail after the
            # mark was written inside it): abandon only a claim that is still merely running.
            async with db.read() as conn:
                row = await idempotency.peek(conn, namespace=namespace, key=key)
            if row is not None and row["owner"] == owner and row["state"] == "running":
                await db.run(lambda tx: idempotency.abandon(tx, namespace=namespace, key=key, owner=owner))
                return
        stored = None if _SECRET_ROUTES.match(app_path(scope)) else body
        await db.run(
            lambda tx: idempotency.finish(
                tx,
                namespace=namespace,
                key=key,
                owner=owner,
                status=status,
                content_type=content_type,
                body=stored,
            )
        )


async def _replay(send: Send, row: IdempotencyRow | None, *, secret: bool) -> None:
    if secret or row is None or row["response_body"] is None:
        detail = (
            "the first response to this Idempotency-Key carried a secret, which is never stored; "
            "list the resources to find what it made"
        )
        await _problem(send, 409, "idempotency-key-in-use", "Not replayable", detail)
        return
    body = row["response_body"]
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
        body["errors"] = [field_error("Idempotency-Key", detail, "header")]
    await send_problem(send, body)
