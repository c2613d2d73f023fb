"""Request and response models of runs: create, read, items, explain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator

from app.core.schemas import DeepBoundedJson, SmallJson, Strict, storable
from app.deliveries.schemas import Callback, CallbackRead
from app.workflows.graph import STEP_NAME_PATTERN
from app.workflows.run_context import ATTEMPT_ID
from app.workflows.run_models import ItemRow, ItemStatus, RunRow, RunStatus, StepStatus
from app.workflows.throttles import HOLDERS_SHOWN

# A client id without ``/`` and at most 100 characters: attempt ids (``{run}:{step}:{n}:a{k}``) then fit the
# 200-character job id, and ``/v1/runs/{id}/…`` paths mean one thing.
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$"
RunEvent = Literal[
    "run.cancelled",
    "run.paused",
    "run.resumed",
    "run.redriven",
    "phase.entered",
    "step.succeeded",
    "step.completed",
    "step.failed",
    "step.skipped",
    "task.failed",
    "task.retry_scheduled",
]
MAX_INPUT_BYTES = 4 << 20


class RunCreate(Strict):
    """Start a run of the workflow's latest version."""

    id: Annotated[str, Field(pattern=RUN_ID_PATTERN)] | None = None
    input: DeepBoundedJson = None
    callback: Callback | None = None
    failure_callback: Callback | None = None
    events: Annotated[list[RunEvent], Field(max_length=20)] = []
    timeout_seconds: Annotated[float, Field(gt=0, le=366 * 86400)] | None = None
    metadata: SmallJson | None = None

    @field_validator("id")
    @classmethod
    def _not_an_attempt(cls, value: str | None) -> str | None:
        if value is not None and ATTEMPT_ID.match(value):
            raise ValueError("must not have the form of an attempt's id ({run}:{step}:{n}:a{k})")
        return value


class RunCancel(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(storable)] | None = None


class RunRerun(Strict):
    from_step: Annotated[
        str, Field(pattern=STEP_NAME_PATTERN, description="The step to run again, with every step after it")
    ]


class RunHistoryRead(BaseModel):
    """One thing that happened to a run; ``id`` orders them."""

    id: int
    type: str = Field(
        description="run.created, transition, attempt.dispatched, "
        "attempt.succeeded|failed|timed_out|cancelled, step.succeeded|completed|failed|skipped|cancelled, "
        "run.paused, run.resumed, run.redriven, run.rerun, run.succeeded|failed|timed_out|cancelled"
    )
    at: datetime
    step: str | None
    index: int | None
    attempt: int | None
    job_id: str | None
    data: Any


class StepItems(BaseModel):
    total: int
    waiting: int = Field(description="Not started: held back by the step's concurrency or not yet reached")
    ready: int = Field(description="Not started, with room to start: waiting for their handler to register")
    throttled: int = Field(description="Waiting for a slot of the step's throttle key or handler's cap")
    in_flight: int
    retry_scheduled: int
    succeeded: int
    failed: int
    cancelled: int


class StepRead(BaseModel):
    name: str
    kind: str
    status: StepStatus
    items: StepItems
    started_at: datetime | None
    finished_at: datetime | None


class RunRead(BaseModel):
    id: str
    workflow: str
    version: int
    status: RunStatus
    input: Any
    output: Any
    error: Any
    current_phase: str | None
    callback: CallbackRead | None
    failure_callback: CallbackRead | None
    events: list[str]
    metadata: Any
    timeout_seconds: float | None
    deadline_at: datetime | None
    paused_at: datetime | None
    transitions: list[dict[str, Any]]
    transitions_truncated: bool
    redrive_count: int
    created_at: datetime
    finished_at: datetime | None
    steps: list[StepRead] | None = None

    @classmethod
    def from_row(cls, row: RunRow, steps: list[StepRead] | None = None) -> RunRead:
        fields = {k: v for k, v in row.items() if k in cls.model_fields}
        return cls(**fields, metadata=row["meta"], steps=steps)


class RunItemRead(BaseModel):
    index: int
    item: Any
    status: ItemStatus
    attempts: int
    job_id: str | None
    output: Any
    error: Any
    due_at: datetime | None

    @classmethod
    def from_row(cls, row: ItemRow) -> RunItemRead:
        return cls(
            index=row["idx"],
            item=row["item"],
            status=row["status"],
            attempts=row["attempt"],
            job_id=row["job_id"],
            output=row["output"],
            error=row["error"],
            due_at=row["due_at"],
        )


class RunExplain(BaseModel):
    run_id: str
    status: RunStatus
    blockers: list[dict[str, Any]]


class ThrottleHolder(BaseModel):
    run_id: str
    step: str
    job_id: str
    since: datetime


class ThrottleRead(BaseModel):
    """A throttle key across the namespace: its attempts in flight, the attempts waiting for a slot, and the
    first holders (oldest first)."""

    key: str
    in_flight: int
    waiting: int
    holders: list[ThrottleHolder] = Field(description=f"The first {HOLDERS_SHOWN} attempts holding a slot")
