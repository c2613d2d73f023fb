"""/v1/watch: server-sent events about one gather, run or wait, against a live server (a stream needs a real
connection): ``change`` at once, then again when a report moves the subject."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from app.cli import GRACEFUL_SECONDS
from app.errors import TooManyRequests
from app.ops.watch import Watches, _seen
from tests.conftest import Service
from tests.live import PROCESSES, live_server


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


async def test_a_batch_job_s_watch_sends_a_change_when_a_batch_moves(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        created = await client.post("/v1/batch-jobs", json={"name": "export"})
        job_id = created.json()["id"]
        async with client.stream("GET", f"/v1/watch?batch_job={job_id}") as stream:
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            assert await _next_event(lines) == "change"
            batch = await client.post(f"/v1/jobs/{job_id}/batches", json={"items": ["a", "b"]})
            assert batch.status_code == 201, batch.text
            assert await _next_event(lines) == "change"
        plain = await client.put("/v1/jobs/plain", json={})
        assert plain.status_code == 201
        assert (await client.get("/v1/watch?batch_job=plain")).status_code == 404


@pytest.fixture
def limited() -> Iterator[str]:
    """A server that keeps one stream open at a time, for a second."""
    with live_server(RENDEZVOUS_WATCH_STREAMS="1", RENDEZVOUS_WATCH_SECONDS="1") as base:
        yield base


@pytest.fixture
def stopped() -> Iterator[str]:
    """A server of its own, for a test that stops it."""
    with live_server() as base:
        yield base


async def test_streams_are_limited_and_end_after_their_time(limited: str) -> None:
    async with httpx.AsyncClient(base_url=limited, timeout=10) as client:
        assert (await client.post("/v1/gathers", json={"id": "g", "job_ids": ["a"]})).status_code == 201
        async with client.stream("GET", "/v1/watch?gather=g") as stream:
            lines = stream.aiter_lines()
            assert await _next_event(lines) == "change"
            refused = await client.get("/v1/watch?gather=g")
            assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
            assert refused.headers["content-type"] == "application/problem+json"
            # the stream ends by itself after RENDEZVOUS_WATCH_SECONDS, and its place is free again
            assert await _next_event(lines) == ""
        async with client.stream("GET", "/v1/watch?gather=g") as again:
            assert again.status_code == 200


async def test_a_server_with_a_stream_open_stops_at_once(stopped: str) -> None:
    """uvicorn waits for open responses before the app stops: the streams end on the signal itself."""
    async with httpx.AsyncClient(base_url=stopped, timeout=30) as client:
        assert (await client.post("/v1/gathers", json={"id": "g", "job_ids": ["a"]})).status_code == 201
        async with client.stream("GET", "/v1/watch?gather=g") as stream:
            lines = stream.aiter_lines()
            assert await _next_event(lines) == "change"
            process = PROCESSES[stopped]
            began = time.monotonic()
            process.terminate()
            assert await _next_event(lines) == ""  # the stream ended
            await asyncio.to_thread(process.wait, GRACEFUL_SECONDS + 10)
            assert process.returncode in (0, -signal.SIGTERM)  # uvicorn raises the signal again at its end
            assert time.monotonic() - began < GRACEFUL_SECONDS / 2


async def test_pages_following_one_subject_share_one_look_at_it(svc: Service) -> None:
    assert (await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": ["a", "b"]})).status_code == 201
    watches = Watches(svc.runtime.db, streams=3, interval=0.01)
    key = ("default", "gather", "g")
    async with svc.runtime.db.read() as conn:
        seen = await _seen(conn, key)
    first, second = watches.join(key, seen), watches.join(key, seen)
    assert first is second and len(watches.subjects) == 1 and watches.streams == 2
    moved = first.next
    assert (await svc.client.post("/v1/jobs/a/complete", json={})).status_code == 200
    await asyncio.wait_for(moved.wait(), 5)  # one poller saw it, for both streams
    other = watches.join(("default", "gather", "h"), seen)
    with pytest.raises(TooManyRequests):
        watches.join(key, seen)
    for followed in (first, second):
        watches.leave(key, followed)
    assert list(watches.subjects) == [("default", "gather", "h")]
    await asyncio.sleep(0.05)
    assert first.poller is not None and first.poller.done()
    assert other.gone  # "h" does not exist: its poller said so, and its streams end
    watches.leave(("default", "gather", "h"), other)
    assert watches.streams == 0 and not watches.subjects
    watches.close()
    with pytest.raises(TooManyRequests):
        watches.join(key, seen)
