from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="PutWorkflowBody")



@_attrs_define
class PutWorkflowBody:
    """ A workflow definition: the phase form (distribot) or the DAG form (JobFlow); at most 262144 bytes as compact JSON

        Attributes:
            failure_mode (Any | Unset): DAG form: continue (default) or fail_fast
            name (Any | Unset): When present, must equal the workflow's name
            output (Any | Unset): DAG form: the run's output, e.g. {"$ptr": "/steps/…"}
            phases (Any | Unset): Phase form: a map of phases by name, or an array of {name, …}
            tasks (Any | Unset): DAG form: a map of tasks by name
            workflow (Any | Unset): When present, must equal the workflow's name
     """

    failure_mode: Any | Unset = UNSET
    name: Any | Unset = UNSET
    output: Any | Unset = UNSET
    phases: Any | Unset = UNSET
    tasks: Any | Unset = UNSET
    workflow: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        failure_mode = self.failure_mode

        name = self.name

        output = self.output

        phases = self.phases

        tasks = self.tasks

        workflow = self.workflow


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
        })
        if failure_mode is not UNSET:
            field_dict["failure_mode"] = failure_mode
        if name is not UNSET:
            field_dict["name"] = name
        if output is not UNSET:
            field_dict["output"] = output
        if phases is not UNSET:
            field_dict["phases"] = phases
        if tasks is not UNSET:
            field_dict["tasks"] = tasks
        if workflow is not UNSET:
            field_dict["workflow"] = workflow

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        failure_mode = d.pop("failure_mode", UNSET)

        name = d.pop("name", UNSET)

        output = d.pop("output", UNSET)

        phases = d.pop("phases", UNSET)

        tasks = d.pop("tasks", UNSET)

        workflow = d.pop("workflow", UNSET)

        put_workflow_body = cls(
            failure_mode=failure_mode,
            name=name,
            output=output,
            phases=phases,
            tasks=tasks,
            workflow=workflow,
        )


        put_workflow_body.additional_properties = d
        return put_workflow_body

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
