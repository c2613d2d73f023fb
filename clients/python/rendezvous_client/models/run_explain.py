from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.run_explain_status import RunExplainStatus
from typing import cast

if TYPE_CHECKING:
  from ..models.run_explain_blockers_item import RunExplainBlockersItem





T = TypeVar("T", bound="RunExplain")



@_attrs_define
class RunExplain:
    """ 
        Attributes:
            blockers (list[RunExplainBlockersItem]):
            run_id (str):
            status (RunExplainStatus):
     """

    blockers: list[RunExplainBlockersItem]
    run_id: str
    status: RunExplainStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.run_explain_blockers_item import RunExplainBlockersItem # noqa: PLC0415
        blockers = []
        for blockers_item_data in self.blockers:
            blockers_item = blockers_item_data.to_dict()
            blockers.append(blockers_item)



        run_id = self.run_id

        status = self.status.value


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "blockers": blockers,
            "run_id": run_id,
            "status": status,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_explain_blockers_item import RunExplainBlockersItem # noqa: PLC0415
        d = dict(src_dict)
        blockers = []
        _blockers = d.pop("blockers")
        for blockers_item_data in (_blockers):
            blockers_item = RunExplainBlockersItem.from_dict(blockers_item_data)



            blockers.append(blockers_item)


        run_id = d.pop("run_id")

        status = RunExplainStatus(d.pop("status"))




        run_explain = cls(
            blockers=blockers,
            run_id=run_id,
            status=status,
        )


        run_explain.additional_properties = d
        return run_explain

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
