from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="GatherAddJobs")



@_attrs_define
class GatherAddJobs:
    """ More members for an unsealed gather; ids already in it are ignored.

        Attributes:
            job_ids (list[str]): At most RENDEZVOUS_MAX_GATHER_JOBS ids (100,000 unless configured)
     """

    job_ids: list[str]





    def to_dict(self) -> dict[str, Any]:
        job_ids = self.job_ids




        field_dict: dict[str, Any] = {}

        field_dict.update({
            "job_ids": job_ids,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        job_ids = cast(list[str], d.pop("job_ids"))


        gather_add_jobs = cls(
            job_ids=job_ids,
        )

        return gather_add_jobs

