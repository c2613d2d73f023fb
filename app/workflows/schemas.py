"""Handler and workflow-definition request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, ValidationInfo, WithJsonSchema, field_validator

from app.core.schemas import Seconds, Strict
from app.deliveries.schemas import SendableHeaders, SendableUrl
from app.workflows.models import HandlerRow, WorkflowRow, WorkflowVersionRow

MAX_IN_FLIGHT = 100_000
MAX_DEFINITION_BYTES = 256 << 10

# One fault or warning of a definition (WORKFLOWS.md, "Validation").
ISSUE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["loc", "code", "message"],
    "properties": {
        "loc": {"type": "string", "description": "A JSON pointer into the definition"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "steps": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The steps a graph fault involves",
        },
    },
}
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["field", "in", "reason"],
    "properties": {"field": {"type": "string"}, "in": {"type": "string"}, "reason": {"type": "string"}},
}
Issues = Annotated[list[dict[str, Any]], WithJsonSchema({"type": "array", "items": ISSUE_SCHEMA})]

DefinitionJson = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "A workflow definition: the phase form (distribot) or the DAG form (JobFlow); at "
            f"most {MAX_DEFINITION_BYTES} bytes as compact JSON",
            # Free-form as far as the request goes: what the compiler refuses is listed by code, not here.
            "properties": {
                "phases": {"description": "Phase form: a map of phases by name, or an array of {name, …}"},
                "tasks": {"description": "DAG form: a map of tasks by name"},
                "output": {"description": 'DAG form: the run\'s output, e.g. {"$ptr": "/steps/…"}'},
                "failure_mode": {"description": "DAG form: continue (default) or fail_fast"},
                "workflow": {"description": "When present, must equal the workflow's name"},
                "name": {"description": "When present, must equal the workflow's name"},
            },
            "additionalProperties": {},
        }
    ),
]
GraphJson = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "The compiled step graph: {entry, steps: [{name, kind, handlers, depends_on, "
            "on_success, on_error, final}]}",
        }
    ),
]

# The 422 of a definition with faults: ``errors`` lists each as {loc, code, message[, steps]} (other 422s of
# these routes, refused by the input edge or a parameter, list {field, in, reason} as everywhere).
DEFINITION_PROBLEM: dict[str, Any] = {
    "description": "Invalid definition (every fault, each {loc, code, message[, steps]}), or an invalid "
    "field or parameter ({field, in, reason})",
    "content": {
        "application/problem+json": {
            "schema": {
                "allOf": [{"$ref": "#/components/schemas/Problem"}],
                "properties": {
                    "errors": {"type": "array", "items": {"anyOf": [ISSUE_SCHEMA, FIELD_ERROR_SCHEMA]}},
                    "warnings": {"type": "array", "items": ISSUE_SCHEMA},
                },
            }
        }
    },
}


class HandlerPut(Strict):
    """A handler: the webhook endpoint that receives task messages, and defaults for its attempts."""

    url: SendableUrl
    headers: SendableHeaders = {}
    timeout_seconds: Seconds = Field(default=3600, description="Default deadline of an attempt")
    heartbeat_seconds: Seconds | None = Field(
        default=None, description="Default heartbeat interval of an attempt; at most timeout_seconds"
    )
    max_in_flight: Annotated[int, Field(ge=1, le=MAX_IN_FLIGHT)] | None = Field(
        default=None, description="Caps this handler's attempts in flight across all runs"
    )

    @field_validator("heartbeat_seconds")
    @classmethod
    def _heartbeat_within_timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        timeout = info.data.get("timeout_seconds")  # absent when it was refused itself
        if value is not None and timeout is not None and value > timeout:
            raise ValueError(f"must not exceed timeout_seconds ({timeout:g})")
        return value


class HandlerRead(BaseModel):
    name: str
    url: str
    headers: dict[str, str]
    timeout_seconds: float
    heartbeat_seconds: float | None
    max_in_flight: int | None
    in_flight: int = Field(description="Attempts of this handler dispatched and not yet finished")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: HandlerRow) -> Self:
        return cls.model_validate({k: v for k, v in row.items() if k != "namespace"})


class WorkflowVersionRead(BaseModel):
    """One version of a workflow, with what the compiler says of it now."""

    name: str
    version: int
    created_at: datetime
    definition: DefinitionJson
    graph: GraphJson
    warnings: Issues = Field(description="Warnings as of now, e.g. handler_not_registered")

    @classmethod
    def from_row(cls, row: WorkflowVersionRow, *, warnings: list[dict[str, Any]]) -> Self:
        return cls(
            name=row["name"],
            version=row["version"],
            created_at=row["created_at"],
            definition=row["definition"],
            graph=row["graph"],
            warnings=warnings,
        )


class WorkflowSummary(BaseModel):
    name: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool
    deleted_at: datetime | None

    @classmethod
    def from_row(cls, row: WorkflowRow) -> Self:
        return cls(
            name=row["name"],
            latest_version=row["latest_version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            deleted=row["deleted_at"] is not None,
            deleted_at=row["deleted_at"],
        )


class WorkflowDeleted(BaseModel):
    name: str
    deleted_at: datetime


class Validation(BaseModel):
    """What the compiler says of a definition; nothing is stored."""

    valid: bool
    errors: Issues
    warnings: Issues
    graph: GraphJson | None = Field(description="The compiled graph; null when the definition has faults")
