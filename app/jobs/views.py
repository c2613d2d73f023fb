"""The job's read model as other domains extend it. A domain that adds a part to ``GET /v1/jobs/{id}`` (batch
progress; a run's step) registers a ``ReadPart`` at the composition root; the jobs package never names it.
``JobViews`` builds the read model with every part, and the response models that hold it, once per app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, create_model
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.pagination import Page
from app.jobs.models import JobRow
from app.jobs.schemas import BulkCompleteResult, BulkResult, JobRead

# (connection, namespace, job ids) → each job's part, for the jobs that have one
PartLoader = Callable[[AsyncConnection, str, Sequence[str]], Awaitable[Mapping[str, BaseModel]]]


@dataclass(frozen=True)
class ReadPart:
    """A field another domain adds to a job's read model, and how to load it for a page of jobs."""

    name: str
    annotation: Any
    field: Any  # a pydantic Field(...): its default and description
    load: PartLoader


class JobViews:
    """The read model with every registered part (named ``JobRead`` in openapi.json, as the base is never
    served alone), and how to render rows through it."""

    def __init__(self, parts: Sequence[ReadPart] = ()) -> None:
        self.parts = tuple(parts)
        fields: dict[str, Any] = {part.name: (part.annotation, part.field) for part in self.parts}
        self.model: type[JobRead] = create_model("JobRead", __base__=JobRead, **fields)
        self.page: type[Page[Any]] = Page[self.model]  # type: ignore[name-defined]
        self.bulk_result: type[BulkResult] = create_model(
            "BulkResult", __base__=BulkResult, job=(self.model, ...)
        )
        self.bulk_complete_result: type[BulkCompleteResult] = create_model(
            "BulkCompleteResult",
            __base__=BulkCompleteResult,
            results=(list[self.bulk_result], ...),  # type: ignore[name-defined]
        )

    def bare(self, row: JobRow) -> JobRead:
        """The read model of a row, its parts left empty (what a write answers)."""
        return self.model.from_row(row)

    async def render(self, conn: AsyncConnection, namespace: str, rows: Sequence[JobRow]) -> list[JobRead]:
        """The read models of ``rows``, each part loaded for all of them at once."""
        views = [self.model.from_row(row) for row in rows]
        ids = [view.id for view in views]
        for part in self.parts:
            loaded = await part.load(conn, namespace, ids) if ids else {}
            for view in views:
                setattr(view, part.name, loaded.get(view.id))
        return views

    async def render_one(self, conn: AsyncConnection, namespace: str, row: JobRow) -> JobRead:
        (view,) = await self.render(conn, namespace, [row])
        return view
