from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.run_item_read_status import RunItemReadStatus
from typing import cast
import datetime






T = TypeVar("T", bound="RunItemRead")



@_attrs_define
class RunItemRead:
    """ 
        Attributes:
            attempts (int):
            due_at (datetime.datetime | None):
            error (Any):
            index (int):
            item (Any):
            job_id (None | str):
            output (Any):
            status (RunItemReadStatus):
     """

    attempts: int
    due_at: datetime.datetime | None
    error: Any
    index: int
    item: Any
    job_id: None | str
    output: Any
    status: RunItemReadStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        due_at: None | str
        if isinstance(self.due_at, datetime.datetime):
            due_at = self.due_at.isoformat()
        else:
            due_at = self.due_at

        error = self.error

        index = self.index

        item = self.item

        job_id: None | str
        job_id = self.job_id

        output = self.output

        status = self.status.value


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "attempts": attempts,
            "due_at": due_at,
            "error": error,
            "index": index,
            "item": item,
            "job_id": job_id,
            "output": output,
            "status": status,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        def _parse_due_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                due_at_type_0 = datetime.datetime.fromisoformat(data)



                return due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        due_at = _parse_due_at(d.pop("due_at"))


        error = d.pop("error")

        index = d.pop("index")

        item = d.pop("item")

        def _parse_job_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        job_id = _parse_job_id(d.pop("job_id"))


        output = d.pop("output")

        status = RunItemReadStatus(d.pop("status"))




        run_item_read = cls(
            attempts=attempts,
            due_at=due_at,
            error=error,
            index=index,
            item=item,
            job_id=job_id,
            output=output,
            status=status,
        )


        run_item_read.additional_properties = d
        return run_item_read

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
