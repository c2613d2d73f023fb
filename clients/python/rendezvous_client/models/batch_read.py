from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.batch_read_finished_by_type_0 import BatchReadFinishedByType0
from ..models.batch_read_status import BatchReadStatus
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.batch_counts import BatchCounts
  from ..models.batch_read_sets import BatchReadSets





T = TypeVar("T", bound="BatchRead")



@_attrs_define
class BatchRead:
    """ 
        Attributes:
            abort_error (None | str):
            counts (BatchCounts): ``items = processed + skipped + errored + withdrawn + pending``, always.
            created_at (datetime.datetime):
            finished_at (datetime.datetime | None):
            finished_by (BatchReadFinishedByType0 | None):
            index (int):
            items_expire_at (datetime.datetime | None):
            items_expired (bool):
            job_id (str):
            sets (BatchReadSets): How many ids each stored set holds now
            status (BatchReadStatus):
            updated_at (datetime.datetime):
     """

    abort_error: None | str
    counts: BatchCounts
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    finished_by: BatchReadFinishedByType0 | None
    index: int
    items_expire_at: datetime.datetime | None
    items_expired: bool
    job_id: str
    sets: BatchReadSets
    status: BatchReadStatus
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_counts import BatchCounts # noqa: PLC0415
        from ..models.batch_read_sets import BatchReadSets # noqa: PLC0415
        abort_error: None | str
        abort_error = self.abort_error

        counts = self.counts.to_dict()

        created_at = self.created_at.isoformat()

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        finished_by: None | str
        if isinstance(self.finished_by, BatchReadFinishedByType0):
            finished_by = self.finished_by.value
        else:
            finished_by = self.finished_by

        index = self.index

        items_expire_at: None | str
        if isinstance(self.items_expire_at, datetime.datetime):
            items_expire_at = self.items_expire_at.isoformat()
        else:
            items_expire_at = self.items_expire_at

        items_expired = self.items_expired

        job_id = self.job_id

        sets = self.sets.to_dict()

        status = self.status.value

        updated_at = self.updated_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "abort_error": abort_error,
            "counts": counts,
            "created_at": created_at,
            "finished_at": finished_at,
            "finished_by": finished_by,
            "index": index,
            "items_expire_at": items_expire_at,
            "items_expired": items_expired,
            "job_id": job_id,
            "sets": sets,
            "status": status,
            "updated_at": updated_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_counts import BatchCounts # noqa: PLC0415
        from ..models.batch_read_sets import BatchReadSets # noqa: PLC0415
        d = dict(src_dict)
        def _parse_abort_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        abort_error = _parse_abort_error(d.pop("abort_error"))


        counts = BatchCounts.from_dict(d.pop("counts"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)



                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))


        def _parse_finished_by(data: object) -> BatchReadFinishedByType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_by_type_0 = BatchReadFinishedByType0(data)



                return finished_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BatchReadFinishedByType0 | None, data)

        finished_by = _parse_finished_by(d.pop("finished_by"))


        index = d.pop("index")

        def _parse_items_expire_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                items_expire_at_type_0 = datetime.datetime.fromisoformat(data)



                return items_expire_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        items_expire_at = _parse_items_expire_at(d.pop("items_expire_at"))


        items_expired = d.pop("items_expired")

        job_id = d.pop("job_id")

        sets = BatchReadSets.from_dict(d.pop("sets"))




        status = BatchReadStatus(d.pop("status"))




        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))




        batch_read = cls(
            abort_error=abort_error,
            counts=counts,
            created_at=created_at,
            finished_at=finished_at,
            finished_by=finished_by,
            index=index,
            items_expire_at=items_expire_at,
            items_expired=items_expired,
            job_id=job_id,
            sets=sets,
            status=status,
            updated_at=updated_at,
        )


        batch_read.additional_properties = d
        return batch_read

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
