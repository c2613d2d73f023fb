from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="ItemList")



@_attrs_define
class ItemList:
    """ Ids of a batch or set: strings or integers (stored as strings); repeated ids count once.

        Attributes:
            items (list[int | str]):
     """

    items: list[int | str]





    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item: int | str
            items_item = items_item_data
            items.append(items_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
            "items": items,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in (_items):
            def _parse_items_item(data: object) -> int | str:
                return cast(int | str, data)

            items_item = _parse_items_item(items_item_data)

            items.append(items_item)


        item_list = cls(
            items=items,
        )

        return item_list

