from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.key_create_role import KeyCreateRole
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="KeyCreate")



@_attrs_define
class KeyCreate:
    """ A new key; ``namespace`` defaults to the caller's (only the operator may name another).

        Attributes:
            role (KeyCreateRole):
            name (None | str | Unset):
            namespace (None | str | Unset):
     """

    role: KeyCreateRole
    name: None | str | Unset = UNSET
    namespace: None | str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        role = self.role.value

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        namespace: None | str | Unset
        if isinstance(self.namespace, Unset):
            namespace = UNSET
        else:
            namespace = self.namespace


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "role": role,
        })
        if name is not UNSET:
            field_dict["name"] = name
        if namespace is not UNSET:
            field_dict["namespace"] = namespace

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        role = KeyCreateRole(d.pop("role"))




        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))


        def _parse_namespace(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        namespace = _parse_namespace(d.pop("namespace", UNSET))


        key_create = cls(
            role=role,
            name=name,
            namespace=namespace,
        )

        return key_create

