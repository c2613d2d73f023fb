from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.page_gather_summary import PageGatherSummary





T = TypeVar("T", bound="OverviewGathers")



@_attrs_define
class OverviewGathers:
    """ 
        Attributes:
            failed (PageGatherSummary):
            open_ (PageGatherSummary):
            timed_out (PageGatherSummary):
     """

    failed: PageGatherSummary
    open_: PageGatherSummary
    timed_out: PageGatherSummary
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.page_gather_summary import PageGatherSummary # noqa: PLC0415
        failed = self.failed.to_dict()

        open_ = self.open_.to_dict()

        timed_out = self.timed_out.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "failed": failed,
            "open": open_,
            "timed_out": timed_out,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.page_gather_summary import PageGatherSummary # noqa: PLC0415
        d = dict(src_dict)
        failed = PageGatherSummary.from_dict(d.pop("failed"))




        open_ = PageGatherSummary.from_dict(d.pop("open"))




        timed_out = PageGatherSummary.from_dict(d.pop("timed_out"))




        overview_gathers = cls(
            failed=failed,
            open_=open_,
            timed_out=timed_out,
        )


        overview_gathers.additional_properties = d
        return overview_gathers

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
