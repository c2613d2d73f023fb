from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.run_read_status import RunReadStatus
from ..types import UNSET, Unset
from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.callback_read import CallbackRead
  from ..models.run_read_transitions_item import RunReadTransitionsItem
  from ..models.step_read import StepRead





T = TypeVar("T", bound="RunRead")



@_attrs_define
class RunRead:
    """ 
        Attributes:
            callback (CallbackRead | None):
            created_at (datetime.datetime):
            current_phase (None | str):
            deadline_at (datetime.datetime | None):
            error (Any):
            events (list[str]):
            failure_callback (CallbackRead | None):
            finished_at (datetime.datetime | None):
            id (str):
            input_ (Any):
            metadata (Any):
            output (Any):
            paused_at (datetime.datetime | None):
            redrive_count (int):
            status (RunReadStatus):
            timeout_seconds (float | None):
            transitions (list[RunReadTransitionsItem]):
            transitions_truncated (bool):
            version (int):
            workflow (str):
            steps (list[StepRead] | None | Unset):
     """

    callback: CallbackRead | None
    created_at: datetime.datetime
    current_phase: None | str
    deadline_at: datetime.datetime | None
    error: Any
    events: list[str]
    failure_callback: CallbackRead | None
    finished_at: datetime.datetime | None
    id: str
    input_: Any
    metadata: Any
    output: Any
    paused_at: datetime.datetime | None
    redrive_count: int
    status: RunReadStatus
    timeout_seconds: float | None
    transitions: list[RunReadTransitionsItem]
    transitions_truncated: bool
    version: int
    workflow: str
    steps: list[StepRead] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        from ..models.run_read_transitions_item import RunReadTransitionsItem # noqa: PLC0415
        from ..models.step_read import StepRead # noqa: PLC0415
        callback: dict[str, Any] | None
        if isinstance(self.callback, CallbackRead):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

        created_at = self.created_at.isoformat()

        current_phase: None | str
        current_phase = self.current_phase

        deadline_at: None | str
        if isinstance(self.deadline_at, datetime.datetime):
            deadline_at = self.deadline_at.isoformat()
        else:
            deadline_at = self.deadline_at

        error = self.error

        events = self.events



        failure_callback: dict[str, Any] | None
        if isinstance(self.failure_callback, CallbackRead):
            failure_callback = self.failure_callback.to_dict()
        else:
            failure_callback = self.failure_callback

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        id = self.id

        input_ = self.input_

        metadata = self.metadata

        output = self.output

        paused_at: None | str
        if isinstance(self.paused_at, datetime.datetime):
            paused_at = self.paused_at.isoformat()
        else:
            paused_at = self.paused_at

        redrive_count = self.redrive_count

        status = self.status.value

        timeout_seconds: float | None
        timeout_seconds = self.timeout_seconds

        transitions = []
        for transitions_item_data in self.transitions:
            transitions_item = transitions_item_data.to_dict()
            transitions.append(transitions_item)



        transitions_truncated = self.transitions_truncated

        version = self.version

        workflow = self.workflow

        steps: list[dict[str, Any]] | None | Unset
        if isinstance(self.steps, Unset):
            steps = UNSET
        elif isinstance(self.steps, list):
            steps = []
            for steps_type_0_item_data in self.steps:
                steps_type_0_item = steps_type_0_item_data.to_dict()
                steps.append(steps_type_0_item)


        else:
            steps = self.steps


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "callback": callback,
            "created_at": created_at,
            "current_phase": current_phase,
            "deadline_at": deadline_at,
            "error": error,
            "events": events,
            "failure_callback": failure_callback,
            "finished_at": finished_at,
            "id": id,
            "input": input_,
            "metadata": metadata,
            "output": output,
            "paused_at": paused_at,
            "redrive_count": redrive_count,
            "status": status,
            "timeout_seconds": timeout_seconds,
            "transitions": transitions,
            "transitions_truncated": transitions_truncated,
            "version": version,
            "workflow": workflow,
        })
        if steps is not UNSET:
            field_dict["steps"] = steps

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback_read import CallbackRead # noqa: PLC0415
        from ..models.run_read_transitions_item import RunReadTransitionsItem # noqa: PLC0415
        from ..models.step_read import StepRead # noqa: PLC0415
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




        def _parse_current_phase(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        current_phase = _parse_current_phase(d.pop("current_phase"))


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

        events = cast(list[str], d.pop("events"))


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


        id = d.pop("id")

        input_ = d.pop("input")

        metadata = d.pop("metadata")

        output = d.pop("output")

        def _parse_paused_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                paused_at_type_0 = datetime.datetime.fromisoformat(data)



                return paused_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        paused_at = _parse_paused_at(d.pop("paused_at"))


        redrive_count = d.pop("redrive_count")

        status = RunReadStatus(d.pop("status"))




        def _parse_timeout_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds"))


        transitions = []
        _transitions = d.pop("transitions")
        for transitions_item_data in (_transitions):
            transitions_item = RunReadTransitionsItem.from_dict(transitions_item_data)



            transitions.append(transitions_item)


        transitions_truncated = d.pop("transitions_truncated")

        version = d.pop("version")

        workflow = d.pop("workflow")

        def _parse_steps(data: object) -> list[StepRead] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                steps_type_0 = []
                _steps_type_0 = data
                for steps_type_0_item_data in (_steps_type_0):
                    steps_type_0_item = StepRead.from_dict(steps_type_0_item_data)



                    steps_type_0.append(steps_type_0_item)

                return steps_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[StepRead] | None | Unset, data)

        steps = _parse_steps(d.pop("steps", UNSET))


        run_read = cls(
            callback=callback,
            created_at=created_at,
            current_phase=current_phase,
            deadline_at=deadline_at,
            error=error,
            events=events,
            failure_callback=failure_callback,
            finished_at=finished_at,
            id=id,
            input_=input_,
            metadata=metadata,
            output=output,
            paused_at=paused_at,
            redrive_count=redrive_count,
            status=status,
            timeout_seconds=timeout_seconds,
            transitions=transitions,
            transitions_truncated=transitions_truncated,
            version=version,
            workflow=workflow,
            steps=steps,
        )


        run_read.additional_properties = d
        return run_read

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
