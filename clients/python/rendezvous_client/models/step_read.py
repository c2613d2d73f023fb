from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.step_read_status import StepReadStatus
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.step_items import StepItems





T = TypeVar("T", bound="StepRead")



@_attrs_define
class StepRead:
    """ 
        Attributes:
            finished_at (datetime.datetime | None):
            items (StepItems):
            kind (str):
            name (str):
            started_at (datetime.datetime | None):
            status (StepReadStatus):
     """

    finished_at: datetime.datetime | None
    items: StepItems
    kind: str
    name: str
    started_at: datetime.datetime | None
    status: StepReadStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.step_items import StepItems # noqa: PLC0415
        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        items = self.items.to_dict()

        kind = self.kind

        name = self.name

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        status = self.status.value


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "finished_at": finished_at,
            "items": items,
            "kind": kind,
            "name": name,
            "started_at": started_at,
            "status": status,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.step_items import StepItems # noqa: PLC0415
        d = dict(src_dict)
        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)



                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))


        items = StepItems.from_dict(d.pop("items"))




        kind = d.pop("kind")

        name = d.pop("name")

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)



                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))


        status = StepReadStatus(d.pop("status"))




        step_read = cls(
            finished_at=finished_at,
            items=items,
            kind=kind,
            name=name,
            started_at=started_at,
            status=status,
        )


        step_read.additional_properties = d
        return step_read

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
