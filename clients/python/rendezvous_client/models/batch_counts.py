from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="BatchCounts")



@_attrs_define
class BatchCounts:
    """ ``items = processed + skipped + errored + withdrawn + pending``, always.

        Attributes:
            errored (int):
            items (int):
            pending (int):
            processed (int):
            skipped (int):
            withdrawn (int):
     """

    errored: int
    items: int
    pending: int
    processed: int
    skipped: int
    withdrawn: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        errored = self.errored

        items = self.items

        pending = self.pending

        processed = self.processed

        skipped = self.skipped

        withdrawn = self.withdrawn


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "errored": errored,
            "items": items,
            "pending": pending,
            "processed": processed,
            "skipped": skipped,
            "withdrawn": withdrawn,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        errored = d.pop("errored")

        items = d.pop("items")

        pending = d.pop("pending")

        processed = d.pop("processed")

        skipped = d.pop("skipped")

        withdrawn = d.pop("withdrawn")

        batch_counts = cls(
            errored=errored,
            items=items,
            pending=pending,
            processed=processed,
            skipped=skipped,
            withdrawn=withdrawn,
        )


        batch_counts.additional_properties = d
        return batch_counts

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
