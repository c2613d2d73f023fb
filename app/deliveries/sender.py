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

from app import __version__
from app.deliveries.transport import WebhookClient
from app.deliveries.urlguard import AddressPolicy, Resolver, blocked_reason

SECRET_PREFIX = "whsec_"  # signing secrets are made in app.deliveries.signing
USER_AGENT = f"Rendezvous/{__version__}"


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with the secret's key."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def make_client(policy: AddressPolicy, *, resolver: Resolver, concurrency: int = 50) -> WebhookClient:
    """The one shared client: every new connection goes through the SSRF guard; redirects are not followed.
    As many connections are kept alive per origin as sends may be in flight, so a busy receiver's are reused
    rather than closed and reopened."""
    return WebhookClient(policy, resolver, max_idle=max(50, concurrency))


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


_OURS = frozenset(
    ("user-agent", "content-type", "accept-encoding", "webhook-id", "webhook-timestamp", "webhook-signature")
)


async def send(
    client: WebhookClient,
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
        # A callback's own headers may not stand in for ours, in any capitalisation.
        **{k: v for k, v in extra_headers.items() if k.lower() not in _OURS},
        "user-agent": USER_AGENT,
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
            response = await client.post(url, headers, body.encode(), response_cap)
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
    text = response.body.decode("utf-8", "replace")
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
