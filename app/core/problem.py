"""The RFC 9457 problem document, shared by the exception handlers and the ASGI middlewares."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Send

PROBLEM_TYPE_BASE = "https://rendezvous.dev/problems/"
MAX_LISTED_ERRORS = 50


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


def field_error(field: str, reason: str, where: str = "body") -> dict[str, str]:
    """One entry of a 422's ``errors``: which field (a dotted path), where it was (body, query, path,
    header), and why it was refused."""
    return {"field": field, "in": where, "reason": reason}


def invalid_body(errors: list[dict[str, Any]], *, request_id: str, **more: Any) -> dict[str, Any]:
    """The 422 document naming each field and its reason (the first MAX_LISTED_ERRORS of them)."""
    listed = errors[:MAX_LISTED_ERRORS]
    fields = ", ".join(dict.fromkeys(f"{e['field']} ({e['reason']})" for e in listed))
    extra: dict[str, Any] = {**more, "errors": listed}
    if len(errors) > len(listed):
        extra["errors_truncated"] = len(errors) - len(listed)
    return problem_body(
        status=422,
        slug="validation",
        title="Invalid request",
        detail=f"Invalid fields: {fields}",
        request_id=request_id,
        **extra,
    )


async def send_problem(
    send: Send, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a problem document straight from ASGI middleware, with any extra ``headers``."""
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(raw)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": body["status"], "headers": headers})
    await send({"type": "http.response.body", "body": raw})
