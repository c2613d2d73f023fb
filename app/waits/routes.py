"""/v1/waits: join, cancel, read, long-poll, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.core import routing  # noqa: F401  (registers the clientid path convertor)
from app.core.pagination import Page
from app.core.schemas import PathId
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep, WaitQuery
from app.errors import responses
from app.waits import reads, service
from app.waits.models import WaitStatus
from app.waits.schemas import ParticipantAdd, ParticipantAdded, WaitRead

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
        return await reads.list_waits(
            conn, namespace=ns, group_key=group_key, status=status, limit=limit, cursor=cursor
        )


@router.get("/-/{wait_id}", operation_id="getWaitById", responses=responses(404, 422))
async def get_wait_by_id(wait_id: WaitId, rt: RuntimeDep, ns: NamespaceDep) -> WaitRead:
    """Any wait, open or long finished, by its id."""
    async with rt.db.read() as conn:
        return await reads.to_read(conn, await reads.get(conn, namespace=ns, wait_id=wait_id))


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
    added, created = await rt.db.run(
        lambda tx: service.add_participant(tx, namespace=ns, group_key=group_key, body=body)
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return added


@router.get("/{group_key:clientid}", operation_id="getWait", responses=responses(404, 422))
async def get_wait(group_key: PathId, rt: RuntimeDep, ns: NamespaceDep, wait: WaitQuery = None) -> WaitRead:
    """The group's open wait, else its latest; ``?wait=`` holds the request until it fires (at most 60 s)."""
    with rt.notifier.subscribe(("wait", ns, group_key)) as fired:
        async with rt.db.read() as conn:
            row = await reads.current(conn, namespace=ns, group_key=group_key)
            if not (wait and row["status"] == "waiting"):
                return await reads.to_read(conn, row)
        woken = await fired.wait(wait)
    async with rt.db.read() as conn:
        if woken:
            row = await reads.get(conn, namespace=ns, wait_id=row["id"])
        return await reads.to_read(conn, row)


OnlyWaitQuery = Annotated[
    str | None,
    Query(
        pattern=r"^wt_[0-9a-z]{26}$",
        description="Cancel only this wait: 404 when it is not a wait of this group, 409 when it has ended "
        "(another wait of the group may be open)",
    ),
]


@router.delete("/{group_key:clientid}", operation_id="cancelWait", responses=responses(404, 409, 422))
async def cancel_wait(
    group_key: PathId, rt: RuntimeDep, ns: NamespaceDep, wait_id: OnlyWaitQuery = None
) -> WaitRead:
    """Cancel the group's open wait: no callback, ever. The next add starts a new wait. With ``?wait_id=``
    the cancel names the wait it means, so it cannot take a wait opened since that one was read."""
    return await rt.db.run(lambda tx: service.cancel(tx, namespace=ns, group_key=group_key, wait_id=wait_id))
