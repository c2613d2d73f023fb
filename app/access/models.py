"""API keys and idempotency records (namespaces, with their signing secrets, are in app.deliveries.models)."""

from datetime import datetime
from typing import Literal, TypedDict

import sqlalchemy as sa

from app.core.caller import Role
from app.core.db import metadata
from app.core.types import UTCDateTime

# Keys are stored as SHA-256 digests: they are 256-bit random tokens, so a fast hash is enough.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("namespace", sa.String(100), nullable=False),
    sa.Column("role", sa.String(8), nullable=False),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Index("ix_api_keys_namespace", "namespace", "id"),
)


class KeyRow(TypedDict):
    """An API key as it is shown: everything but its digest."""

    id: str
    namespace: str
    role: Role
    name: str | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class StoredKeyRow(KeyRow):
    key_hash: str


IdempotencyState = Literal["running", "committed", "done"]

# The first response to a POST with an Idempotency-Key, replayed for 24 h. ``state``: running (claimed by
# ``owner``), committed (its work committed, its response not stored yet) or done.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("owner", sa.String(40), nullable=False),
    # The replica the owning request runs on: when its heartbeat goes stale, the claim is not waited for.
    sa.Column("replica", sa.String(40), nullable=True),
    sa.Column("response_status", sa.Integer(), nullable=True),
    sa.Column("response_type", sa.String(100), nullable=True),
    sa.Column("response_body", sa.LargeBinary(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("locked_until", UTCDateTime(), nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Index("ix_idempotency_keys_expires", "expires_at"),
)


class IdempotencyRow(TypedDict):
    namespace: str
    key: str
    fingerprint: str
    state: IdempotencyState
    owner: str
    replica: str | None
    response_status: int | None
    response_type: str | None
    response_body: bytes | None
    created_at: datetime
    locked_until: datetime | None
    expires_at: datetime
