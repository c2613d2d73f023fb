from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.run_create_events_item import RunCreateEventsItem
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.callback import Callback





T = TypeVar("T", bound="RunCreate")



@_attrs_define
class RunCreate:
    """ Start a run of the workflow's latest version.

        Attributes:
            callback (Callback | None | Unset):
            events (list[RunCreateEventsItem] | Unset):
            failure_callback (Callback | None | Unset):
            id (None | str | Unset):
            input_ (Any | Unset):
            metadata (Any | None | Unset):
            timeout_seconds (float | None | Unset):
     """

    callback: Callback | None | Unset = UNSET
    events: list[RunCreateEventsItem] | Unset = UNSET
    failure_callback: Callback | None | Unset = UNSET
    id: None | str | Unset = UNSET
    input_: Any | Unset = UNSET
    metadata: Any | None | Unset = UNSET
    timeout_seconds: float | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback import Callback # noqa: PLC0415
        callback: dict[str, Any] | None | Unset
        if isinstance(self.callback, Unset):
            callback = UNSET
        elif isinstance(self.callback, Callback):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

        events: list[str] | Unset = UNSET
        if not isinstance(self.events, Unset):
            events = []
            for events_item_data in self.events:
                events_item = events_item_data.value
                events.append(events_item)



        failure_callback: dict[str, Any] | None | Unset
        if isinstance(self.failure_callback, Unset):
            failure_callback = UNSET
        elif isinstance(self.failure_callback, Callback):
            failure_callback = self.failure_callback.to_dict()
        else:
            failure_callback = self.failure_callback

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        input_ = self.input_

        metadata: Any | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        else:
            metadata = self.metadata

        timeout_seconds: float | None | Unset
        if isinstance(self.timeout_seconds, Unset):
            timeout_seconds = UNSET
        else:
            timeout_seconds = self.timeout_seconds


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if callback is not UNSET:
            field_dict["callback"] = callback
        if events is not UNSET:
            field_dict["events"] = events
        if failure_callback is not UNSET:
            field_dict["failure_callback"] = failure_callback
        if id is not UNSET:
            field_dict["id"] = id
        if input_ is not UNSET:
            field_dict["input"] = input_
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback import Callback # noqa: PLC0415
        d = dict(src_dict)
        def _parse_callback(data: object) -> Callback | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                callback_type_0 = Callback.from_dict(data)



                return callback_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Callback | None | Unset, data)

        callback = _parse_callback(d.pop("callback", UNSET))


        _events = d.pop("events", UNSET)
        events: list[RunCreateEventsItem] | Unset = UNSET
        if _events is not UNSET:
            events = []
            for events_item_data in _events:
                events_item = RunCreateEventsItem(events_item_data)



                events.append(events_item)


        def _parse_failure_callback(data: object) -> Callback | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                failure_callback_type_0 = Callback.from_dict(data)



                return failure_callback_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Callback | None | Unset, data)

        failure_callback = _parse_failure_callback(d.pop("failure_callback", UNSET))


        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))


        input_ = d.pop("input", UNSET)

        def _parse_metadata(data: object) -> Any | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(Any | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))


        def _parse_timeout_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds", UNSET))


        run_create = cls(
            callback=callback,
            events=events,
            failure_callback=failure_callback,
            id=id,
            input_=input_,
            metadata=metadata,
            timeout_seconds=timeout_seconds,
        )

        return run_create

