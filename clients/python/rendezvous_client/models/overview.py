from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.overview_batch_jobs import OverviewBatchJobs
  from ..models.overview_deliveries import OverviewDeliveries
  from ..models.overview_gathers import OverviewGathers
  from ..models.overview_runs import OverviewRuns
  from ..models.page_wait_read import PageWaitRead





T = TypeVar("T", bound="Overview")



@_attrs_define
class Overview:
    """ 
        Attributes:
            batch_jobs (OverviewBatchJobs):
            deliveries (OverviewDeliveries):
            gathers (OverviewGathers):
            namespace (str):
            runs (OverviewRuns):
            waits (PageWaitRead):
     """

    batch_jobs: OverviewBatchJobs
    deliveries: OverviewDeliveries
    gathers: OverviewGathers
    namespace: str
    runs: OverviewRuns
    waits: PageWaitRead
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.overview_batch_jobs import OverviewBatchJobs # noqa: PLC0415
        from ..models.overview_deliveries import OverviewDeliveries # noqa: PLC0415
        from ..models.overview_gathers import OverviewGathers # noqa: PLC0415
        from ..models.overview_runs import OverviewRuns # noqa: PLC0415
        from ..models.page_wait_read import PageWaitRead # noqa: PLC0415
        batch_jobs = self.batch_jobs.to_dict()

        deliveries = self.deliveries.to_dict()

        gathers = self.gathers.to_dict()

        namespace = self.namespace

        runs = self.runs.to_dict()

        waits = self.waits.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "batch_jobs": batch_jobs,
            "deliveries": deliveries,
            "gathers": gathers,
            "namespace": namespace,
            "runs": runs,
            "waits": waits,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.overview_batch_jobs import OverviewBatchJobs # noqa: PLC0415
        from ..models.overview_deliveries import OverviewDeliveries # noqa: PLC0415
        from ..models.overview_gathers import OverviewGathers # noqa: PLC0415
        from ..models.overview_runs import OverviewRuns # noqa: PLC0415
        from ..models.page_wait_read import PageWaitRead # noqa: PLC0415
        d = dict(src_dict)
        batch_jobs = OverviewBatchJobs.from_dict(d.pop("batch_jobs"))




        deliveries = OverviewDeliveries.from_dict(d.pop("deliveries"))




        gathers = OverviewGathers.from_dict(d.pop("gathers"))




        namespace = d.pop("namespace")

        runs = OverviewRuns.from_dict(d.pop("runs"))




        waits = PageWaitRead.from_dict(d.pop("waits"))




        overview = cls(
            batch_jobs=batch_jobs,
            deliveries=deliveries,
            gathers=gathers,
            namespace=namespace,
            runs=runs,
            waits=waits,
        )


        overview.additional_properties = d
        return overview

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
