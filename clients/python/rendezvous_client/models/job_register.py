from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="JobRegister")



@_attrs_define
class JobRegister:
    """ Register a job under the id in the path.

        Attributes:
            heartbeat_seconds (float | None | Unset): The job also times out when no heartbeat came for this long; with it,
                no heartbeat moves the deadline past timeout_seconds after registration. At most timeout_seconds
            metadata (Any | None | Unset):
            name (None | str | Unset):
            timeout_seconds (float | None | Unset): The job times out this long after registration (a heartbeat may extend
                it)
     """

    heartbeat_seconds: float | None | Unset = UNSET
    metadata: Any | None | Unset = UNSET
    name: None | str | Unset = UNSET
    timeout_seconds: float | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        heartbeat_seconds: float | None | Unset
        if isinstance(self.heartbeat_seconds, Unset):
            heartbeat_seconds = UNSET
        else:
            heartbeat_seconds = self.heartbeat_seconds

        metadata: Any | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        else:
            metadata = self.metadata

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        timeout_seconds: float | None | Unset
        if isinstance(self.timeout_seconds, Unset):
            timeout_seconds = UNSET
        else:
            timeout_seconds = self.timeout_seconds


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if heartbeat_seconds is not UNSET:
            field_dict["heartbeat_seconds"] = heartbeat_seconds
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if name is not UNSET:
            field_dict["name"] = name
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_heartbeat_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        heartbeat_seconds = _parse_heartbeat_seconds(d.pop("heartbeat_seconds", UNSET))


        def _parse_metadata(data: object) -> Any | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(Any | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))


        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))


        def _parse_timeout_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds", UNSET))


        job_register = cls(
            heartbeat_seconds=heartbeat_seconds,
            metadata=metadata,
            name=name,
            timeout_seconds=timeout_seconds,
        )

        return job_register

