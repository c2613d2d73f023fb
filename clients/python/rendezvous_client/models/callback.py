from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.callback_headers import CallbackHeaders





T = TypeVar("T", bound="Callback")



@_attrs_define
class Callback:
    """ Where to POST an event, with extra headers and a payload echoed back unchanged.

        Attributes:
            url (str):
            headers (CallbackHeaders | Unset):
            payload (Any | Unset):
     """

    url: str
    headers: CallbackHeaders | Unset = UNSET
    payload: Any | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback_headers import CallbackHeaders # noqa: PLC0415
        url = self.url

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

        payload = self.payload


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "url": url,
        })
        if headers is not UNSET:
            field_dict["headers"] = headers
        if payload is not UNSET:
            field_dict["payload"] = payload

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback_headers import CallbackHeaders # noqa: PLC0415
        d = dict(src_dict)
        url = d.pop("url")

        _headers = d.pop("headers", UNSET)
        headers: CallbackHeaders | Unset
        if isinstance(_headers,  Unset):
            headers = UNSET
        else:
            headers = CallbackHeaders.from_dict(_headers)




        payload = d.pop("payload", UNSET)

        callback = cls(
            url=url,
            headers=headers,
            payload=payload,
        )

        return callback

