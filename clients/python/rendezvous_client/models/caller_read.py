from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.caller_read_role import CallerReadRole
from typing import cast






T = TypeVar("T", bound="CallerRead")



@_attrs_define
class CallerRead:
    """ Who the request's key is: its namespace and role (``key_id`` null in dev mode, without a key).

        Attributes:
            dev (bool): The server runs in dev mode: no key is needed
            key_id (None | str):
            namespace (str):
            role (CallerReadRole):
     """

    dev: bool
    key_id: None | str
    namespace: str
    role: CallerReadRole
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        dev = self.dev

        key_id: None | str
        key_id = self.key_id

        namespace = self.namespace

        role = self.role.value


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "dev": dev,
            "key_id": key_id,
            "namespace": namespace,
            "role": role,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        dev = d.pop("dev")

        def _parse_key_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        key_id = _parse_key_id(d.pop("key_id"))


        namespace = d.pop("namespace")

        role = CallerReadRole(d.pop("role"))




        caller_read = cls(
            dev=dev,
            key_id=key_id,
            namespace=namespace,
            role=role,
        )


        caller_read.additional_properties = d
        return caller_read

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
