from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.bulk_result_result import BulkResultResult
from typing import cast

if TYPE_CHECKING:
  from ..models.job_read import JobRead





T = TypeVar("T", bound="BulkResult")



@_attrs_define
class BulkResult:
    """ 
        Attributes:
            id (str):
            job (JobRead):
            result (BulkResultResult):
     """

    id: str
    job: JobRead
    result: BulkResultResult
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.job_read import JobRead # noqa: PLC0415
        id = self.id

        job = self.job.to_dict()

        result = self.result.value


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "job": job,
            "result": result,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_read import JobRead # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        job = JobRead.from_dict(d.pop("job"))




        result = BulkResultResult(d.pop("result"))




        bulk_result = cls(
            id=id,
            job=job,
            result=result,
        )


        bulk_result.additional_properties = d
        return bulk_result

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
