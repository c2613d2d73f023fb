"""/v1/waits: join, cancel, read, long-poll, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.core import routing  # noqa: F401  (registers the clientid path convertor)
from app.core.db import Tx
from app.core.pagination import Page
from app.core.schemas import PathId
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep, WaitQuery
from app.errors import responses
from app.waits import service
from app.waits.schemas import ParticipantAdd, ParticipantAdded, WaitRead, WaitStatus

router = APIRouter(prefix="/v1/waits", tags=["waits"])
WaitId = Annotated[str, Path(pattern=r"^wt_[0-9a-z]{26}$", description="A wait's server id")]


@router.get("", operation_id="listWaits", responses=responses(422))
async def list_waits(
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    group_key: Annotated[str | None, Query(max_length=200)] = None,
    status: WaitStatus | None = None,
) -> Page[WaitRead]:
    """Waits oldest first; resolved and cancelled ones stay listed."""
    async with rt.db.read() as conn:
        return await service.list_waits(
            conn, namespace=ns, group_key=group_key, status=status, limit=limit, cursor=cursor
        )


@router.get("/-/{wait_id}", operation_id="getWaitById", responses=responses(404, 422))
async def get_wait_by_id(wait_id: WaitId, rt: RuntimeDep, ns: NamespaceDep) -> WaitRead:
    """Any wait, open or long finished, by its id."""
    async with rt.db.read() as conn:
        return await service.to_read(conn, await service.get(conn, namespace=ns, wait_id=wait_id))


@router.post(
    "/{group_key:clientid}/participants",
    operation_id="addWaitParticipant",
    responses={
        **responses(413, 422),
        201: {"model": ParticipantAdded, "description": "This add opened a new wait"},
    },
)
async def add_participant(
    group_key: PathId, body: ParticipantAdd, response: Response, rt: RuntimeDep, ns: NamespaceDep
) -> ParticipantAdded:
    """Join the group's wait (opening one when none is open). Quorum resolves it at once."""

    async def add(tx: Tx) -> tuple[WaitRead, bool, bool]:
        row, counted, created = await service.add_participant(
            tx, namespace=ns, group_key=group_key, body=body
        )
        return await service.to_read(tx.conn, row), counted, created

    read, counted, created = await rt.db.run(add)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return ParticipantAdded(**read.model_dump(), counted=counted)


@router.get("/{group_key:clientid}", operation_id="getWait", responses=responses(404, 422))
async def get_wait(group_key: PathId, rt: RuntimeDep, ns: NamespaceDep, wait: WaitQuery = None) -> WaitRead:
    """The group's open wait, else its latest; ``?wait=`` holds the request until it fires (at most 60 s)."""
    with rt.notifier.subscribe(("wait", ns, group_key)) as fired:
        async with rt.db.read() as conn:
            row = await service.current(conn, namespace=ns, group_key=group_key)
        if wait and row["status"] == "waiting" and await fired.wait(wait):
            async with rt.db.read() as conn:
                row = await service.get(conn, namespace=ns, wait_id=row["id"])
    async with rt.db.read() as conn:
        return await service.to_read(conn, row)


@router.delete("/{group_key:clientid}", operation_id="cancelWait", responses=responses(404, 422))
async def cancel_wait(group_key: PathId, rt: RuntimeDep, ns: NamespaceDep) -> WaitRead:
    """Cancel the group's open wait: no callback, ever. The next add starts a new wait."""
    row = await rt.db.run(lambda tx: service.cancel(tx, namespace=ns, group_key=group_key))
    async with rt.db.read() as conn:
        return await service.to_read(conn, row)
