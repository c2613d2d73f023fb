from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime






T = TypeVar("T", bound="ThrottleHolder")



@_attrs_define
class ThrottleHolder:
    """ 
        Attributes:
            job_id (str):
            run_id (str):
            since (datetime.datetime):
            step (str):
     """

    job_id: str
    run_id: str
    since: datetime.datetime
    step: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        job_id = self.job_id

        run_id = self.run_id

        since = self.since.isoformat()

        step = self.step


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "job_id": job_id,
            "run_id": run_id,
            "since": since,
            "step": step,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        job_id = d.pop("job_id")

        run_id = d.pop("run_id")

        since = datetime.datetime.fromisoformat(d.pop("since"))




        step = d.pop("step")

        throttle_holder = cls(
            job_id=job_id,
            run_id=run_id,
            since=since,
            step=step,
        )


        throttle_holder.additional_properties = d
        return throttle_holder

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
