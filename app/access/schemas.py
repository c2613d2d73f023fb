"""Namespace and API key bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.access.models import KeyRow
from app.core.caller import Role
from app.core.schemas import Name, Strict
from app.deliveries.models import NamespaceEntry, NamespaceRow

NAMESPACE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
NamespaceName = Annotated[str, StringConstraints(pattern=NAMESPACE_PATTERN)]


class CallerRead(BaseModel):
    """Who the request's key is: its namespace and role (``key_id`` null in dev mode, without a key)."""

    namespace: str
    role: Role
    key_id: str | None
    dev: bool = Field(description="The server runs in dev mode: no key is needed")


class NamespaceRead(BaseModel):
    """The caller's namespace with the secret its callbacks are signed with."""

    name: str
    signing_secret: str
    previous_signing_secret: str | None = Field(
        description="Still signing (a second signature) until previous_secret_expires_at"
    )
    previous_secret_expires_at: datetime | None
    secret_rotated_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: NamespaceRow) -> NamespaceRead:
        return cls.model_validate(row)


class NamespaceInfo(BaseModel):
    name: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: NamespaceEntry) -> NamespaceInfo:
        return cls.model_validate(row)


class NamespaceCreate(Strict):
    name: NamespaceName


class KeyCreate(Strict):
    """A new key; ``namespace`` defaults to the caller's (only the operator may name another)."""

    role: Role
    name: Name | None = None
    namespace: NamespaceName | None = None


class KeyRead(BaseModel):
    id: str
    namespace: str
    role: Role
    name: str | None
    prefix: str = Field(description="The key's first characters, to recognise it")
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: KeyRow) -> KeyRead:
        return cls.model_validate(row)


class KeyCreated(KeyRead):
    key: str = Field(description="The key itself: shown once, stored only as a digest")

    @classmethod
    def with_key(cls, row: KeyRow, key: str) -> KeyCreated:
        return cls.model_validate({**row, "key": key})
