from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.throttle_holder import ThrottleHolder





T = TypeVar("T", bound="ThrottleRead")



@_attrs_define
class ThrottleRead:
    """ A throttle key across the namespace: its attempts in flight, the attempts waiting for a slot, and the
    first holders (oldest first).

        Attributes:
            holders (list[ThrottleHolder]): The first 100 attempts holding a slot
            in_flight (int):
            key (str):
            waiting (int):
     """

    holders: list[ThrottleHolder]
    in_flight: int
    key: str
    waiting: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.throttle_holder import ThrottleHolder # noqa: PLC0415
        holders = []
        for holders_item_data in self.holders:
            holders_item = holders_item_data.to_dict()
            holders.append(holders_item)



        in_flight = self.in_flight

        key = self.key

        waiting = self.waiting


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "holders": holders,
            "in_flight": in_flight,
            "key": key,
            "waiting": waiting,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.throttle_holder import ThrottleHolder # noqa: PLC0415
        d = dict(src_dict)
        holders = []
        _holders = d.pop("holders")
        for holders_item_data in (_holders):
            holders_item = ThrottleHolder.from_dict(holders_item_data)



            holders.append(holders_item)


        in_flight = d.pop("in_flight")

        key = d.pop("key")

        waiting = d.pop("waiting")

        throttle_read = cls(
            holders=holders,
            in_flight=in_flight,
            key=key,
            waiting=waiting,
        )


        throttle_read.additional_properties = d
        return throttle_read

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
