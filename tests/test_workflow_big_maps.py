"""A map step's reports while many arrive at once: a success sends the next waiting item in its place without
holding the step's row (``dispatch.swap``), and the step's ``wait_from`` hint keeps the search for waiting
items off those already sent. The concurrency holds at every moment, no attempt goes out twice, the counters
end exact, and an item that waits again (a retry) or was left below the hint still goes out."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from app.workflows.run_models import run_items, run_steps
from tests.conftest import Service
from tests.receiver import Receiver


def _map(n: int, concurrency: int, **more: Any) -> dict[str, Any]:
    step = {"handler": "W", "each": list(range(n)), "concurrency": concurrency, "output": ["n"]}
    return {"tasks": {"items": step | more}}


class World:
    """Replicas of the service on one database, the handler ``W`` on the receiver, and what it was sent."""

    def __init__(self, replicas: list[Service], receiver: Receiver) -> None:
        self.replicas = replicas
        self.receiver = receiver
        self.secret = ""
        self.reported: set[str] = set()

    async def start(self, name: str, definition: dict[str, Any], run_id: str) -> None:
        client = self.replicas[0].client
        self.secret = (await client.get("/v1/namespace")).json()["signing_secret"]
        body = {"url": f"{self.receiver.url}/W", "timeout_seconds": 600}
        assert (await client.put("/v1/handlers/W", json=body)).status_code in (200, 201)
        assert (await client.put(f"/v1/workflows/{name}", json=definition)).status_code == 201
        response = await client.post(f"/v1/workflows/{name}/runs", json={"id": run_id})
        assert response.status_code == 201, response.text
        await self.settle()

    async def settle(self) -> None:
        await asyncio.gather(*(svc.settle() for svc in self.replicas))

    def sent(self) -> list[dict[str, Any]]:
        found = []
        for r in self.receiver.requests:
            body = Webhook(self.secret).verify(r.body, r.headers)
            if body["type"] == "task.requested":
                found.append(body["data"]["task"])
        return found

    def flying(self) -> list[dict[str, Any]]:
        return [t for t in self.sent() if t["job_id"] not in self.reported]

    async def report(self, k: int, task: dict[str, Any], *, fail: bool = False) -> int:
        body: dict[str, Any] = (
            {"status": "failed", "error": {"why": "no"}}
            if fail
            else {"status": "succeeded", "output": {"n": task["item"]}}
        )
        client = self.replicas[k % len(self.replicas)].client
        path = f"/v1/jobs/{quote(task['job_id'], safe='')}/complete"
        return (await client.post(path, json=body)).status_code

    async def step(self, run_id: str) -> dict[str, Any]:
        run = (await self.replicas[0].client.get(f"/v1/runs/{run_id}")).json()
        return dict(run["steps"][0])


async def _rows(svc: Service, run_id: str) -> tuple[dict[str, Any], Counter[str]]:
    async with svc.runtime.db.read() as conn:
        s, i = run_steps.c, run_items.c
        step = (await conn.execute(sa.select(run_steps).where(s.run_id == run_id))).mappings().one()
        statuses = Counter(
            (await conn.execute(sa.select(i.status).where(i.run_id == run_id))).scalars().all()
        )
    return dict(step), statuses


async def test_concurrent_reports_keep_a_map_within_its_concurrency(
    service_factory: Any, receiver: Receiver
) -> None:
    """Two replicas, every task in flight reported at once each round, one failing once (a retry)."""
    w = World([await service_factory(), await service_factory()], receiver)
    retry = {"count": 2, "base_delay": 1}
    await w.start("big", _map(120, 15, retry=retry), "b")
    failed_once = False
    for _ in range(200):
        flying = w.flying()
        if not flying:
            break
        assert len(flying) <= 15
        assert (await w.step("b"))["items"]["in_flight"] == len(flying)
        fail = None if failed_once else flying[len(flying) // 2]["job_id"]
        failed_once = True
        codes = await asyncio.gather(
            *(w.report(k, t, fail=t["job_id"] == fail) for k, t in enumerate(flying))
        )
        assert set(codes) == {200}
        w.reported.update(t["job_id"] for t in flying)
        other = w.replicas[1].runtime.replica_id  # alive: its deliveries are its own
        await w.replicas[0].tick(1, alive=[other])  # the retry is due
        await w.settle()
    sent = Counter(t["job_id"] for t in w.sent())
    assert set(sent.values()) == {1}  # no attempt went out twice
    assert len(sent) == 121  # every item once, and the failed one again
    assert sorted({t["index"] for t in w.sent()}) == list(range(120))
    run = (await w.replicas[0].client.get("/v1/runs/b")).json()
    assert run["status"] == "succeeded"
    step, statuses = await _rows(w.replicas[0], "b")
    assert statuses == {"succeeded": 120}
    assert (step["succeeded"], step["failed"], step["in_flight"], step["retry_scheduled"]) == (120, 0, 0, 0)


async def test_a_failure_among_concurrent_successes_ends_the_map_with_nothing_in_flight(
    service_factory: Any, receiver: Receiver
) -> None:
    """``fail_fast``: a failure reported at once with successes that send the next items in their place.
    The step fails; whatever went out meanwhile is cancelled; the counters match the items."""
    w = World([await service_factory(), await service_factory()], receiver)
    await w.start("big", _map(80, 12) | {"failure_mode": "fail_fast"}, "f")
    for round_ in range(3):
        flying = w.flying()
        fail = flying[5]["job_id"] if round_ == 2 else None
        codes = await asyncio.gather(
            *(w.report(k, t, fail=t["job_id"] == fail) for k, t in enumerate(flying))
        )
        assert set(codes) <= {200, 409}
        w.reported.update(t["job_id"] for t in flying)
        await w.settle()
    run = (await w.replicas[0].client.get("/v1/runs/f")).json()
    assert run["status"] == "failed"
    step, statuses = await _rows(w.replicas[0], "f")
    assert step["status"] == "failed"
    assert set(statuses) <= {"succeeded", "failed", "cancelled"}
    assert (step["succeeded"], step["failed"], step["cancelled"]) == (
        statuses["succeeded"],
        statuses["failed"],
        statuses["cancelled"],
    )
    assert step["in_flight"] == step["retry_scheduled"] == step["throttled"] == 0
    for task in w.sent():  # every attempt that went out has ended, as its item did
        job = (await w.replicas[0].client.get(f"/v1/jobs/{quote(task['job_id'], safe='')}")).json()
        assert job["status"] in ("succeeded", "failed", "cancelled")


async def test_an_item_left_below_the_hint_still_goes_out(svc: Service, receiver: Receiver) -> None:
    """A send rolled back after another raised ``wait_from`` leaves its item waiting below it: once the
    items above it are gone, the step looks from the start and sends it."""
    w = World([svc], receiver)
    await w.start("hint", _map(10, 2), "h")
    step, _ = await _rows(svc, "h")
    assert step["wait_from"] == 2  # items 0 and 1 went out
    async with svc.runtime.db.transaction() as tx:
        s = run_steps.c
        await tx.conn.execute(sa.update(run_steps).where(s.run_id == "h").values(wait_from=6))
    for _ in range(20):
        flying = w.flying()
        if not flying:
            break
        assert await w.report(0, flying[0]) == 200
        w.reported.add(flying[0]["job_id"])
        await w.settle()
    order = [t["index"] for t in w.sent()]
    assert sorted(order) == list(range(10))
    assert order[2:6] == [6, 7, 8, 9]  # the hint first, then the items left below it
    assert (await svc.client.get("/v1/runs/h")).json()["status"] == "succeeded"


async def test_a_retried_item_goes_out_before_later_items(svc: Service, receiver: Receiver) -> None:
    """An item back from ``retry_scheduled`` lowers the hint: the next success sends it, not the next
    index."""
    w = World([svc], receiver)
    await w.start("retried", _map(6, 2, retry={"count": 2, "base_delay": 1}), "r")
    first, second = w.flying()
    assert await w.report(0, first, fail=True) == 200  # item 0 fails once; item 2 takes its place
    w.reported.add(first["job_id"])
    await svc.settle()
    assert await w.report(0, second) == 200  # item 1 succeeds; item 3 takes its place
    w.reported.add(second["job_id"])
    await svc.settle()
    await svc.tick(1)  # item 0 waits again; the step is full
    await svc.settle()
    step, _ = await _rows(svc, "r")
    assert step["wait_from"] == 0
    nxt = w.flying()[0]
    assert nxt["index"] == 2
    assert await w.report(0, nxt) == 200
    w.reported.add(nxt["job_id"])
    await svc.settle()
    assert [(t["index"], t["attempt"]) for t in w.sent()] == [(0, 1), (1, 1), (2, 1), (3, 1), (0, 2)]
