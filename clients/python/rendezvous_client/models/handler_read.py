from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.handler_read_headers import HandlerReadHeaders





T = TypeVar("T", bound="HandlerRead")



@_attrs_define
class HandlerRead:
    """ 
        Attributes:
            created_at (datetime.datetime):
            headers (HandlerReadHeaders):
            heartbeat_seconds (float | None):
            in_flight (int): Attempts of this handler dispatched and not yet finished
            max_in_flight (int | None):
            name (str):
            timeout_seconds (float):
            updated_at (datetime.datetime):
            url (str):
     """

    created_at: datetime.datetime
    headers: HandlerReadHeaders
    heartbeat_seconds: float | None
    in_flight: int
    max_in_flight: int | None
    name: str
    timeout_seconds: float
    updated_at: datetime.datetime
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.handler_read_headers import HandlerReadHeaders # noqa: PLC0415
        created_at = self.created_at.isoformat()

        headers = self.headers.to_dict()

        heartbeat_seconds: float | None
        heartbeat_seconds = self.heartbeat_seconds

        in_flight = self.in_flight

        max_in_flight: int | None
        max_in_flight = self.max_in_flight

        name = self.name

        timeout_seconds = self.timeout_seconds

        updated_at = self.updated_at.isoformat()

        url = self.url


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "created_at": created_at,
            "headers": headers,
            "heartbeat_seconds": heartbeat_seconds,
            "in_flight": in_flight,
            "max_in_flight": max_in_flight,
            "name": name,
            "timeout_seconds": timeout_seconds,
            "updated_at": updated_at,
            "url": url,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.handler_read_headers import HandlerReadHeaders # noqa: PLC0415
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        headers = HandlerReadHeaders.from_dict(d.pop("headers"))




        def _parse_heartbeat_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        heartbeat_seconds = _parse_heartbeat_seconds(d.pop("heartbeat_seconds"))


        in_flight = d.pop("in_flight")

        def _parse_max_in_flight(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_in_flight = _parse_max_in_flight(d.pop("max_in_flight"))


        name = d.pop("name")

        timeout_seconds = d.pop("timeout_seconds")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))




        url = d.pop("url")

        handler_read = cls(
            created_at=created_at,
            headers=headers,
            heartbeat_seconds=heartbeat_seconds,
            in_flight=in_flight,
            max_in_flight=max_in_flight,
            name=name,
            timeout_seconds=timeout_seconds,
            updated_at=updated_at,
            url=url,
        )


        handler_read.additional_properties = d
        return handler_read

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
