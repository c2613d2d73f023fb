"""Batch request and response bodies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from app.batches.models import BatchStatus as BatchStatus  # re-exported for the routes
from app.batches.models import FinishedBy
from app.core.schemas import SmallJson, Strict, not_reserved, storable
from app.deliveries.schemas import Callback, CallbackRead

REPORT_SETS = ("pending", "skipped", "errored")
MAX_ITEM_LENGTH = 255
SET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# The name prefixes a 26-character suffix (``:YYYY-mm-dd_HH-MM-SS_ddddd``) in a job id of at most 200.
BATCH_JOB_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,173}$"


def _int_as_string(value: Any) -> Any:
    """Integers are stored as strings, as the seed stores them (booleans and floats stay refused)."""
    return str(value) if type(value) is int else value


Item = Annotated[
    str,
    BeforeValidator(_int_as_string),
    StringConstraints(min_length=1, max_length=MAX_ITEM_LENGTH),
    AfterValidator(storable),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "minLength": 1, "maxLength": MAX_ITEM_LENGTH}, {"type": "integer"}]}
    ),
]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(storable)]
SetName = Annotated[str, Path(pattern=SET_NAME_PATTERN, description="pending, skipped, errored or any name")]
BatchIndex = Annotated[int, Path(ge=1, le=2_147_483_647, description="The batch's index: 1, 2, 3 …")]


class BatchJobCreate(Strict):
    """A job whose completion its batches drive; the service names it ``name:YYYY-mm-dd_HH-MM-SS_ddddd``."""

    name: Annotated[str, StringConstraints(pattern=BATCH_JOB_NAME_PATTERN), AfterValidator(not_reserved)]
    fail_on_errors: bool = False
    callback: Callback | None = None
    metadata: SmallJson | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=366 * 86400)] | None = None


class ItemList(Strict):
    """Ids of a batch or set: strings or integers (stored as strings); repeated ids count once."""

    items: list[Item]


class ErroredItem(Strict):
    id: Item
    error: Reason


class BatchReport(Strict):
    """Outcomes of pending ids. ``processed`` may be a bare count: then the batch is done."""

    processed: list[Item] | Annotated[StrictInt, Field(ge=0)] = []
    skipped: list[Item] = []
    errored: list[ErroredItem] = []
    done: bool | None = None

    @model_validator(mode="after")
    def _each_id_once(self) -> BatchReport:
        seen: set[str] = set()
        named = list(self.processed) if isinstance(self.processed, list) else []
        for item in [*named, *self.skipped, *(e.id for e in self.errored)]:
            if item in seen:
                raise ValueError(f"id {item!r} is reported more than once")
            seen.add(item)
        if isinstance(self.processed, int) and self.done is False:
            raise ValueError("a bare processed count finishes the batch, so done cannot be false")
        return self

    def named(self) -> list[str]:
        processed = self.processed if isinstance(self.processed, list) else []
        return [*processed, *self.skipped, *(e.id for e in self.errored)]


class BatchAbort(Strict):
    """Give up on a batch: every pending id goes to errored with this reason."""

    error: Reason


class BatchCounts(BaseModel):
    """``items = processed + skipped + errored + withdrawn + pending``, always."""

    items: int
    pending: int
    processed: int
    skipped: int
    errored: int
    withdrawn: int

    @classmethod
    def from_row(cls, m: Mapping[str, Any]) -> BatchCounts:
        return cls(
            items=m["items"],
            pending=m["pending"],
            processed=m["processed"],
            skipped=m["skipped"],
            errored=m["errored"],
            withdrawn=m["withdrawn"],
        )


class BatchRead(BaseModel):
    job_id: str
    index: int
    status: BatchStatus
    finished_by: FinishedBy | None
    abort_error: str | None
    counts: BatchCounts
    sets: dict[str, int] = Field(description="How many ids each stored set holds now")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    items_expire_at: datetime | None
    items_expired: bool

    @classmethod
    def from_row(cls, m: Mapping[str, Any], sets: dict[str, int]) -> BatchRead:
        return cls(
            job_id=m["job_id"],
            index=m["batch_index"],
            status=m["status"],
            finished_by=m["finished_by"],
            abort_error=m["abort_error"],
            counts=BatchCounts.from_row(m),
            sets=sets,
            created_at=m["created_at"],
            updated_at=m["updated_at"],
            finished_at=m["finished_at"],
            items_expire_at=m["items_expire_at"],
            items_expired=m["items_expired"],
        )


class BatchItemRead(BaseModel):
    id: str
    error: str | None = Field(description="The reason, for ids of the errored set")


class JobItemRead(BatchItemRead):
    batch_index: int


class BatchTotals(BaseModel):
    total: int
    open: int
    finished: int


class BatchProgress(BaseModel):
    """A job's batch ledger: its settings, batch totals, item counts and percent done."""

    batch_job: bool = Field(description="Created through /v1/batch-jobs")
    fail_on_errors: bool
    callback: CallbackRead | None
    sealed: bool
    batches: BatchTotals
    items: BatchCounts
    percent: float = Field(description="Items no longer pending, in percent of all items")
    sealed_at: datetime | None
    completed_at: datetime | None = Field(description="When the ledger completed the job")

    @classmethod
    def from_row(cls, m: Mapping[str, Any]) -> BatchProgress:
        items, pending = m["items"], m["pending"]
        if items:
            percent = round(100.0 * (items - pending) / items, 2)
        else:
            percent = 100.0 if m["sealed"] and not m["batches_open"] else 0.0
        return cls(
            batch_job=m["batch_job"],
            fail_on_errors=m["fail_on_errors"],
            callback=m["callback"],
            sealed=m["sealed"],
            batches=BatchTotals(
                total=m["batches_total"],
                open=m["batches_open"],
                finished=m["batches_total"] - m["batches_open"],
            ),
            items=BatchCounts.from_row(m),
            percent=percent,
            sealed_at=m["sealed_at"],
            completed_at=m["completed_at"],
        )
