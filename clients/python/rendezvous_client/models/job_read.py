from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_read_status import JobReadStatus
from ..types import UNSET, Unset
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.batch_progress import BatchProgress





T = TypeVar("T", bound="JobRead")



@_attrs_define
class JobRead:
    """ 
        Attributes:
            created_at (datetime.datetime):
            deadline_at (datetime.datetime | None): When the job times out unless it ends (or beats) first
            error (Any):
            finished_at (datetime.datetime | None):
            heartbeat_seconds (float | None): Heartbeat interval; null when the job has none
            id (str):
            metadata (Any):
            name (None | str):
            output (Any):
            status (JobReadStatus):
            timeout_at (datetime.datetime | None): The hard deadline no heartbeat moves past: set for a job registered with
                heartbeat_seconds and for every workflow attempt
            timeout_seconds (float | None):
            updated_at (datetime.datetime):
            batches (BatchProgress | None | Unset): Batch progress, on reads of a job that has batches
     """

    created_at: datetime.datetime
    deadline_at: datetime.datetime | None
    error: Any
    finished_at: datetime.datetime | None
    heartbeat_seconds: float | None
    id: str
    metadata: Any
    name: None | str
    output: Any
    status: JobReadStatus
    timeout_at: datetime.datetime | None
    timeout_seconds: float | None
    updated_at: datetime.datetime
    batches: BatchProgress | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.batch_progress import BatchProgress # noqa: PLC0415
        created_at = self.created_at.isoformat()

        deadline_at: None | str
        if isinstance(self.deadline_at, datetime.datetime):
            deadline_at = self.deadline_at.isoformat()
        else:
            deadline_at = self.deadline_at

        error = self.error

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        heartbeat_seconds: float | None
        heartbeat_seconds = self.heartbeat_seconds

        id = self.id

        metadata = self.metadata

        name: None | str
        name = self.name

        output = self.output

        status = self.status.value

        timeout_at: None | str
        if isinstance(self.timeout_at, datetime.datetime):
            timeout_at = self.timeout_at.isoformat()
        else:
            timeout_at = self.timeout_at

        timeout_seconds: float | None
        timeout_seconds = self.timeout_seconds

        updated_at = self.updated_at.isoformat()

        batches: dict[str, Any] | None | Unset
        if isinstance(self.batches, Unset):
            batches = UNSET
        elif isinstance(self.batches, BatchProgress):
            batches = self.batches.to_dict()
        else:
            batches = self.batches


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "created_at": created_at,
            "deadline_at": deadline_at,
            "error": error,
            "finished_at": finished_at,
            "heartbeat_seconds": heartbeat_seconds,
            "id": id,
            "metadata": metadata,
            "name": name,
            "output": output,
            "status": status,
            "timeout_at": timeout_at,
            "timeout_seconds": timeout_seconds,
            "updated_at": updated_at,
        })
        if batches is not UNSET:
            field_dict["batches"] = batches

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_progress import BatchProgress # noqa: PLC0415
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




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


        error = d.pop("error")

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


        def _parse_heartbeat_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        heartbeat_seconds = _parse_heartbeat_seconds(d.pop("heartbeat_seconds"))


        id = d.pop("id")

        metadata = d.pop("metadata")

        def _parse_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        name = _parse_name(d.pop("name"))


        output = d.pop("output")

        status = JobReadStatus(d.pop("status"))




        def _parse_timeout_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                timeout_at_type_0 = datetime.datetime.fromisoformat(data)



                return timeout_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        timeout_at = _parse_timeout_at(d.pop("timeout_at"))


        def _parse_timeout_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds"))


        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))




        def _parse_batches(data: object) -> BatchProgress | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                batches_type_0 = BatchProgress.from_dict(data)



                return batches_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(BatchProgress | None | Unset, data)

        batches = _parse_batches(d.pop("batches", UNSET))


        job_read = cls(
            created_at=created_at,
            deadline_at=deadline_at,
            error=error,
            finished_at=finished_at,
            heartbeat_seconds=heartbeat_seconds,
            id=id,
            metadata=metadata,
            name=name,
            output=output,
            status=status,
            timeout_at=timeout_at,
            timeout_seconds=timeout_seconds,
            updated_at=updated_at,
            batches=batches,
        )


        job_read.additional_properties = d
        return job_read

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
