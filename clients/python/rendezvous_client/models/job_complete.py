from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_complete_status import JobCompleteStatus
from ..types import UNSET, Unset






T = TypeVar("T", bound="JobComplete")



@_attrs_define
class JobComplete:
    """ A completion report.

        Attributes:
            error (Any | Unset):
            output (Any | Unset):
            status (JobCompleteStatus | Unset):  Default: JobCompleteStatus.SUCCEEDED.
     """

    error: Any | Unset = UNSET
    output: Any | Unset = UNSET
    status: JobCompleteStatus | Unset = JobCompleteStatus.SUCCEEDED





    def to_dict(self) -> dict[str, Any]:
        error = self.error

        output = self.output

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status.value



        field_dict: dict[str, Any] = {}

        field_dict.update({
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
        error = d.pop("error", UNSET)

        output = d.pop("output", UNSET)

        _status = d.pop("status", UNSET)
        status: JobCompleteStatus | Unset
        if isinstance(_status,  Unset):
            status = UNSET
        else:
            status = JobCompleteStatus(_status)




        job_complete = cls(
            error=error,
            output=output,
            status=status,
        )

        return job_complete

