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





T = TypeVar("T", bound="ParticipantAdd")



@_attrs_define
class ParticipantAdd:
    """ Join a wait, opening it on the first add. Settings are last-writer-wins; every add resets the timer.

        Attributes:
            callback (Callback): Where to POST an event, with extra headers and a payload echoed back unchanged.
            expected_participants (int):
            participant_key (str):
            wait_seconds (float): A duration in seconds
            max_wait_seconds (float | None | Unset): Caps the wait, counted from its first add, however often the timer is
                reset
            refire_on_quorum_after_timeout (bool | Unset): After a timeout, keep the wait open for one later quorum event
                Default: False.
     """

    callback: Callback
    expected_participants: int
    participant_key: str
    wait_seconds: float
    max_wait_seconds: float | None | Unset = UNSET
    refire_on_quorum_after_timeout: bool | Unset = False





    def to_dict(self) -> dict[str, Any]:
        from ..models.callback import Callback # noqa: PLC0415
        callback = self.callback.to_dict()

        expected_participants = self.expected_participants

        participant_key = self.participant_key

        wait_seconds = self.wait_seconds

        max_wait_seconds: float | None | Unset
        if isinstance(self.max_wait_seconds, Unset):
            max_wait_seconds = UNSET
        else:
            max_wait_seconds = self.max_wait_seconds

        refire_on_quorum_after_timeout = self.refire_on_quorum_after_timeout


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "callback": callback,
            "expected_participants": expected_participants,
            "participant_key": participant_key,
            "wait_seconds": wait_seconds,
        })
        if max_wait_seconds is not UNSET:
            field_dict["max_wait_seconds"] = max_wait_seconds
        if refire_on_quorum_after_timeout is not UNSET:
            field_dict["refire_on_quorum_after_timeout"] = refire_on_quorum_after_timeout

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.callback import Callback # noqa: PLC0415
        d = dict(src_dict)
        callback = Callback.from_dict(d.pop("callback"))




        expected_participants = d.pop("expected_participants")

        participant_key = d.pop("participant_key")

        wait_seconds = d.pop("wait_seconds")

        def _parse_max_wait_seconds(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        max_wait_seconds = _parse_max_wait_seconds(d.pop("max_wait_seconds", UNSET))


        refire_on_quorum_after_timeout = d.pop("refire_on_quorum_after_timeout", UNSET)

        participant_add = cls(
            callback=callback,
            expected_participants=expected_participants,
            participant_key=participant_key,
            wait_seconds=wait_seconds,
            max_wait_seconds=max_wait_seconds,
            refire_on_quorum_after_timeout=refire_on_quorum_after_timeout,
        )

        return participant_add

