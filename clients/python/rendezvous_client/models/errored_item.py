from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="ErroredItem")



@_attrs_define
class ErroredItem:
    """ 
        Attributes:
            error (str):
            id (int | str):
     """

    error: str
    id: int | str





    def to_dict(self) -> dict[str, Any]:
        error = self.error

        id: int | str
        id = self.id


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "error": error,
            "id": id,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        error = d.pop("error")

        def _parse_id(data: object) -> int | str:
            return cast(int | str, data)

        id = _parse_id(d.pop("id"))


        errored_item = cls(
            error=error,
            id=id,
        )

        return errored_item

