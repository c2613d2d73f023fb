"""HTTP delivery of one event: Standard Webhooks signing, no redirects, capped reads. No database."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from app import __version__
from app.deliveries.urlguard import AddressPolicy, GuardedBackend, Resolver, blocked_reason

SECRET_PREFIX = "whsec_"  # signing secrets are made in app.deliveries.signing


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with the secret's key."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def make_client(
    policy: AddressPolicy, *, timeout: float, resolver: Resolver, concurrency: int = 50
) -> httpx.AsyncClient:
    """The one shared client: every connection goes through the SSRF guard; redirects are not followed.
    As many connections are kept alive as sends may be in flight, so a full pool does not close and reopen
    them."""
    transport = httpx.AsyncHTTPTransport(retries=0)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=max(200, concurrency),
        max_keepalive_connections=max(50, concurrency),
        keepalive_expiry=30.0,
        network_backend=GuardedBackend(policy, resolver),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": f"Rendezvous/{__version__}"},
    )


@dataclass(frozen=True)
class SendResult:
    """What one attempt came to."""

    ok: bool
    status_code: int | None
    duration_ms: float
    error: str | None = None
    response_body: str | None = None
    retry_after: float | None = None
    blocked: bool = False

    @property
    def gone(self) -> bool:
        return self.status_code == 410


async def _post(
    client: httpx.AsyncClient, url: str, body: str, headers: dict[str, str], cap: int
) -> tuple[httpx.Response, bytes]:
    """POST and read at most ``cap`` bytes of the raw response body."""
    async with client.stream("POST", url, content=body.encode(), headers=headers) as response:
        captured = bytearray()
        async for chunk in response.aiter_raw():
            captured.extend(chunk[: max(0, cap - len(captured))])
            if len(captured) >= cap:
                break
    return response, bytes(captured)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    body: str,
    event_id: str,
    secrets_: list[str],
    extra_headers: dict[str, str],
    now: datetime,
    response_cap: int,
    deadline: float,
) -> SendResult:
    """POST the event once, within ``deadline`` seconds in all, and report the outcome; never raises."""
    timestamp = int(now.timestamp())
    signature = " ".join(sign(s, event_id, timestamp, body) for s in secrets_)
    headers = {
        **extra_headers,
        "content-type": "application/json",
        "accept-encoding": "identity",  # the cap counts bytes on the wire; no decompression bombs
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
    started = time.perf_counter()
    try:
        # One deadline for everything: DNS, connect, a slow-dripping response.
        async with asyncio.timeout(deadline):
            response, captured = await _post(client, url, body, headers, response_cap)
    except Exception as exc:  # every failure is an attempt to record, never a crashed worker
        elapsed = (time.perf_counter() - started) * 1000
        reason = blocked_reason(exc)
        if reason is not None:
            return SendResult(False, None, elapsed, error=reason, blocked=True)
        if isinstance(exc, TimeoutError):
            return SendResult(False, None, elapsed, error=f"timed out after {deadline:g} s")
        return SendResult(False, None, elapsed, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
    elapsed = (time.perf_counter() - started) * 1000
    code = response.status_code
    text = captured.decode("utf-8", "replace")
    ok = 200 <= code < 300
    error = None
    if not ok:
        error = f"HTTP {code}"
        if 300 <= code < 400:
            error += f" redirect to {response.headers.get('location', '?')} not followed"
    return SendResult(
        ok,
        code,
        elapsed,
        error=error,
        response_body=text[:1024],
        retry_after=parse_retry_after(response.headers.get("retry-after"), now),
    )
