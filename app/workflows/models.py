"""Handlers (named task endpoints), workflows and their immutable versions. A run will reference a version by
its primary key (namespace, name, version); a deleted workflow keeps its row and its versions."""

from datetime import datetime
from typing import Any, TypedDict

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime, json_type

handlers = sa.Table(
    "handlers",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("headers", json_type(), nullable=False),
    sa.Column("timeout_seconds", sa.Float(), nullable=False),
    sa.Column("heartbeat_seconds", sa.Float(), nullable=True),
    sa.Column("max_in_flight", sa.Integer(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)


class HandlerRow(TypedDict):
    namespace: str
    name: str
    url: str
    headers: dict[str, str]
    timeout_seconds: float
    heartbeat_seconds: float | None
    max_in_flight: int | None
    in_flight: int  # not a column: counted from run_items when read
    created_at: datetime
    updated_at: datetime


workflows = sa.Table(
    "workflows",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("latest_version", sa.Integer(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("deleted_at", UTCDateTime(), nullable=True),
)


class WorkflowRow(TypedDict):
    namespace: str
    name: str
    latest_version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


# Plain JSON, not JSONB, on PostgreSQL too: JSONB reorders object keys, and the order of a definition's
# tasks decides which of them dispatches first on a tie.
workflow_versions = sa.Table(
    "workflow_versions",
    metadata,
    sa.Column("namespace", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("definition", sa.JSON(), nullable=False),
    sa.Column("graph", sa.JSON(), nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["namespace", "name"], ["workflows.namespace", "workflows.name"]),
)


class WorkflowVersionRow(TypedDict):
    namespace: str
    name: str
    version: int
    definition: dict[str, Any]
    graph: dict[str, Any]
    body_hash: str
    created_at: datetime
