"""Racing reports: every gather resolves once, with exactly one delivery, across two replicas."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

from app.core.db import notify_messages
from tests.conftest import Service, postgres_only
from tests.receiver import Receiver

JOBS = [f"job-{i}" for i in range(100)]


def members(k: int) -> list[str]:
    """Gather k overlaps its neighbours: every job sits in about four gathers."""
    return [JOBS[(5 * k + i) % len(JOBS)] for i in range(20)]


async def test_200_concurrent_reports_over_20_overlapping_gathers(
    service_factory: Any, receiver: Receiver
) -> None:
    replicas: list[Service] = [await service_factory(), await service_factory()]
    for k in range(20):
        body = {"id": f"g{k}", "job_ids": members(k), "callback": {"url": f"{receiver.url}/cb"}}
        r = await replicas[k % 2].client.post("/v1/gathers", json=body)
        assert r.status_code == 201, r.text

    reports = [(job, "succeeded") for job in JOBS] * 2  # every report arrives twice
    random.Random(7).shuffle(reports)

    async def send(i: int, job: str, status: str) -> int:
        r = await replicas[i % 2].client.post(f"/v1/jobs/{job}/complete", json={"status": status})
        return r.status_code

    codes = await asyncio.gather(*(send(i, job, status) for i, (job, status) in enumerate(reports)))
    assert Counter(codes) == {200: 200}
    for svc in replicas:
        await svc.settle()
    await receiver.wait_for(20)

    for k in range(20):
        body = (await replicas[0].client.get(f"/v1/gathers/g{k}")).json()
        assert (body["status"], body["done"], body["succeeded"]) == ("succeeded", 20, 20), body
    items = (await replicas[0].client.get("/v1/deliveries", params={"limit": 1000})).json()["items"]
    assert Counter(d["subject_id"] for d in items) == {f"g{k}": 1 for k in range(20)}
    assert all(d["status"] == "succeeded" for d in items)
    fired = Counter(r.json()["data"]["gather"]["id"] for r in receiver.requests)
    assert fired == {f"g{k}": 1 for k in range(20)}


async def test_concurrent_bulk_reports_and_gather_creation_lose_nothing(
    service_factory: Any, receiver: Receiver
) -> None:
    """Members registered by a gather while bulk reports race for the same ids are all counted."""
    replicas: list[Service] = [await service_factory(), await service_factory()]
    ids = [f"b{i}" for i in range(300)]

    async def make_gather(k: int) -> int:
        body = {
            "id": f"bg{k}",
            "job_ids": ids[k * 30 : k * 30 + 60],
            "callback": {"url": f"{receiver.url}/cb"},
        }
        return (await replicas[k % 2].client.post("/v1/gathers", json=body)).status_code

    async def bulk(chunk: list[str], i: int) -> int:
        body = {"reports": [{"id": j, "status": "succeeded"} for j in chunk]}
        return (await replicas[i % 2].client.post("/v1/jobs/complete", json=body)).status_code

    chunks = [ids[i : i + 25] for i in range(0, len(ids), 25)]
    random.Random(3).shuffle(chunks)
    codes = await asyncio.gather(
        *(make_gather(k) for k in range(9)), *(bulk(c, i) for i, c in enumerate(chunks))
    )
    assert set(codes) <= {200, 201}
    for svc in replicas:
        await svc.settle()
    for k in range(9):
        body = (await replicas[0].client.get(f"/v1/gathers/bg{k}")).json()
        assert (body["status"], body["done"]) == ("succeeded", 60), body
    await receiver.wait_for(9)
    assert Counter(r.json()["data"]["gather"]["id"] for r in receiver.requests) == {
        f"bg{k}": 1 for k in range(9)
    }


@postgres_only
async def test_a_long_poll_on_one_replica_is_woken_by_a_report_on_another(
    service_factory: Any, receiver: Receiver
) -> None:
    a, b = await service_factory(), await service_factory()
    body = {"id": "x", "job_ids": ["only"], "callback": {"url": f"{receiver.url}/cb"}}
    assert (await a.client.post("/v1/gathers", json=body)).status_code == 201
    poll = asyncio.create_task(b.client.get("/v1/gathers/x", params={"wait": 30}))
    await asyncio.wait_for(b.runtime.notifier.polling(("gather", "default", "x")), 5)
    assert not poll.done()
    assert (await a.client.post("/v1/jobs/only/complete", json={})).status_code == 200
    r = await asyncio.wait_for(poll, 5)
    assert r.json()["status"] == "succeeded"


async def test_one_report_resolving_many_long_named_gathers(service_factory: Any, receiver: Receiver) -> None:
    """A commit touching many long keys still notifies other replicas (payloads stay under 8,000 bytes)."""
    a, b = await service_factory(), await service_factory()
    ids = [f"{k:03d}" + "x" * 197 for k in range(60)]
    for gid in ids:
        body = {"id": gid, "job_ids": ["shared"], "callback": {"url": f"{receiver.url}/cb"}}
        assert (await a.client.post("/v1/gathers", json=body)).status_code == 201
    r = await b.client.post("/v1/jobs/shared/complete", json={})
    assert r.status_code == 200, r.text
    await b.settle()
    await receiver.wait_for(60)
    assert {r.json()["data"]["gather"]["id"] for r in receiver.requests} == set(ids)


def test_notify_messages_fit_the_payload_limit() -> None:
    keys = [("gather", "n" * 100, f"{k:03d}" + "x" * 197) for k in range(200)]
    messages = notify_messages("node_1", {"resolved": keys, "delivery": [None]})
    assert len(messages) > 1
    assert all(len(m.encode()) < 8000 for m in messages)
    unpacked = [tuple(p) for m in messages for p in json.loads(m)["signals"].get("resolved", [])]
    assert unpacked == keys
