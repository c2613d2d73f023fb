from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime






T = TypeVar("T", bound="NamespaceRead")



@_attrs_define
class NamespaceRead:
    """ The caller's namespace with the secret its callbacks are signed with.

        Attributes:
            created_at (datetime.datetime):
            name (str):
            previous_secret_expires_at (datetime.datetime | None):
            previous_signing_secret (None | str): Still signing (a second signature) until previous_secret_expires_at
            secret_rotated_at (datetime.datetime | None):
            signing_secret (str):
     """

    created_at: datetime.datetime
    name: str
    previous_secret_expires_at: datetime.datetime | None
    previous_signing_secret: None | str
    secret_rotated_at: datetime.datetime | None
    signing_secret: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        name = self.name

        previous_secret_expires_at: None | str
        if isinstance(self.previous_secret_expires_at, datetime.datetime):
            previous_secret_expires_at = self.previous_secret_expires_at.isoformat()
        else:
            previous_secret_expires_at = self.previous_secret_expires_at

        previous_signing_secret: None | str
        previous_signing_secret = self.previous_signing_secret

        secret_rotated_at: None | str
        if isinstance(self.secret_rotated_at, datetime.datetime):
            secret_rotated_at = self.secret_rotated_at.isoformat()
        else:
            secret_rotated_at = self.secret_rotated_at

        signing_secret = self.signing_secret


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "created_at": created_at,
            "name": name,
            "previous_secret_expires_at": previous_secret_expires_at,
            "previous_signing_secret": previous_signing_secret,
            "secret_rotated_at": secret_rotated_at,
            "signing_secret": signing_secret,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        name = d.pop("name")

        def _parse_previous_secret_expires_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                previous_secret_expires_at_type_0 = datetime.datetime.fromisoformat(data)



                return previous_secret_expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        previous_secret_expires_at = _parse_previous_secret_expires_at(d.pop("previous_secret_expires_at"))


        def _parse_previous_signing_secret(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        previous_signing_secret = _parse_previous_signing_secret(d.pop("previous_signing_secret"))


        def _parse_secret_rotated_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                secret_rotated_at_type_0 = datetime.datetime.fromisoformat(data)



                return secret_rotated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        secret_rotated_at = _parse_secret_rotated_at(d.pop("secret_rotated_at"))


        signing_secret = d.pop("signing_secret")

        namespace_read = cls(
            created_at=created_at,
            name=name,
            previous_secret_expires_at=previous_secret_expires_at,
            previous_signing_secret=previous_signing_secret,
            secret_rotated_at=secret_rotated_at,
            signing_secret=signing_secret,
        )


        namespace_read.additional_properties = d
        return namespace_read

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
