from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="StepItems")



@_attrs_define
class StepItems:
    """ 
        Attributes:
            cancelled (int):
            failed (int):
            in_flight (int):
            ready (int): Not started, with room to start: waiting for their handler to register
            retry_scheduled (int):
            succeeded (int):
            throttled (int): Waiting for a slot of the step's throttle key or handler's cap
            total (int):
            waiting (int): Not started: held back by the step's concurrency or not yet reached
     """

    cancelled: int
    failed: int
    in_flight: int
    ready: int
    retry_scheduled: int
    succeeded: int
    throttled: int
    total: int
    waiting: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        cancelled = self.cancelled

        failed = self.failed

        in_flight = self.in_flight

        ready = self.ready

        retry_scheduled = self.retry_scheduled

        succeeded = self.succeeded

        throttled = self.throttled

        total = self.total

        waiting = self.waiting


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "cancelled": cancelled,
            "failed": failed,
            "in_flight": in_flight,
            "ready": ready,
            "retry_scheduled": retry_scheduled,
            "succeeded": succeeded,
            "throttled": throttled,
            "total": total,
            "waiting": waiting,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cancelled = d.pop("cancelled")

        failed = d.pop("failed")

        in_flight = d.pop("in_flight")

        ready = d.pop("ready")

        retry_scheduled = d.pop("retry_scheduled")

        succeeded = d.pop("succeeded")

        throttled = d.pop("throttled")

        total = d.pop("total")

        waiting = d.pop("waiting")

        step_items = cls(
            cancelled=cancelled,
            failed=failed,
            in_flight=in_flight,
            ready=ready,
            retry_scheduled=retry_scheduled,
            succeeded=succeeded,
            throttled=throttled,
            total=total,
            waiting=waiting,
        )


        step_items.additional_properties = d
        return step_items

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
