"""The application factory; the lifespan owns the runtime (engine, HTTP client, scheduler)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from app import __version__
from app.access.middleware import CallerMiddleware, IdempotencyMiddleware
from app.access.routes import router as access_router
from app.batches import reads as batch_reads
from app.batches.routes import build_job_router as batch_job_router
from app.batches.routes import router as batches_router
from app.config import Settings
from app.console.routes import router as console_router
from app.core.clock import Clock, SystemClock
from app.core.db import Tx
from app.core.limits import InputMiddleware
from app.core.requestctx import RequestIdMiddleware, configure_logging
from app.deliveries.routes import router as deliveries_router
from app.deliveries.service import DeliveriesDead
from app.deliveries.urlguard import Resolver, system_resolver
from app.deps import query_names
from app.errors import add_common_responses, install_error_handlers, render_app_error
from app.gathers import service as gathers
from app.gathers.routes import router as gathers_router
from app.jobs.routes import build_router as jobs_router
from app.jobs.service import JobConflict, JobsFinished, JobsReopened
from app.jobs.views import JobViews
from app.ops.overview import build_router as overview_router
from app.ops.routes import router as ops_router
from app.ops.watch import router as watch_router
from app.runtime import Runtime
from app.waits.routes import router as waits_router
from app.workflows import engine as workflow_engine
from app.workflows.routes import render_definition_invalid
from app.workflows.routes import router as workflows_router
from app.workflows.runs_routes import router as runs_router
from app.workflows.service import DefinitionInvalid

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}


async def _gathers_count(tx: Tx, event: JobsFinished) -> None:
    await gathers.on_jobs_finished(tx, namespace=event.namespace, finished=event.finished)


async def _workflows_advance(tx: Tx, event: JobsFinished) -> None:
    await workflow_engine.on_jobs_finished(tx, namespace=event.namespace, finished=event.finished)


# What reacts, in the report's own transaction, to jobs that reached an end, in this order: the gathers
# holding them count them (and may resolve); then the runs whose attempts they were advance (a run that
# ends finishes its own job, which the gathers then count in the same transaction).
JOB_FINISHED_CONSUMERS = (_gathers_count, _workflows_advance)


async def _gathers_uncount(tx: Tx, event: JobsReopened) -> None:
    await gathers.on_jobs_reopened(tx, namespace=event.namespace, reopened=event.reopened)


# What reacts to a job taken back from its end (only a redriven or rerun run's own job): the open gathers
# holding it count it as pending again.
JOB_REOPENED_CONSUMERS = (_gathers_uncount,)


async def _workflows_dispatch_failed(tx: Tx, event: DeliveriesDead) -> None:
    await workflow_engine.on_deliveries_dead(tx, namespace=event.namespace, dead=event.dead)


# What reacts, in the same transaction, to deliveries that went dead: a run's task message that failed for
# good fails its attempt (``dispatch_failed``), through the jobs' own path, so the consumers above run too.
DELIVERIES_DEAD_CONSUMERS = (_workflows_dispatch_failed,)
# What other domains add to a job's read model (GET /v1/jobs/{id}, lists, batch jobs): batch progress.
JOB_READ_PARTS = (batch_reads.READ_PART,)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    resolver: Resolver = system_resolver,
) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    runtime = Runtime(
        settings=settings,
        clock=clock or SystemClock(),
        resolver=resolver,
        subscriptions=[
            *((JobsFinished, consumer) for consumer in JOB_FINISHED_CONSUMERS),
            *((DeliveriesDead, consumer) for consumer in DELIVERIES_DEAD_CONSUMERS),
            *((JobsReopened, consumer) for consumer in JOB_REOPENED_CONSUMERS),
        ],
    )
    views = JobViews(JOB_READ_PARTS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Rendezvous",
        version=__version__,
        summary="Gathers, waits and batches for distributed jobs, with signed webhook callbacks.",
        lifespan=lifespan,
        # The service exports its own metrics (/metrics) and logs; FastAPI's OpenTelemetry hooks would only
        # look up global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        docs_url="/docs" if settings.serves_api_docs else None,
        redoc_url="/redoc" if settings.serves_api_docs else None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)

    @app.exception_handler(JobConflict)
    async def _job_conflict(request: Request, exc: JobConflict) -> JSONResponse:
        exc.extra["job"] = views.bare(exc.row).model_dump(mode="json")  # with every part, as reads show it
        return render_app_error(exc)

    @app.exception_handler(DefinitionInvalid)
    async def _definition_invalid(request: Request, exc: DefinitionInvalid) -> JSONResponse:
        return render_definition_invalid(exc)

    # No two routers take the same path, so their order only sets which the router tries first: the
    # routes most requests reach (reports, participant adds, gathers) come first.
    routers = (
        jobs_router(views),
        waits_router,
        gathers_router,
        batches_router,
        batch_job_router(views),
        workflows_router,
        runs_router,
        deliveries_router,
        access_router,
        ops_router,
        overview_router(views),
        watch_router,
    )
    for router in routers:
        app.include_router(router)
    # The console's pages take any query string (its script reads what it needs): not in the query check.
    app.include_router(console_router)
    # Outermost first: request id → caller (401/403/429 before any body is read) → input edge (query
    # strings, 413, then standard JSON) → Idempotency-Key → the routes. Added innermost first.
    app.add_middleware(IdempotencyMiddleware, settings=settings, parts=runtime)
    app.add_middleware(
        InputMiddleware,
        max_bytes=settings.max_body_bytes,
        max_member_list_bytes=settings.max_member_list_body_bytes,
        routes=query_names(routers),
    )
    app.add_middleware(CallerMiddleware, settings=settings, parts=runtime)
    app.add_middleware(RequestIdMiddleware)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            add_common_responses(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
