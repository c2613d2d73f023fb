from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.gather_explain_status import GatherExplainStatus
from typing import cast
import datetime






T = TypeVar("T", bound="GatherExplain")



@_attrs_define
class GatherExplain:
    """ 
        Attributes:
            deadline_at (datetime.datetime | None):
            failed_job_ids (list[str]):
            id (str):
            missing_job_ids (list[str]):
            reasons (list[str]):
            resolved (bool):
            seconds_to_deadline (float | None):
            status (GatherExplainStatus):
     """

    deadline_at: datetime.datetime | None
    failed_job_ids: list[str]
    id: str
    missing_job_ids: list[str]
    reasons: list[str]
    resolved: bool
    seconds_to_deadline: float | None
    status: GatherExplainStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        deadline_at: None | str
        if isinstance(self.deadline_at, datetime.datetime):
            deadline_at = self.deadline_at.isoformat()
        else:
            deadline_at = self.deadline_at

        failed_job_ids = self.failed_job_ids



        id = self.id

        missing_job_ids = self.missing_job_ids



        reasons = self.reasons



        resolved = self.resolved

        seconds_to_deadline: float | None
        seconds_to_deadline = self.seconds_to_deadline

        status = self.status.value


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "deadline_at": deadline_at,
            "failed_job_ids": failed_job_ids,
            "id": id,
            "missing_job_ids": missing_job_ids,
            "reasons": reasons,
            "resolved": resolved,
            "seconds_to_deadline": seconds_to_deadline,
            "status": status,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_deadline_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deadline_at_type_0 = datetime.datetime.fromisoformat(data)



                return deadline_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        deadline_at = _parse_deadline_at(d.pop("deadline_at"))


        failed_job_ids = cast(list[str], d.pop("failed_job_ids"))


        id = d.pop("id")

        missing_job_ids = cast(list[str], d.pop("missing_job_ids"))


        reasons = cast(list[str], d.pop("reasons"))


        resolved = d.pop("resolved")

        def _parse_seconds_to_deadline(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        seconds_to_deadline = _parse_seconds_to_deadline(d.pop("seconds_to_deadline"))


        status = GatherExplainStatus(d.pop("status"))




        gather_explain = cls(
            deadline_at=deadline_at,
            failed_job_ids=failed_job_ids,
            id=id,
            missing_job_ids=missing_job_ids,
            reasons=reasons,
            resolved=resolved,
            seconds_to_deadline=seconds_to_deadline,
            status=status,
        )


        gather_explain.additional_properties = d
        return gather_explain

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
