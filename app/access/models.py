"""Namespaces: every resource belongs to one; each has its own signing secret."""

import sqlalchemy as sa

from app.core.db import metadata
from app.core.types import UTCDateTime

namespaces = sa.Table(
    "namespaces",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("signing_secret", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)
