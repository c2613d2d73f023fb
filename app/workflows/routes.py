"""/v1/handlers and /v1/workflows: handlers; versioned definitions stored, validated, read and deleted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status
from fastapi.responses import JSONResponse

from app.core.pagination import Page
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep
from app.errors import problem, responses
from app.workflows import reads, service
from app.workflows.graph import NAME_PATTERN
from app.workflows.schemas import (
    DEFINITION_PROBLEM,
    DefinitionJson,
    HandlerPut,
    HandlerRead,
    Validation,
    WorkflowDeleted,
    WorkflowSummary,
    WorkflowVersionRead,
)
from app.workflows.service import DefinitionInvalid

router = APIRouter(prefix="/v1", tags=["workflows"])
HandlerName = Annotated[str, Path(pattern=NAME_PATTERN, description="A handler's name")]
WorkflowName = Annotated[str, Path(pattern=NAME_PATTERN, description="A workflow's name")]
Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="A version number, from 1")]
Definition = Annotated[DefinitionJson, Body()]
_DEFINITION_ERRORS = {**responses(413), 422: DEFINITION_PROBLEM}


def render_definition_invalid(exc: DefinitionInvalid) -> JSONResponse:
    """The 422 of a definition with faults: every one in ``errors``, as ``{loc, code, message[, steps]}``."""
    return problem(
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.problems,
        warnings=exc.warnings,
    )


@router.get("/handlers", operation_id="listHandlers", responses=responses(422))
async def list_handlers(
    rt: RuntimeDep, ns: NamespaceDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> Page[HandlerRead]:
    """Handlers by name."""
    async with rt.db.read() as conn:
        return await reads.list_handlers(conn, namespace=ns, limit=limit, cursor=cursor)


@router.put(
    "/handlers/{name}",
    operation_id="putHandler",
    responses={**responses(413, 422), 201: {"model": HandlerRead, "description": "Registered now"}},
)
async def put_handler(
    name: HandlerName, body: HandlerPut, response: Response, rt: RuntimeDep, ns: NamespaceDep
) -> HandlerRead:
    """Register a handler (201), or replace it (200; the same body is 200 too)."""
    read, created = await rt.db.run(lambda tx: service.put_handler(tx, namespace=ns, name=name, body=body))
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return read


@router.get("/handlers/{name}", operation_id="getHandler", responses=responses(404, 422))
async def get_handler(name: HandlerName, rt: RuntimeDep, ns: NamespaceDep) -> HandlerRead:
    """A handler, with its attempts in flight."""
    async with rt.db.read() as conn:
        return HandlerRead.from_row(await reads.get_handler(conn, namespace=ns, name=name))


@router.delete(
    "/handlers/{name}",
    operation_id="deleteHandler",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(404, 409, 422),
)
async def delete_handler(name: HandlerName, rt: RuntimeDep, ns: NamespaceDep) -> Response:
    """Delete a handler (409 while a running run's step uses it). Steps naming it wait until it is back."""
    await rt.db.run(lambda tx: service.delete_handler(tx, namespace=ns, name=name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/workflows/validate", operation_id="validateWorkflow", responses=responses(413, 422))
async def validate_workflow(
    body: Definition,
    rt: RuntimeDep,
    ns: NamespaceDep,
    name: Annotated[
        str | None, Query(pattern=NAME_PATTERN, description="Also check a workflow/name key against it")
    ] = None,
) -> Validation:
    """Compile a definition as the PUT would: every fault and warning, and the graph; stores nothing."""
    async with rt.db.read() as conn:
        registered = await reads.handler_names(conn, namespace=ns)
    return service.validate(body, name=name, registered=registered)


@router.get("/workflows", operation_id="listWorkflows", responses=responses(422))
async def list_workflows(
    rt: RuntimeDep, ns: NamespaceDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> Page[WorkflowSummary]:
    """Workflows by name with their latest version; deleted ones stay listed, marked."""
    async with rt.db.read() as conn:
        return await reads.list_workflows(conn, namespace=ns, limit=limit, cursor=cursor)


@router.put(
    "/workflows/{name}",
    operation_id="putWorkflow",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_DEFINITION_ERRORS,
        200: {"model": WorkflowVersionRead, "description": "The same body as the latest version"},
    },
)
async def put_workflow(
    name: WorkflowName, body: Definition, response: Response, rt: RuntimeDep, ns: NamespaceDep
) -> WorkflowVersionRead:
    """Store a definition: version 1 (201); the latest version again for the same body (200); the next
    version for a changed body, or for any body once the workflow was deleted (201)."""
    read, created = await rt.db.run(
        lambda tx: service.put_workflow(tx, namespace=ns, name=name, definition=body)
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return read


@router.get("/workflows/{name}", operation_id="getWorkflow", responses=responses(404, 422))
async def get_workflow(name: WorkflowName, rt: RuntimeDep, ns: NamespaceDep) -> WorkflowVersionRead:
    """The latest version (404 once deleted); warnings are as of now."""
    async with rt.db.read() as conn:
        return await reads.latest(conn, namespace=ns, name=name)


@router.get(
    "/workflows/{name}/versions/{version}", operation_id="getWorkflowVersion", responses=responses(404, 422)
)
async def get_workflow_version(
    name: WorkflowName, version: Version, rt: RuntimeDep, ns: NamespaceDep
) -> WorkflowVersionRead:
    """Any version, of a deleted workflow too (runs pinned to it may still be running)."""
    async with rt.db.read() as conn:
        return await reads.version(conn, namespace=ns, name=name, version=version)


@router.delete("/workflows/{name}", operation_id="deleteWorkflow", responses=responses(404, 422))
async def delete_workflow(name: WorkflowName, rt: RuntimeDep, ns: NamespaceDep) -> WorkflowDeleted:
    """Delete a workflow: no new runs; running runs continue; its versions stay readable. A later PUT brings
    it back with the next version number."""
    return await rt.db.run(lambda tx: service.delete_workflow(tx, namespace=ns, name=name))
