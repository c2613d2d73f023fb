"""The RFC 9457 problem document, shared by the exception handlers and the ASGI middlewares."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send

PROBLEM_TYPE_BASE = "https://rendezvous.dev/problems/"


def problem_body(
    *, status: int, slug: str, title: str, detail: str, request_id: str, **extra: Any
) -> dict[str, Any]:
    """A problem document whose ``instance`` names the request."""
    return {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": f"urn:rendezvous:request:{request_id}",
        "request_id": request_id,
        **extra,
    }


async def send_problem(send: Send, body: dict[str, Any]) -> None:
    """Send a problem document straight from ASGI middleware."""
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": body["status"], "headers": headers})
    await send({"type": "http.response.body", "body": raw})
