"""Migrations upgrade and downgrade on the database under test, and match the models."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.migrate import downgrade, head_revision, upgrade
from app.models import metadata


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _diff(url: str) -> list[object]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"render_as_batch": True}), metadata
            )
        )
    await engine.dispose()
    return list(diff)


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    url = empty_database_url
    upgrade(url)
    assert asyncio.run(_tables(url)) == set(metadata.tables)
    downgrade(url, "base")
    assert asyncio.run(_tables(url)) == set()
    upgrade(url)
    assert asyncio.run(_tables(url)) == set(metadata.tables)


def test_migrations_match_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    assert asyncio.run(_diff(empty_database_url)) == []


def test_head_is_known() -> None:
    assert head_revision() == "0004"
