from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.handler_put_headers import HandlerPutHeaders





T = TypeVar("T", bound="HandlerPut")



@_attrs_define
class HandlerPut:
    """ A handler: the webhook endpoint that receives task messages, and defaults for its attempts.

        Attributes:
            url (str):
            headers (HandlerPutHeaders | Unset):
            heartbeat_seconds (float | None | Unset): Default heartbeat interval of an attempt; at most timeout_seconds
            max_in_flight (int | None | Unset): Caps this handler's attempts in flight across all runs
            timeout_seconds (float | Unset): Default deadline of an attempt Default: 3600.0.
     """

    url: str
    headers: HandlerPutHeaders | Unset = UNSET
    heartbeat_seconds: float | None | Unset = UNSET
    max_in_flight: int | None | Unset = UNSET
    timeout_seconds: float | Unset = 3600.0





    def to_dict(self) -> dict[str, Any]:
        from ..models.handler_put_headers import HandlerPutHeaders # noqa: PLC0415
        url = self.url

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

        heartbeat_seconds: float | None | Unset
        if isinstance(self.heartbeat_seconds, Unset):
            heartbeat_seconds = UNSET
        else:
            heartbeat_seconds = self.heartbeat_seconds

        max_in_flight: int | None | Unset
        if isinstance(self.max_in_flight, Unset):
            max_in_flight = UNSET
        else:
            max_in_flight = self.max_in_flight

        timeout_seconds = self.timeout_seconds


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "url": url,
        })
        if headers is not UNSET:
            field_dict["headers"] = headers
        if heartbeat_seconds is not UNSET:
            field_dict["heartbeat_seconds"] = heartbeat_seconds
        if max_in_flight is not UNSET:
            field_dict["max_in_flight"] = max_in_flight
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.handler_put_headers import HandlerPutHeaders # noqa: PLC0415
        d = dict(src_dict)
        url = d.pop("url")

        _headers = d.pop("headers", UNSET)
        headers: HandlerPutHeaders | Unset
        if isinstance(_headers,  Unset):
            headers = UNSET
        else:
            headers = HandlerPutHeaders.from_dict(_headers)




        def _parse_heartbeat_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        heartbeat_seconds = _parse_heartbeat_seconds(d.pop("heartbeat_seconds", UNSET))


        def _parse_max_in_flight(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_in_flight = _parse_max_in_flight(d.pop("max_in_flight", UNSET))


        timeout_seconds = d.pop("timeout_seconds", UNSET)

        handler_put = cls(
            url=url,
            headers=headers,
            heartbeat_seconds=heartbeat_seconds,
            max_in_flight=max_in_flight,
            timeout_seconds=timeout_seconds,
        )

        return handler_put

