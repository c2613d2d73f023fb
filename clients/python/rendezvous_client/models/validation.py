from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.validation_errors_item import ValidationErrorsItem
  from ..models.validation_graph_type_0 import ValidationGraphType0
  from ..models.validation_warnings_item import ValidationWarningsItem





T = TypeVar("T", bound="Validation")



@_attrs_define
class Validation:
    """ What the compiler says of a definition; nothing is stored.

        Attributes:
            errors (list[ValidationErrorsItem]):
            graph (None | ValidationGraphType0): The compiled graph; null when the definition has faults
            valid (bool):
            warnings (list[ValidationWarningsItem]):
     """

    errors: list[ValidationErrorsItem]
    graph: None | ValidationGraphType0
    valid: bool
    warnings: list[ValidationWarningsItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.validation_errors_item import ValidationErrorsItem # noqa: PLC0415
        from ..models.validation_graph_type_0 import ValidationGraphType0 # noqa: PLC0415
        from ..models.validation_warnings_item import ValidationWarningsItem # noqa: PLC0415
        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)



        graph: dict[str, Any] | None
        if isinstance(self.graph, ValidationGraphType0):
            graph = self.graph.to_dict()
        else:
            graph = self.graph

        valid = self.valid

        warnings = []
        for warnings_item_data in self.warnings:
            warnings_item = warnings_item_data.to_dict()
            warnings.append(warnings_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "errors": errors,
            "graph": graph,
            "valid": valid,
            "warnings": warnings,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.validation_errors_item import ValidationErrorsItem # noqa: PLC0415
        from ..models.validation_graph_type_0 import ValidationGraphType0 # noqa: PLC0415
        from ..models.validation_warnings_item import ValidationWarningsItem # noqa: PLC0415
        d = dict(src_dict)
        errors = []
        _errors = d.pop("errors")
        for errors_item_data in (_errors):
            errors_item = ValidationErrorsItem.from_dict(errors_item_data)



            errors.append(errors_item)


        def _parse_graph(data: object) -> None | ValidationGraphType0:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                graph_type_0 = ValidationGraphType0.from_dict(data)



                return graph_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ValidationGraphType0, data)

        graph = _parse_graph(d.pop("graph"))


        valid = d.pop("valid")

        warnings = []
        _warnings = d.pop("warnings")
        for warnings_item_data in (_warnings):
            warnings_item = ValidationWarningsItem.from_dict(warnings_item_data)



            warnings.append(warnings_item)


        validation = cls(
            errors=errors,
            graph=graph,
            valid=valid,
            warnings=warnings,
        )


        validation.additional_properties = d
        return validation

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
