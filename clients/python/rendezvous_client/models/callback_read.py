from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.callback_read_headers import CallbackReadHeaders





T = TypeVar("T", bound="CallbackRead")



@_attrs_define
class CallbackRead:
    """ 
        Attributes:
            headers (CallbackReadHeaders):
            payload (Any):
            url (str):
     """

    headers: CallbackReadHeaders
    payload: Any
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback_read_headers import CallbackReadHeaders # noqa: PLC0415
        headers = self.headers.to_dict()

        payload = self.payload

        url = self.url


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "headers": headers,
            "payload": payload,
            "url": url,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback_read_headers import CallbackReadHeaders # noqa: PLC0415
        d = dict(src_dict)
        headers = CallbackReadHeaders.from_dict(d.pop("headers"))




        payload = d.pop("payload")

        url = d.pop("url")

        callback_read = cls(
            headers=headers,
            payload=payload,
            url=url,
        )


        callback_read.additional_properties = d
        return callback_read

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
