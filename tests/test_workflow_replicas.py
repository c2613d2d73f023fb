"""Runs served by two app instances on one database: reports arrive together at either replica, both
replicas deliver task messages; no attempt is dispatched twice, each run ends once with one event, and a
throttle shared by every run holds its limit throughout."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any
from urllib.parse import quote

from standardwebhooks.webhooks import Webhook

from tests.conftest import Service
from tests.receiver import Receiver

RUNS = 50
LIMIT = 8
FANOUT: dict[str, Any] = {
    "tasks": {
        "fetch": {
            "handler": "W",
            "each": {"$ptr": "/input/items"},
            "concurrency": 3,
            "throttle": {"key": "shared", "limit": LIMIT},
            "output": ["n"],
        },
        "sum": {"handler": "W", "depends_on": ["fetch"]},
    },
    "output": {"$ptr": "/steps/sum/output"},
}


async def test_fifty_runs_on_two_replicas(service_factory: Any, receiver: Receiver) -> None:
    replicas: list[Service] = [await service_factory(), await service_factory()]
    first = replicas[0].client
    secret = (await first.get("/v1/namespace")).json()["signing_secret"]
    handler = {"url": f"{receiver.url}/W", "timeout_seconds": 600}
    assert (await first.put("/v1/handlers/W", json=handler)).status_code == 201
    assert (await first.put("/v1/workflows/fanout", json=FANOUT)).status_code == 201
    rng = random.Random(11)

    async def start(k: int) -> int:
        body = {
            "id": f"r{k}",
            "input": {"items": list(range(2 + k % 5))},
            "callback": {"url": f"{receiver.url}/hooks"},
        }
        return (await replicas[k % 2].client.post("/v1/workflows/fanout/runs", json=body)).status_code

    assert Counter(await asyncio.gather(*(start(k) for k in range(RUNS)))) == {201: RUNS}

    def messages(event_type: str) -> list[dict[str, Any]]:
        found = []
        for r in receiver.requests:
            body = Webhook(secret).verify(r.body, r.headers)
            if body["type"] == event_type:
                found.append(body["data"])
        return found

    async def report(message: dict[str, Any]) -> int:
        task = message["task"]
        output = (
            {"n": task["item"]} if task["step"] == "fetch" else {"total": len(message["outputs"]["fetch"])}
        )
        path = f"/v1/jobs/{quote(task['job_id'], safe='')}/complete"
        body = {"status": "succeeded", "output": output}
        return (await rng.choice(replicas).client.post(path, json=body)).status_code

    reported: set[str] = set()
    most = 0
    for _ in range(400):
        await asyncio.gather(*(svc.settle() for svc in replicas))
        tasks = messages("task.requested")
        fetching = [m for m in tasks if m["task"]["step"] == "fetch" and m["task"]["job_id"] not in reported]
        most = max(most, len(fetching))
        assert len(fetching) <= LIMIT
        throttle = (await first.get("/v1/throttles/shared")).json()
        assert throttle["in_flight"] <= LIMIT and throttle["in_flight"] == len(fetching)
        pending = [m for m in tasks if m["task"]["job_id"] not in reported]
        if not pending:
            break
        codes = await asyncio.gather(*(report(t) for t in pending))
        assert set(codes) == {200}
        reported.update(m["task"]["job_id"] for m in pending)
    assert most == LIMIT
    await asyncio.gather(*(svc.settle() for svc in replicas))
    sent = Counter(m["task"]["job_id"] for m in messages("task.requested"))
    assert len(sent) == sum(2 + k % 5 for k in range(RUNS)) + RUNS
    assert set(sent.values()) == {1}  # no attempt was dispatched twice
    ended = Counter(m["run"]["id"] for m in messages("run.succeeded"))
    assert ended == {f"r{k}": 1 for k in range(RUNS)}
    for k in range(RUNS):
        run = (await first.get(f"/v1/runs/r{k}")).json()
        assert run["status"] == "succeeded" and run["output"] == {"total": 2 + k % 5}
        assert len([t for t in run["transitions"] if t["to"] == "sum"]) == 1
    throttle = (await first.get("/v1/throttles/shared")).json()
    assert throttle == {"key": "shared", "in_flight": 0, "waiting": 0, "holders": []}
