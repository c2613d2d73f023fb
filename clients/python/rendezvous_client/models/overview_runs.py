from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.page_run_read import PageRunRead





T = TypeVar("T", bound="OverviewRuns")



@_attrs_define
class OverviewRuns:
    """ 
        Attributes:
            failed (PageRunRead):
            paused (PageRunRead):
            running (PageRunRead):
     """

    failed: PageRunRead
    paused: PageRunRead
    running: PageRunRead
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.page_run_read import PageRunRead # noqa: PLC0415
        failed = self.failed.to_dict()

        paused = self.paused.to_dict()

        running = self.running.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "failed": failed,
            "paused": paused,
            "running": running,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.page_run_read import PageRunRead # noqa: PLC0415
        d = dict(src_dict)
        failed = PageRunRead.from_dict(d.pop("failed"))




        paused = PageRunRead.from_dict(d.pop("paused"))




        running = PageRunRead.from_dict(d.pop("running"))




        overview_runs = cls(
            failed=failed,
            paused=paused,
            running=running,
        )


        overview_runs.additional_properties = d
        return overview_runs

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
