"""Path convertors for client ids that may contain ``/``, and the path the router matches. Import this module
before declaring routes.

``jobid`` and ``gatherid`` stop before the resource's own sub-resource segments, so ``/v1/jobs/{id:jobid}``
never swallows ``/v1/jobs/a/batches/1`` or ``/v1/jobs/a/seal``: a method a sub-resource does not have is a
405 instead of reaching the resource's own routes. ``clientid`` never starts with ``-/``, so
``/v1/waits/-/{wait_id}`` is never read as a group key; other bad ids still reach validation (422).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.convertors import Convertor, register_url_convertor

from app.core.ids import RESERVED_GATHER_PATH, RESERVED_JOB_PATH


class PathPart(Convertor[str]):
    """A string matching ``regex``, passed through unchanged."""

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def path_part(pattern: str) -> PathPart:
    class Part(PathPart):
        regex = pattern

    return Part()


def _stopping_before(reserved: str) -> str:
    return rf"(?:(?!{reserved})[\s\S])+"


register_url_convertor("jobid", path_part(_stopping_before(RESERVED_JOB_PATH)))
register_url_convertor("gatherid", path_part(_stopping_before(RESERVED_GATHER_PATH)))
register_url_convertor("clientid", path_part(r"(?!-/)[\s\S]+"))


def app_path(scope: MutableMapping[str, Any]) -> str:
    """The request's path below the app's mount point, as the router matches it: ``root_path`` removed
    when the path starts with it as a whole segment."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "").rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :]
    return path


def is_api(scope: MutableMapping[str, Any]) -> bool:
    """Whether the request is for the API (``/v1``): every such request has a caller, and a JSON body."""
    path = app_path(scope)
    return path == "/v1" or path.startswith("/v1/")
