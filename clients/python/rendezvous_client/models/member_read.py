from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.member_read_status import MemberReadStatus
from ..types import UNSET, Unset






T = TypeVar("T", bound="MemberRead")



@_attrs_define
class MemberRead:
    """ 
        Attributes:
            id (str):
            position (int):
            status (MemberReadStatus):
            error (Any | Unset):
            output (Any | Unset):
     """

    id: str
    position: int
    status: MemberReadStatus
    error: Any | Unset = UNSET
    output: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        id = self.id

        position = self.position

        status = self.status.value

        error = self.error

        output = self.output


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "position": position,
            "status": status,
        })
        if error is not UNSET:
            field_dict["error"] = error
        if output is not UNSET:
            field_dict["output"] = output

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        position = d.pop("position")

        status = MemberReadStatus(d.pop("status"))




        error = d.pop("error", UNSET)

        output = d.pop("output", UNSET)

        member_read = cls(
            id=id,
            position=position,
            status=status,
            error=error,
            output=output,
        )


        member_read.additional_properties = d
        return member_read

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
