from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.gather_create_on_failure import GatherCreateOnFailure
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.callback import Callback





T = TypeVar("T", bound="GatherCreate")



@_attrs_define
class GatherCreate:
    """ Create a gather over ``job_ids``; unknown ids are registered as pending.

        Attributes:
            job_ids (list[str]): At most RENDEZVOUS_MAX_GATHER_JOBS ids (100,000 unless configured)
            callback (Callback | None | Unset):
            failure_callback (Callback | None | Unset):
            id (None | str | Unset):
            include_outputs (bool | Unset):  Default: True.
            max_attempts (int | None | Unset):  Default: 10.
            on_failure (GatherCreateOnFailure | Unset):  Default: GatherCreateOnFailure.WAIT_ALL.
            poll_interval_seconds (float | None | Unset):  Default: 2.0.
            sealed (bool | Unset):  Default: True.
            timeout_seconds (float | None | Unset):
     """

    job_ids: list[str]
    callback: Callback | None | Unset = UNSET
    failure_callback: Callback | None | Unset = UNSET
    id: None | str | Unset = UNSET
    include_outputs: bool | Unset = True
    max_attempts: int | None | Unset = 10
    on_failure: GatherCreateOnFailure | Unset = GatherCreateOnFailure.WAIT_ALL
    poll_interval_seconds: float | None | Unset = 2.0
    sealed: bool | Unset = True
    timeout_seconds: float | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback import Callback # noqa: PLC0415
        job_ids = self.job_ids



        callback: dict[str, Any] | None | Unset
        if isinstance(self.callback, Unset):
            callback = UNSET
        elif isinstance(self.callback, Callback):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

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

        include_outputs = self.include_outputs

        max_attempts: int | None | Unset
        if isinstance(self.max_attempts, Unset):
            max_attempts = UNSET
        else:
            max_attempts = self.max_attempts

        on_failure: str | Unset = UNSET
        if not isinstance(self.on_failure, Unset):
            on_failure = self.on_failure.value


        poll_interval_seconds: float | None | Unset
        if isinstance(self.poll_interval_seconds, Unset):
            poll_interval_seconds = UNSET
        else:
            poll_interval_seconds = self.poll_interval_seconds

        sealed = self.sealed

        timeout_seconds: float | None | Unset
        if isinstance(self.timeout_seconds, Unset):
            timeout_seconds = UNSET
        else:
            timeout_seconds = self.timeout_seconds


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "job_ids": job_ids,
        })
        if callback is not UNSET:
            field_dict["callback"] = callback
        if failure_callback is not UNSET:
            field_dict["failure_callback"] = failure_callback
        if id is not UNSET:
            field_dict["id"] = id
        if include_outputs is not UNSET:
            field_dict["include_outputs"] = include_outputs
        if max_attempts is not UNSET:
            field_dict["max_attempts"] = max_attempts
        if on_failure is not UNSET:
            field_dict["on_failure"] = on_failure
        if poll_interval_seconds is not UNSET:
            field_dict["poll_interval_seconds"] = poll_interval_seconds
        if sealed is not UNSET:
            field_dict["sealed"] = sealed
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback import Callback # noqa: PLC0415
        d = dict(src_dict)
        job_ids = cast(list[str], d.pop("job_ids"))


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


        include_outputs = d.pop("include_outputs", UNSET)

        def _parse_max_attempts(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_attempts = _parse_max_attempts(d.pop("max_attempts", UNSET))


        _on_failure = d.pop("on_failure", UNSET)
        on_failure: GatherCreateOnFailure | Unset
        if isinstance(_on_failure,  Unset):
            on_failure = UNSET
        else:
            on_failure = GatherCreateOnFailure(_on_failure)




        def _parse_poll_interval_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        poll_interval_seconds = _parse_poll_interval_seconds(d.pop("poll_interval_seconds", UNSET))


        sealed = d.pop("sealed", UNSET)

        def _parse_timeout_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds", UNSET))


        gather_create = cls(
            job_ids=job_ids,
            callback=callback,
            failure_callback=failure_callback,
            id=id,
            include_outputs=include_outputs,
            max_attempts=max_attempts,
            on_failure=on_failure,
            poll_interval_seconds=poll_interval_seconds,
            sealed=sealed,
            timeout_seconds=timeout_seconds,
        )

        return gather_create

