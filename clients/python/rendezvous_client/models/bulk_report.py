from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.bulk_report_status import BulkReportStatus
from ..types import UNSET, Unset






T = TypeVar("T", bound="BulkReport")



@_attrs_define
class BulkReport:
    """ 
        Attributes:
            id (str):
            error (Any | Unset):
            output (Any | Unset):
            status (BulkReportStatus | Unset):  Default: BulkReportStatus.SUCCEEDED.
     """

    id: str
    error: Any | Unset = UNSET
    output: Any | Unset = UNSET
    status: BulkReportStatus | Unset = BulkReportStatus.SUCCEEDED





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        error = self.error

        output = self.output

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value



        field_dict: dict[str, Any] = {}

        field_dict.update({
            "id": id,
        })
        if error is not UNSET:
            field_dict["error"] = error
        if output is not UNSET:
            field_dict["output"] = output
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        error = d.pop("error", UNSET)

        output = d.pop("output", UNSET)

        _status = d.pop("status", UNSET)
        status: BulkReportStatus | Unset
        if isinstance(_status,  Unset):
            status = UNSET
        else:
            status = BulkReportStatus(_status)




        bulk_report = cls(
            id=id,
            error=error,
            output=output,
            status=status,
        )

        return bulk_report

