"""Typed errors and the one renderer: RFC 9457 application/problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.problem import field_error, invalid_body, problem_body
from app.core.requestctx import current_request_id


class AppError(Exception):
    """An error a client can act on; rendered as problem+json with ``status``."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class NotFound(AppError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Unauthorized(AppError):
    status = 401
    slug = "unauthorized"
    title = "Unauthorized"


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class TooManyRequests(AppError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"


class Conflict(AppError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class Invalid(AppError):
    status = 422
    slug = "validation"
    title = "Invalid request"


def problem(*, status: int, slug: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """Build a problem+json response carrying the request id in ``instance``."""
    body = problem_body(
        status=status, slug=slug, title=title, detail=detail, request_id=current_request_id(), **extra
    )
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where, rest = parts[0], parts[1:]
        return ".".join(rest) if rest else where
    return ".".join(parts)


def validation_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Turn pydantic errors into ``[{field, in, reason}]``."""
    out = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            reason = f"invalid JSON at character {loc[-1] if loc else '?'}: {detail}".rstrip(": ")
            out.append(field_error("body", reason))
            continue
        out.append(field_error(_field_name(loc), err.get("msg", "invalid"), str(loc[0]) if loc else "body"))
    return out


def validation_problem(errors: list[dict[str, Any]], **more: Any) -> JSONResponse:
    """422 naming each field and its reason."""
    body = invalid_body(errors, request_id=current_request_id(), **more)
    return JSONResponse(body, status_code=422, media_type="application/problem+json")


def render_app_error(exc: AppError) -> JSONResponse:
    """The problem+json response of an AppError (a 422 lists its ``errors``)."""
    if exc.status == 422 and "errors" in exc.extra:
        more = {k: v for k, v in exc.extra.items() if k != "errors"}
        response = validation_problem(exc.extra["errors"], **more)
    else:
        response = problem(status=exc.status, slug=exc.slug, title=exc.title, detail=exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as problem+json."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return render_app_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(validation_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        title = titles.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {request.method} {request.url.path}"
        if exc.status_code == 405:
            detail = f"Method {request.method} is not allowed on {request.url.path}"
            headers = {**(exc.headers or {}), "Allow": ", ".join(_allowed_methods(request))}
            exc = StarletteHTTPException(405, detail, headers=headers)
        response = problem(
            status=exc.status_code,
            slug=title.lower().replace(" ", "-"),
            title=title,
            detail=detail,
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (Starlette names only the first route's): probe each."""
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Document problem+json error responses on a route."""
    descriptions = {
        404: "Not found",
        400: "The body nests too deep to parse",
        401: "No valid API key, or more than one Authorization header (see WWW-Authenticate)",
        403: "The API key's role does not allow this",
        409: "Conflict with the current state",
        413: "Body too large",
        422: "Invalid request (each field and reason): the body is not standard JSON of valid Unicode, or a "
        "field or parameter is invalid",
        429: "Rate limit exceeded (see Retry-After)",
    }
    return {
        code: {
            "description": descriptions.get(code, "Error"),
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays this POST's first response for 24 h (422 with another body, 409 while it runs)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


def add_common_responses(schema: dict[str, Any]) -> None:
    """Document what every /v1 operation shares: bearer keys (401, 429), 404 for a resource not found (or a
    path no route matches), 422 for a bad or unknown parameter, and on writes 400 (a body too deep to parse)
    and 403 (a read key); every POST also takes an Idempotency-Key (409)."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key, rdv_…",
    }
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            operation["security"] = [{"bearer": []}]
            codes: tuple[int, ...] = (401, 404, 422, 429)
            if method not in ("get", "head"):
                codes += (400, 403)
            if method == "post":
                codes += (409,)
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            for code, spec in responses(*codes).items():
                operation.setdefault("responses", {}).setdefault(str(code), spec)
