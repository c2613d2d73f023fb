from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.batch_counts import BatchCounts
  from ..models.batch_totals import BatchTotals
  from ..models.callback_read import CallbackRead





T = TypeVar("T", bound="BatchProgress")



@_attrs_define
class BatchProgress:
    """ A job's batch ledger: its settings, batch totals, item counts and percent done.

        Attributes:
            batch_job (bool): Created through /v1/batch-jobs
            batches (BatchTotals):
            callback (CallbackRead | None):
            completed_at (datetime.datetime | None): When the ledger completed the job
            fail_on_errors (bool):
            items (BatchCounts): ``items = processed + skipped + errored + withdrawn + pending``, always.
            percent (float): Items no longer pending, in percent of all items
            sealed (bool):
            sealed_at (datetime.datetime | None):
     """

    batch_job: bool
    batches: BatchTotals
    callback: CallbackRead | None
    completed_at: datetime.datetime | None
    fail_on_errors: bool
    items: BatchCounts
    percent: float
    sealed: bool
    sealed_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_counts import BatchCounts # noqa: PLC0415
        from ..models.batch_totals import BatchTotals # noqa: PLC0415
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        batch_job = self.batch_job

        batches = self.batches.to_dict()

        callback: dict[str, Any] | None
        if isinstance(self.callback, CallbackRead):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

        completed_at: None | str
        if isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        fail_on_errors = self.fail_on_errors

        items = self.items.to_dict()

        percent = self.percent

        sealed = self.sealed

        sealed_at: None | str
        if isinstance(self.sealed_at, datetime.datetime):
            sealed_at = self.sealed_at.isoformat()
        else:
            sealed_at = self.sealed_at


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "batch_job": batch_job,
            "batches": batches,
            "callback": callback,
            "completed_at": completed_at,
            "fail_on_errors": fail_on_errors,
            "items": items,
            "percent": percent,
            "sealed": sealed,
            "sealed_at": sealed_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_counts import BatchCounts # noqa: PLC0415
        from ..models.batch_totals import BatchTotals # noqa: PLC0415
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        d = dict(src_dict)
        batch_job = d.pop("batch_job")

        batches = BatchTotals.from_dict(d.pop("batches"))




        def _parse_callback(data: object) -> CallbackRead | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                callback_type_0 = CallbackRead.from_dict(data)



                return callback_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CallbackRead | None, data)

        callback = _parse_callback(d.pop("callback"))


        def _parse_completed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)



                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        completed_at = _parse_completed_at(d.pop("completed_at"))


        fail_on_errors = d.pop("fail_on_errors")

        items = BatchCounts.from_dict(d.pop("items"))




        percent = d.pop("percent")

        sealed = d.pop("sealed")

        def _parse_sealed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sealed_at_type_0 = datetime.datetime.fromisoformat(data)



                return sealed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        sealed_at = _parse_sealed_at(d.pop("sealed_at"))


        batch_progress = cls(
            batch_job=batch_job,
            batches=batches,
            callback=callback,
            completed_at=completed_at,
            fail_on_errors=fail_on_errors,
            items=items,
            percent=percent,
            sealed=sealed,
            sealed_at=sealed_at,
        )


        batch_progress.additional_properties = d
        return batch_progress

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
