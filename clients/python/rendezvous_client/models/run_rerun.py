from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="RunRerun")



@_attrs_define
class RunRerun:
    """ 
        Attributes:
            from_step (str): The step to run again, with every step after it
     """

    from_step: str





    def to_dict(self) -> dict[str, Any]:
        from_step = self.from_step


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "from_step": from_step,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        from_step = d.pop("from_step")

        run_rerun = cls(
            from_step=from_step,
        )

        return run_rerun

