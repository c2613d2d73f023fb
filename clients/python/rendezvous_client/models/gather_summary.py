from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.gather_summary_status import GatherSummaryStatus
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.callback_read import CallbackRead





T = TypeVar("T", bound="GatherSummary")



@_attrs_define
class GatherSummary:
    """ A gather's progress, without its members (as ``GET /v1/gathers`` lists them).

        Attributes:
            callback (CallbackRead | None):
            created_at (datetime.datetime):
            deadline_at (datetime.datetime | None):
            done (int):
            failed (int):
            failure_callback (CallbackRead | None):
            id (str):
            include_outputs (bool):
            max_attempts (int | None):
            on_failure (str):
            pending (int):
            poll_interval_seconds (float | None):
            resolved_at (datetime.datetime | None):
            sealed (bool):
            status (GatherSummaryStatus):
            succeeded (int):
            timeout_seconds (float | None):
            total (int):
     """

    callback: CallbackRead | None
    created_at: datetime.datetime
    deadline_at: datetime.datetime | None
    done: int
    failed: int
    failure_callback: CallbackRead | None
    id: str
    include_outputs: bool
    max_attempts: int | None
    on_failure: str
    pending: int
    poll_interval_seconds: float | None
    resolved_at: datetime.datetime | None
    sealed: bool
    status: GatherSummaryStatus
    succeeded: int
    timeout_seconds: float | None
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        callback: dict[str, Any] | None
        if isinstance(self.callback, CallbackRead):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

        created_at = self.created_at.isoformat()

        deadline_at: None | str
        if isinstance(self.deadline_at, datetime.datetime):
            deadline_at = self.deadline_at.isoformat()
        else:
            deadline_at = self.deadline_at

        done = self.done

        failed = self.failed

        failure_callback: dict[str, Any] | None
        if isinstance(self.failure_callback, CallbackRead):
            failure_callback = self.failure_callback.to_dict()
        else:
            failure_callback = self.failure_callback

        id = self.id

        include_outputs = self.include_outputs

        max_attempts: int | None
        max_attempts = self.max_attempts

        on_failure = self.on_failure

        pending = self.pending

        poll_interval_seconds: float | None
        poll_interval_seconds = self.poll_interval_seconds

        resolved_at: None | str
        if isinstance(self.resolved_at, datetime.datetime):
            resolved_at = self.resolved_at.isoformat()
        else:
            resolved_at = self.resolved_at

        sealed = self.sealed

        status = self.status.value

        succeeded = self.succeeded

        timeout_seconds: float | None
        timeout_seconds = self.timeout_seconds

        total = self.total


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "callback": callback,
            "created_at": created_at,
            "deadline_at": deadline_at,
            "done": done,
            "failed": failed,
            "failure_callback": failure_callback,
            "id": id,
            "include_outputs": include_outputs,
            "max_attempts": max_attempts,
            "on_failure": on_failure,
            "pending": pending,
            "poll_interval_seconds": poll_interval_seconds,
            "resolved_at": resolved_at,
            "sealed": sealed,
            "status": status,
            "succeeded": succeeded,
            "timeout_seconds": timeout_seconds,
            "total": total,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        d = dict(src_dict)
        def _parse_callback(data: object) -> CallbackRead | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                callback_type_0 = CallbackRead.from_dict(data)



                return callback_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CallbackRead | None, data)

        callback = _parse_callback(d.pop("callback"))


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


        done = d.pop("done")

        failed = d.pop("failed")

        def _parse_failure_callback(data: object) -> CallbackRead | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                failure_callback_type_0 = CallbackRead.from_dict(data)



                return failure_callback_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CallbackRead | None, data)

        failure_callback = _parse_failure_callback(d.pop("failure_callback"))


        id = d.pop("id")

        include_outputs = d.pop("include_outputs")

        def _parse_max_attempts(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_attempts = _parse_max_attempts(d.pop("max_attempts"))


        on_failure = d.pop("on_failure")

        pending = d.pop("pending")

        def _parse_poll_interval_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        poll_interval_seconds = _parse_poll_interval_seconds(d.pop("poll_interval_seconds"))


        def _parse_resolved_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                resolved_at_type_0 = datetime.datetime.fromisoformat(data)



                return resolved_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        resolved_at = _parse_resolved_at(d.pop("resolved_at"))


        sealed = d.pop("sealed")

        status = GatherSummaryStatus(d.pop("status"))




        succeeded = d.pop("succeeded")

        def _parse_timeout_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds"))


        total = d.pop("total")

        gather_summary = cls(
            callback=callback,
            created_at=created_at,
            deadline_at=deadline_at,
            done=done,
            failed=failed,
            failure_callback=failure_callback,
            id=id,
            include_outputs=include_outputs,
            max_attempts=max_attempts,
            on_failure=on_failure,
            pending=pending,
            poll_interval_seconds=poll_interval_seconds,
            resolved_at=resolved_at,
            sealed=sealed,
            status=status,
            succeeded=succeeded,
            timeout_seconds=timeout_seconds,
            total=total,
        )


        gather_summary.additional_properties = d
        return gather_summary

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
