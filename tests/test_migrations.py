"""Migrations upgrade and downgrade on the database under test, and match the models."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
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
    assert head_revision() == "0013"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


# JSON text that older versions let SQLite store: lone surrogates as escapes, non-finite numbers as tokens.
BROKEN = {
    ("jobs", "meta"): '{"k": "a\\udfffb", "n": NaN, "\\ud800": [Infinity, -Infinity, 1], "\\udfff": 2}',
    ("jobs", "output"): '[NaN, "\\udc00"]',
    ("waits", "callback"): '{"url": "http://127.0.0.1:9/", "headers": {}, "payload": {"p": "\\udfff"}}',
    ("gathers", "callback"): '{"url": "http://127.0.0.1:9/", "headers": {}, "payload": {"\\udfff": NaN}}',
    ("deliveries", "body"): '{"type": "gather.succeeded", "data": {"payload": {"\\udfff": NaN}}}',
    ("deliveries", "headers"): '{"X-A": "\\udfff"}',
    ("batch_ledgers", "callback"): '{"url": "http://127.0.0.1:9/", "headers": {}, "payload": [NaN]}',
}
KEY_COLUMN = {"batch_ledgers": "job_id"}


async def test_0005_repairs_stored_json_that_no_response_could_render(
    service_factory: Any, empty_database_url: str
) -> None:
    """Rows written before the input edge refused such values: each read of them, and each list holding them,
    failed. The repair rewrites them as they were shown (null, U+FFFD) and logs each row. PostgreSQL's jsonb
    never held such values: writing them fails, which is why the repair has nothing to do there."""
    url = empty_database_url
    await asyncio.to_thread(upgrade, url)
    svc = await service_factory(database_url=url)
    c = svc.client
    callback = {"url": "http://127.0.0.1:9/"}
    assert (await c.put("/v1/jobs/j", json={"metadata": {"k": 1}})).status_code == 201
    assert (await c.post("/v1/jobs/j/complete", json={"output": 1})).status_code == 200
    add = {"participant_key": "p", "expected_participants": 3, "wait_seconds": 30, "callback": callback}
    wait_id = (await c.post("/v1/waits/w/participants", json=add)).json()["id"]
    assert (
        await c.post("/v1/gathers", json={"id": "g", "job_ids": ["j"], "callback": callback})
    ).status_code == 201
    delivery_id = (await c.get("/v1/deliveries")).json()["items"][0]["id"]
    batch_job = (await c.post("/v1/batch-jobs", json={"name": "imp", "callback": callback})).json()["id"]
    keys = {
        "jobs": "j",
        "waits": wait_id,
        "gathers": "g",
        "deliveries": delivery_id,
        "batch_ledgers": batch_job,
    }
    engine = svc.runtime.db.engine
    for (table, column), text in BROKEN.items():
        where = KEY_COLUMN.get(table, "id")
        update = sa.text(f"UPDATE {table} SET {column} = :v WHERE {where} = :id")
        if engine.dialect.name == "postgresql" and column != "body":
            as_jsonb = sa.text(f"UPDATE {table} SET {column} = CAST(:v AS jsonb) WHERE {where} = :id")
            with pytest.raises(sa.exc.DBAPIError, match=r"(?i)unicode|json|token"):
                async with engine.begin() as conn:
                    await conn.execute(as_jsonb, {"v": text, "id": keys[table]})
            continue
        async with engine.begin() as conn:
            await conn.execute(update, {"v": text, "id": keys[table]})
    if engine.dialect.name == "postgresql":
        return  # the outbox body is plain text: a hand-written one is not what the service could have stored
    assert (await c.get("/v1/jobs")).status_code == 500  # what a namespace looked like with such a row
    lines = _Lines()
    logging.getLogger("rendezvous.migrate").addHandler(lines)
    try:
        await asyncio.to_thread(downgrade, url, "0004")
        await asyncio.to_thread(upgrade, url)
    finally:
        logging.getLogger("rendezvous.migrate").removeHandler(lines)
    assert any("repaired jobs row" in line and "'j'" in line for line in lines.lines), lines.lines
    assert any("repaired 5 row(s)" in line for line in lines.lines), lines.lines
    assert any("1 key(s) dropped" in line for line in lines.lines), lines.lines
    for path in [
        "/v1/jobs",
        "/v1/waits",
        "/v1/deliveries",
        "/v1/jobs/j",
        f"/v1/waits/-/{wait_id}",
        "/v1/gathers/g",
    ]:
        assert (await c.get(path)).status_code == 200, path
    job = (await c.get("/v1/jobs/j")).json()
    assert job["metadata"] == {"k": "a\ufffdb", "n": None, "\ufffd": 2}
    assert job["output"] == [None, "\ufffd"]
    assert (await c.get(f"/v1/waits/-/{wait_id}")).json()["callback"]["payload"] == {"p": "\ufffd"}
    assert (await c.get("/v1/gathers/g")).json()["callback"]["payload"] == {"\ufffd": None}
    assert (await c.get(f"/v1/deliveries/{delivery_id}")).json()["event"]["data"]["payload"] == {
        "\ufffd": None
    }
    assert (await c.get(f"/v1/batch-jobs/{batch_job}")).json()["batches"]["callback"]["payload"] == [None]
    async with engine.connect() as conn:
        select = sa.text("SELECT headers FROM deliveries WHERE id = :id")
        headers = (await conn.execute(select, {"id": delivery_id})).scalar_one()
    assert json.loads(headers) == {"X-A": "\ufffd"}
