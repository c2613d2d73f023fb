from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime






T = TypeVar("T", bound="RunHistoryRead")



@_attrs_define
class RunHistoryRead:
    """ One thing that happened to a run; ``id`` orders them.

        Attributes:
            at (datetime.datetime):
            attempt (int | None):
            data (Any):
            id (int):
            index (int | None):
            job_id (None | str):
            step (None | str):
            type_ (str): run.created, transition, attempt.dispatched, attempt.succeeded|failed|timed_out|cancelled,
                step.succeeded|completed|failed|skipped|cancelled, run.paused, run.resumed, run.redriven, run.rerun,
                run.succeeded|failed|timed_out|cancelled
     """

    at: datetime.datetime
    attempt: int | None
    data: Any
    id: int
    index: int | None
    job_id: None | str
    step: None | str
    type_: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        attempt: int | None
        attempt = self.attempt

        data = self.data

        id = self.id

        index: int | None
        index = self.index

        job_id: None | str
        job_id = self.job_id

        step: None | str
        step = self.step

        type_ = self.type_


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "at": at,
            "attempt": attempt,
            "data": data,
            "id": id,
            "index": index,
            "job_id": job_id,
            "step": step,
            "type": type_,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))




        def _parse_attempt(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        attempt = _parse_attempt(d.pop("attempt"))


        data = d.pop("data")

        id = d.pop("id")

        def _parse_index(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        index = _parse_index(d.pop("index"))


        def _parse_job_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        job_id = _parse_job_id(d.pop("job_id"))


        def _parse_step(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        step = _parse_step(d.pop("step"))


        type_ = d.pop("type")

        run_history_read = cls(
            at=at,
            attempt=attempt,
            data=data,
            id=id,
            index=index,
            job_id=job_id,
            step=step,
            type_=type_,
        )


        run_history_read.additional_properties = d
        return run_history_read

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
