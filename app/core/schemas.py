"""Field types shared by the request and response schemas."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.ids import CLIENT_ID_PATTERN, RESERVED_JOB_PATH, SUB_RESOURCES
from app.core.strictjson import string_problem

ClientId = Annotated[str, StringConstraints(pattern=CLIENT_ID_PATTERN)]
Seconds = Annotated[float, Field(gt=0, le=366 * 86400, description="A duration in seconds")]

# A path parameter holding a client id; ``/`` arrives percent-encoded and is decoded before matching.
PathId = Annotated[str, Path(pattern=CLIENT_ID_PATTERN, description="A client-chosen id")]


def _either(names: tuple[str, ...]) -> str:
    shown = [f"/{name}" for name in names]
    return " or ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 1 else shown)


_JOB_SEGMENTS = SUB_RESOURCES["jobs"]
_RESERVED_JOB_REASON = (
    f"a job id may not contain a {_either(_JOB_SEGMENTS.nested)} segment, nor end in "
    f"{_either(_JOB_SEGMENTS.leaves)} (those paths address the job's sub-resources)"
)


def not_reserved(value: str) -> str:
    if re.search(RESERVED_JOB_PATH, value):
        raise ValueError(_RESERVED_JOB_REASON)
    return value


JobId = Annotated[str, StringConstraints(pattern=CLIENT_ID_PATTERN), AfterValidator(not_reserved)]

MAX_JSON_BYTES = 64 << 10
MAX_JSON_DEPTH = 32


def storable(value: Any) -> Any:
    """The input edge's rule again, where a value is validated (a second line, for values that reach a
    schema some other way): strings both databases can store and every response can render (no U+0000, no
    lone surrogate), and only finite numbers."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            reason = string_problem(item)
            if reason is not None:
                raise ValueError(reason)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"must be a finite number (RFC 8259), not {item}")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


def _json_depth_limit(value: Any) -> Any:
    """Nested arrays and objects at most MAX_JSON_DEPTH deep (receivers' parsers have limits too)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"must not nest arrays and objects more than {MAX_JSON_DEPTH} deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return value


def _json_size_limit(value: Any) -> Any:
    if len(json.dumps(value, separators=(",", ":"), default=str)) > MAX_JSON_BYTES:
        raise ValueError(f"must serialise to at most {MAX_JSON_BYTES} bytes of JSON")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(storable)]
# Free-form JSON without the 64 KiB bound (a run's input has its own), still storable and at most 32 deep.
DeepBoundedJson = Annotated[Any, AfterValidator(storable), AfterValidator(_json_depth_limit)]
SmallJson = Annotated[
    Any, AfterValidator(storable), AfterValidator(_json_depth_limit), AfterValidator(_json_size_limit)
]


class Strict(BaseModel):
    """A request body: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", strict=True)
