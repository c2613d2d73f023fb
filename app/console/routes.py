"""/ui: the console, served by the service itself. Its pages are one HTML shell and a script that reads and
acts through the public API with the caller's key, so it can do nothing the API cannot, shows one key's
namespace, and offers buttons to write keys only. Static files, no build step, nothing from a CDN."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)
_TYPES = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
# Only this origin's script and style; the API is called on the same origin. No inline script at all.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _static(name: str) -> bytes:
    return resources.files("app.console").joinpath("static", name).read_bytes()


@router.api_route("/ui", methods=["GET", "HEAD"])
@router.api_route("/ui/{page:path}", methods=["GET", "HEAD"])
async def page(page: str = "") -> Response:
    """Every console page is the same shell; its script reads the path and query and draws the page."""
    if page.startswith("assets/"):
        name = page.removeprefix("assets/")
        if name in _TYPES:
            return Response(_static(name), media_type=_TYPES[name], headers=_HEADERS)
        return Response(status_code=404)
    return Response(_static("index.html"), media_type="text/html; charset=utf-8", headers=_HEADERS)
