"""GET /v1/overview: what a dashboard of the namespace shows, read in one request on one connection (the
console's overview): open gathers, the latest that timed out or failed, open waits, running, paused and the
latest failed runs, open batch jobs, and how many deliveries are dead or pending. Each list is the first page
of the list route it names, with its ``next_cursor`` for that route."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, Field, create_model
from sqlalchemy.ext.asyncio import AsyncConnection

from app.batches import reads as batch_reads
from app.core.pagination import Page
from app.deliveries.models import deliveries
from app.deps import NamespaceDep, RuntimeDep
from app.errors import responses
from app.gathers import reads as gather_reads
from app.gathers.schemas import GatherSummary
from app.jobs.views import JobViews
from app.waits import reads as wait_reads
from app.waits.schemas import WaitRead
from app.workflows import runs_reads
from app.workflows.runs_schemas import RunRead

OPEN = 50  # open gathers, waits, running runs, batch jobs of each open status
ENDED = 20  # gathers that timed out, that failed; paused runs, failed runs
COUNTED = 100  # deliveries counted up to this many of each status


class OverviewGathers(BaseModel):
    open: Page[GatherSummary] = Field(description=f"The first {OPEN} waiting, in id order")
    timed_out: Page[GatherSummary] = Field(description=f"The latest {ENDED} that timed out")
    failed: Page[GatherSummary] = Field(description=f"The latest {ENDED} that failed")


class OverviewRuns(BaseModel):
    running: Page[RunRead] = Field(description=f"The first {OPEN} running, in id order")
    paused: Page[RunRead] = Field(description=f"The first {ENDED} paused, in id order")
    failed: Page[RunRead] = Field(description=f"The latest {ENDED} that failed")


class DeliveryCount(BaseModel):
    count: int = Field(description=f"How many, counted up to {COUNTED}")
    more: bool = Field(description=f"More than {COUNTED}")


class OverviewDeliveries(BaseModel):
    dead: DeliveryCount
    pending: DeliveryCount = Field(description="Due, or retried later")


class OverviewBase(BaseModel):
    namespace: str
    gathers: OverviewGathers
    waits: Page[WaitRead] = Field(description=f"The first {OPEN} open waits, oldest first")
    runs: OverviewRuns
    deliveries: OverviewDeliveries


async def _count(conn: AsyncConnection, namespace: str, status: str) -> DeliveryCount:
    d = deliveries.c
    some = sa.select(d.id).where(d.namespace == namespace, d.status == status).limit(COUNTED + 1).subquery()
    found = (await conn.execute(sa.select(sa.func.count()).select_from(some))).scalar_one()
    return DeliveryCount(count=min(found, COUNTED), more=found > COUNTED)


def build_router(views: JobViews) -> APIRouter:
    """The route, with batch jobs read as the jobs' read model (with every registered part) shows them."""
    batch_jobs_model = create_model(
        "OverviewBatchJobs",
        pending=(views.page, Field(description=f"The first {OPEN} pending, in id order")),
        running=(views.page, Field(description=f"The first {OPEN} running, in id order")),
    )
    overview_model: Any = create_model("Overview", __base__=OverviewBase, batch_jobs=(batch_jobs_model, ...))
    router = APIRouter(tags=["ops"])

    @router.get(
        "/v1/overview", operation_id="getOverview", response_model=overview_model, responses=responses(422)
    )
    async def overview(rt: RuntimeDep, ns: NamespaceDep) -> Any:
        """The namespace at a glance, in one read: what the console's overview draws."""
        async with rt.db.read() as conn:

            async def gathers(status: Any, limit: int, order: Any = "id") -> Page[GatherSummary]:
                return await gather_reads.list_gathers(
                    conn, namespace=ns, status=status, order=order, limit=limit, cursor=None
                )

            async def runs(status: Any, limit: int, order: Any = "id") -> Page[RunRead]:
                return await runs_reads.list_runs(
                    conn, namespace=ns, workflow=None, status=status, order=order, limit=limit, cursor=None
                )

            async def batch_jobs(status: Any) -> Any:
                rows, cursor = await batch_reads.list_batch_jobs(
                    conn, namespace=ns, name=None, status=status, limit=OPEN, cursor=None
                )
                return views.page(items=await views.render(conn, ns, rows), next_cursor=cursor)

            return overview_model(
                namespace=ns,
                gathers=OverviewGathers(
                    open=await gathers("waiting", OPEN),
                    timed_out=await gathers("timed_out", ENDED, "-resolved_at"),
                    failed=await gathers("failed", ENDED, "-resolved_at"),
                ),
                waits=await wait_reads.list_waits(
                    conn, namespace=ns, group_key=None, status="waiting", limit=OPEN, cursor=None
                ),
                runs=OverviewRuns(
                    running=await runs("running", OPEN),
                    paused=await runs("paused", ENDED),
                    failed=await runs("failed", ENDED, "-finished_at"),
                ),
                batch_jobs=batch_jobs_model(
                    pending=await batch_jobs("pending"), running=await batch_jobs("running")
                ),
                deliveries=OverviewDeliveries(
                    dead=await _count(conn, ns, "dead"), pending=await _count(conn, ns, "pending")
                ),
            )

    return router
