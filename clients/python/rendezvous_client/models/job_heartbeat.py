from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="JobHeartbeat")



@_attrs_define
class JobHeartbeat:
    """ Mark a job running and move its deadline: ``timeout_seconds`` (else the job's ``heartbeat_seconds``)
    past now, never past the hard deadline of a job with ``heartbeat_seconds``.

        Attributes:
            timeout_seconds (float | None | Unset): Move the deadline to now + this (default: the job's heartbeat_seconds)
     """

    timeout_seconds: float | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        timeout_seconds: float | None | Unset
        if isinstance(self.timeout_seconds, Unset):
            timeout_seconds = UNSET
        else:
            timeout_seconds = self.timeout_seconds


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_timeout_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds", UNSET))


        job_heartbeat = cls(
            timeout_seconds=timeout_seconds,
        )

        return job_heartbeat

