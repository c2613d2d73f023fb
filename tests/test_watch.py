"""/v1/watch: server-sent events about one gather, run or wait, against a live server (a stream needs a real
connection): ``change`` at once, then again when a report moves the subject."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.live import live_server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server() as base:
        yield base


async def _next_event(lines: object, timeout: float = 5.0) -> str:
    async def read() -> str:
        async for line in lines:  # type: ignore[attr-defined]
            if line.startswith("event: "):
                return str(line.removeprefix("event: "))
        return ""

    return await asyncio.wait_for(read(), timeout)


async def test_a_gather_s_watch_sends_a_change_when_a_report_arrives(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        body = {"id": "watched", "job_ids": ["a", "b"]}
        assert (await client.post("/v1/gathers", json=body)).status_code == 201
        async with client.stream("GET", "/v1/watch?gather=watched") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await _next_event(lines) == "change"  # at once: the state to draw
            assert (await client.post("/v1/jobs/a/complete", json={})).status_code == 200
            assert await _next_event(lines) == "change"  # the report moved it
            assert (await client.post("/v1/jobs/b/complete", json={})).status_code == 200
            assert await _next_event(lines) == "change"  # resolved


async def test_a_watch_names_one_subject_that_exists(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        none = await client.get("/v1/watch")
        assert none.status_code == 422 and none.json()["errors"][0]["field"] == "gather"
        assert (await client.get("/v1/watch?gather=x&run=y")).status_code == 422
        assert (await client.get("/v1/watch?gather=missing")).status_code == 404
        assert (await client.get("/v1/watch?run=missing")).status_code == 404
        assert (await client.get("/v1/watch?wait=missing")).status_code == 404
