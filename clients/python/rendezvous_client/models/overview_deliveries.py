from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.delivery_count import DeliveryCount





T = TypeVar("T", bound="OverviewDeliveries")



@_attrs_define
class OverviewDeliveries:
    """ 
        Attributes:
            dead (DeliveryCount):
            pending (DeliveryCount):
     """

    dead: DeliveryCount
    pending: DeliveryCount
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.delivery_count import DeliveryCount # noqa: PLC0415
        dead = self.dead.to_dict()

        pending = self.pending.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "dead": dead,
            "pending": pending,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.delivery_count import DeliveryCount # noqa: PLC0415
        d = dict(src_dict)
        dead = DeliveryCount.from_dict(d.pop("dead"))




        pending = DeliveryCount.from_dict(d.pop("pending"))




        overview_deliveries = cls(
            dead=dead,
            pending=pending,
        )


        overview_deliveries.additional_properties = d
        return overview_deliveries

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
