from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.workflow_version_read_definition import WorkflowVersionReadDefinition
  from ..models.workflow_version_read_graph import WorkflowVersionReadGraph
  from ..models.workflow_version_read_warnings_item import WorkflowVersionReadWarningsItem





T = TypeVar("T", bound="WorkflowVersionRead")



@_attrs_define
class WorkflowVersionRead:
    """ One version of a workflow, with what the compiler says of it now.

        Attributes:
            created_at (datetime.datetime):
            definition (WorkflowVersionReadDefinition): A workflow definition: the phase form (distribot) or the DAG form
                (JobFlow); at most 262144 bytes as compact JSON
            graph (WorkflowVersionReadGraph): The compiled step graph: {entry, steps: [{name, kind, handlers, depends_on,
                on_success, on_error, final}]}
            name (str):
            version (int):
            warnings (list[WorkflowVersionReadWarningsItem]): Warnings as of now, e.g. handler_not_registered
     """

    created_at: datetime.datetime
    definition: WorkflowVersionReadDefinition
    graph: WorkflowVersionReadGraph
    name: str
    version: int
    warnings: list[WorkflowVersionReadWarningsItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.workflow_version_read_definition import WorkflowVersionReadDefinition # noqa: PLC0415
        from ..models.workflow_version_read_graph import WorkflowVersionReadGraph # noqa: PLC0415
        from ..models.workflow_version_read_warnings_item import WorkflowVersionReadWarningsItem # noqa: PLC0415
        created_at = self.created_at.isoformat()

        definition = self.definition.to_dict()

        graph = self.graph.to_dict()

        name = self.name

        version = self.version

        warnings = []
        for warnings_item_data in self.warnings:
            warnings_item = warnings_item_data.to_dict()
            warnings.append(warnings_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "created_at": created_at,
            "definition": definition,
            "graph": graph,
            "name": name,
            "version": version,
            "warnings": warnings,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workflow_version_read_definition import WorkflowVersionReadDefinition # noqa: PLC0415
        from ..models.workflow_version_read_graph import WorkflowVersionReadGraph # noqa: PLC0415
        from ..models.workflow_version_read_warnings_item import WorkflowVersionReadWarningsItem # noqa: PLC0415
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        definition = WorkflowVersionReadDefinition.from_dict(d.pop("definition"))




        graph = WorkflowVersionReadGraph.from_dict(d.pop("graph"))




        name = d.pop("name")

        version = d.pop("version")

        warnings = []
        _warnings = d.pop("warnings")
        for warnings_item_data in (_warnings):
            warnings_item = WorkflowVersionReadWarningsItem.from_dict(warnings_item_data)



            warnings.append(warnings_item)


        workflow_version_read = cls(
            created_at=created_at,
            definition=definition,
            graph=graph,
            name=name,
            version=version,
            warnings=warnings,
        )


        workflow_version_read.additional_properties = d
        return workflow_version_read

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
