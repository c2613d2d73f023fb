from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.delivery_detail_status import DeliveryDetailStatus
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.attempt_read import AttemptRead





T = TypeVar("T", bound="DeliveryDetail")



@_attrs_define
class DeliveryDetail:
    """ 
        Attributes:
            attempt_log (list[AttemptRead]):
            attempts (int):
            created_at (datetime.datetime):
            delivered_at (datetime.datetime | None):
            event (Any):
            event_id (str):
            event_type (str):
            id (str):
            interrupted (int): Attempts cut off by the replica that made them stopping (not counted against the retry
                schedule)
            last_error (None | str):
            last_status_code (int | None):
            next_attempt_at (datetime.datetime | None):
            status (DeliveryDetailStatus):
            subject_id (str):
            subject_kind (str):
            url (str):
     """

    attempt_log: list[AttemptRead]
    attempts: int
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None
    event: Any
    event_id: str
    event_type: str
    id: str
    interrupted: int
    last_error: None | str
    last_status_code: int | None
    next_attempt_at: datetime.datetime | None
    status: DeliveryDetailStatus
    subject_id: str
    subject_kind: str
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.attempt_read import AttemptRead # noqa: PLC0415
        attempt_log = []
        for attempt_log_item_data in self.attempt_log:
            attempt_log_item = attempt_log_item_data.to_dict()
            attempt_log.append(attempt_log_item)



        attempts = self.attempts

        created_at = self.created_at.isoformat()

        delivered_at: None | str
        if isinstance(self.delivered_at, datetime.datetime):
            delivered_at = self.delivered_at.isoformat()
        else:
            delivered_at = self.delivered_at

        event = self.event

        event_id = self.event_id

        event_type = self.event_type

        id = self.id

        interrupted = self.interrupted

        last_error: None | str
        last_error = self.last_error

        last_status_code: int | None
        last_status_code = self.last_status_code

        next_attempt_at: None | str
        if isinstance(self.next_attempt_at, datetime.datetime):
            next_attempt_at = self.next_attempt_at.isoformat()
        else:
            next_attempt_at = self.next_attempt_at

        status = self.status.value

        subject_id = self.subject_id

        subject_kind = self.subject_kind

        url = self.url


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "attempt_log": attempt_log,
            "attempts": attempts,
            "created_at": created_at,
            "delivered_at": delivered_at,
            "event": event,
            "event_id": event_id,
            "event_type": event_type,
            "id": id,
            "interrupted": interrupted,
            "last_error": last_error,
            "last_status_code": last_status_code,
            "next_attempt_at": next_attempt_at,
            "status": status,
            "subject_id": subject_id,
            "subject_kind": subject_kind,
            "url": url,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attempt_read import AttemptRead # noqa: PLC0415
        d = dict(src_dict)
        attempt_log = []
        _attempt_log = d.pop("attempt_log")
        for attempt_log_item_data in (_attempt_log):
            attempt_log_item = AttemptRead.from_dict(attempt_log_item_data)



            attempt_log.append(attempt_log_item)


        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_delivered_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                delivered_at_type_0 = datetime.datetime.fromisoformat(data)



                return delivered_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        delivered_at = _parse_delivered_at(d.pop("delivered_at"))


        event = d.pop("event")

        event_id = d.pop("event_id")

        event_type = d.pop("event_type")

        id = d.pop("id")

        interrupted = d.pop("interrupted")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))


        def _parse_last_status_code(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        last_status_code = _parse_last_status_code(d.pop("last_status_code"))


        def _parse_next_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_attempt_at_type_0 = datetime.datetime.fromisoformat(data)



                return next_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_attempt_at = _parse_next_attempt_at(d.pop("next_attempt_at"))


        status = DeliveryDetailStatus(d.pop("status"))




        subject_id = d.pop("subject_id")

        subject_kind = d.pop("subject_kind")

        url = d.pop("url")

        delivery_detail = cls(
            attempt_log=attempt_log,
            attempts=attempts,
            created_at=created_at,
            delivered_at=delivered_at,
            event=event,
            event_id=event_id,
            event_type=event_type,
            id=id,
            interrupted=interrupted,
            last_error=last_error,
            last_status_code=last_status_code,
            next_attempt_at=next_attempt_at,
            status=status,
            subject_id=subject_id,
            subject_kind=subject_kind,
            url=url,
        )


        delivery_detail.additional_properties = d
        return delivery_detail

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
