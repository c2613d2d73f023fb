from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.wait_read_reason_type_0 import WaitReadReasonType0
from ..models.wait_read_status import WaitReadStatus
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.callback_read import CallbackRead





T = TypeVar("T", bound="WaitRead")



@_attrs_define
class WaitRead:
    """ 
        Attributes:
            callback (CallbackRead):
            created_at (datetime.datetime):
            deadline_at (datetime.datetime | None):
            expected (int):
            group_key (str):
            id (str):
            last_added_at (datetime.datetime):
            max_wait_seconds (float | None):
            participant_count (int):
            participants (list[str]): Participant keys in join order (the first 1,000)
            reason (None | WaitReadReasonType0): What fired last: quorum or timeout; null before any event
            refire_on_quorum_after_timeout (bool):
            resolved_at (datetime.datetime | None):
            status (WaitReadStatus):
            timed_out_at (datetime.datetime | None):
            wait_seconds (float):
     """

    callback: CallbackRead
    created_at: datetime.datetime
    deadline_at: datetime.datetime | None
    expected: int
    group_key: str
    id: str
    last_added_at: datetime.datetime
    max_wait_seconds: float | None
    participant_count: int
    participants: list[str]
    reason: None | WaitReadReasonType0
    refire_on_quorum_after_timeout: bool
    resolved_at: datetime.datetime | None
    status: WaitReadStatus
    timed_out_at: datetime.datetime | None
    wait_seconds: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        callback = self.callback.to_dict()

        created_at = self.created_at.isoformat()

        deadline_at: None | str
        if isinstance(self.deadline_at, datetime.datetime):
            deadline_at = self.deadline_at.isoformat()
        else:
            deadline_at = self.deadline_at

        expected = self.expected

        group_key = self.group_key

        id = self.id

        last_added_at = self.last_added_at.isoformat()

        max_wait_seconds: float | None
        max_wait_seconds = self.max_wait_seconds

        participant_count = self.participant_count

        participants = self.participants



        reason: None | str
        if isinstance(self.reason, WaitReadReasonType0):
            reason = self.reason.value
        else:
            reason = self.reason

        refire_on_quorum_after_timeout = self.refire_on_quorum_after_timeout

        resolved_at: None | str
        if isinstance(self.resolved_at, datetime.datetime):
            resolved_at = self.resolved_at.isoformat()
        else:
            resolved_at = self.resolved_at

        status = self.status.value

        timed_out_at: None | str
        if isinstance(self.timed_out_at, datetime.datetime):
            timed_out_at = self.timed_out_at.isoformat()
        else:
            timed_out_at = self.timed_out_at

        wait_seconds = self.wait_seconds


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "callback": callback,
            "created_at": created_at,
            "deadline_at": deadline_at,
            "expected": expected,
            "group_key": group_key,
            "id": id,
            "last_added_at": last_added_at,
            "max_wait_seconds": max_wait_seconds,
            "participant_count": participant_count,
            "participants": participants,
            "reason": reason,
            "refire_on_quorum_after_timeout": refire_on_quorum_after_timeout,
            "resolved_at": resolved_at,
            "status": status,
            "timed_out_at": timed_out_at,
            "wait_seconds": wait_seconds,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        d = dict(src_dict)
        callback = CallbackRead.from_dict(d.pop("callback"))




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


        expected = d.pop("expected")

        group_key = d.pop("group_key")

        id = d.pop("id")

        last_added_at = datetime.datetime.fromisoformat(d.pop("last_added_at"))




        def _parse_max_wait_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        max_wait_seconds = _parse_max_wait_seconds(d.pop("max_wait_seconds"))


        participant_count = d.pop("participant_count")

        participants = cast(list[str], d.pop("participants"))


        def _parse_reason(data: object) -> None | WaitReadReasonType0:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_0 = WaitReadReasonType0(data)



                return reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | WaitReadReasonType0, data)

        reason = _parse_reason(d.pop("reason"))


        refire_on_quorum_after_timeout = d.pop("refire_on_quorum_after_timeout")

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


        status = WaitReadStatus(d.pop("status"))




        def _parse_timed_out_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                timed_out_at_type_0 = datetime.datetime.fromisoformat(data)



                return timed_out_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        timed_out_at = _parse_timed_out_at(d.pop("timed_out_at"))


        wait_seconds = d.pop("wait_seconds")

        wait_read = cls(
            callback=callback,
            created_at=created_at,
            deadline_at=deadline_at,
            expected=expected,
            group_key=group_key,
            id=id,
            last_added_at=last_added_at,
            max_wait_seconds=max_wait_seconds,
            participant_count=participant_count,
            participants=participants,
            reason=reason,
            refire_on_quorum_after_timeout=refire_on_quorum_after_timeout,
            resolved_at=resolved_at,
            status=status,
            timed_out_at=timed_out_at,
            wait_seconds=wait_seconds,
        )


        wait_read.additional_properties = d
        return wait_read

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
