"""/v1/deliveries: the outbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.core.pagination import Page
from app.deliveries import reads, service
from app.deliveries.models import DeliveryStatus
from app.deliveries.schemas import DeliveryDetail, DeliveryRead
from app.deps import CursorQuery, LimitQuery, NamespaceDep, RuntimeDep
from app.errors import responses

router = APIRouter(tags=["deliveries"])
DeliveryId = Annotated[str, Path(pattern=r"^dlv_[0-9a-z]{26}$", description="A delivery's server id")]


@router.get("/v1/deliveries", operation_id="listDeliveries", responses=responses(422))
async def list_deliveries(
    rt: RuntimeDep,
    ns: NamespaceDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    status: DeliveryStatus | None = None,
    subject_id: str | None = Query(default=None, max_length=200),
    subject_kind: str | None = Query(
        default=None,
        max_length=32,
        description="What the subject is (gather, wait, run, job, batch, task…); with subject_id, the "
        "subject's callbacks are found by its index instead of among the namespace's",
    ),
) -> Page[DeliveryRead]:
    """Callbacks, oldest first; ``?status=dead`` lists the ones that gave up."""
    async with rt.db.read() as conn:
        return await reads.list_deliveries(
            conn,
            namespace=ns,
            status=status,
            subject_id=subject_id,
            subject_kind=subject_kind,
            limit=limit,
            cursor=cursor,
        )


@router.get("/v1/deliveries/{delivery_id}", operation_id="getDelivery", responses=responses(404, 422))
async def get_delivery(delivery_id: DeliveryId, rt: RuntimeDep, ns: NamespaceDep) -> DeliveryDetail:
    """A delivery with its event and every attempt."""
    async with rt.db.read() as conn:
        return await reads.get(conn, namespace=ns, delivery_id=delivery_id)


@router.post(
    "/v1/deliveries/{delivery_id}/redeliver",
    operation_id="redeliverDelivery",
    responses=responses(404, 409, 422),
)
async def redeliver(delivery_id: DeliveryId, rt: RuntimeDep, ns: NamespaceDep) -> DeliveryRead:
    """Send a dead (or delivered) event again, on a fresh retry schedule, with the same webhook-id."""
    return await rt.db.run(lambda tx: service.redeliver(tx, namespace=ns, delivery_id=delivery_id))
