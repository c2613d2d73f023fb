from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.callback import Callback





T = TypeVar("T", bound="BatchJobCreate")



@_attrs_define
class BatchJobCreate:
    """ A job whose completion its batches drive; the service names it ``name:YYYY-mm-dd_HH-MM-SS_ddddd``.

        Attributes:
            name (str):
            callback (Callback | None | Unset):
            fail_on_errors (bool | Unset):  Default: False.
            metadata (Any | None | Unset):
            timeout_seconds (float | None | Unset):
     """

    name: str
    callback: Callback | None | Unset = UNSET
    fail_on_errors: bool | Unset = False
    metadata: Any | None | Unset = UNSET
    timeout_seconds: float | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback import Callback # noqa: PLC0415
        name = self.name

        callback: dict[str, Any] | None | Unset
        if isinstance(self.callback, Unset):
            callback = UNSET
        elif isinstance(self.callback, Callback):
            callback = self.callback.to_dict()
        else:
            callback = self.callback

        fail_on_errors = self.fail_on_errors

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
            "name": name,
        })
        if callback is not UNSET:
            field_dict["callback"] = callback
        if fail_on_errors is not UNSET:
            field_dict["fail_on_errors"] = fail_on_errors
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback import Callback # noqa: PLC0415
        d = dict(src_dict)
        name = d.pop("name")

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


        fail_on_errors = d.pop("fail_on_errors", UNSET)

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


        batch_job_create = cls(
            name=name,
            callback=callback,
            fail_on_errors=fail_on_errors,
            metadata=metadata,
            timeout_seconds=timeout_seconds,
        )

        return batch_job_create

