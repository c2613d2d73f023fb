"""Throttles across runs and a handler's max_in_flight: the limit always holds, freed slots go round-robin
across runs in the transaction that frees them, /explain and /v1/throttles show who holds them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tests.conftest import Service
from tests.receiver import Receiver
from tests.test_workflow_runs import Handlers, get_run

USERS = [f"u{n}" for n in range(10)]


def aggregation(key: str = "external_api", limit: int = 5) -> dict[str, Any]:
    """The seed's API aggregation: one call per user, at most ``limit`` calls to the API at a time."""
    return {
        "tasks": {
            "fetch_user": {
                "handler": "Fetcher",
                "each": {"$ptr": "/input/users"},
                "concurrency": 10,
                "throttle": {"key": key, "limit": limit},
                "output": ["user", "score"],
            },
            "aggregate": {"handler": "Aggregator", "depends_on": ["fetch_user"]},
        }
    }


class Flight:
    """What the handlers have been asked and what was reported back: in flight is the difference."""

    def __init__(self, h: Handlers) -> None:
        self.h = h
        self.done: set[str] = set()

    def flying(self, handler: str = "Fetcher") -> list[dict[str, Any]]:
        return [t["task"] for t in self.h.tasks(handler) if t["task"]["job_id"] not in self.done]

    async def report(self, task: dict[str, Any]) -> None:
        assert await self.h.report(task["job_id"], {"user": task["item"], "score": 1}) == 200
        self.done.add(task["job_id"])


async def handlers(svc: Service, receiver: Receiver) -> tuple[Handlers, Flight]:
    h = Handlers(svc, receiver)
    await h.register("Fetcher", "Aggregator")
    return h, Flight(h)


async def two_runs(svc: Service, receiver: Receiver) -> tuple[Handlers, Flight]:
    """Runs a and b of the aggregation, 10 users each, started in that order on one key of limit 5."""
    h, f = await handlers(svc, receiver)
    await put(svc, "agg", aggregation())
    await run(svc, "agg", "a", USERS)
    await run(svc, "agg", "b", USERS)
    return h, f


async def put(svc: Service, name: str, definition: dict[str, Any]) -> None:
    assert (await svc.client.put(f"/v1/workflows/{name}", json=definition)).status_code == 201


async def run(svc: Service, workflow: str, run_id: str, users: list[str]) -> None:
    body = {"id": run_id, "input": {"users": users}}
    response = await svc.client.post(f"/v1/workflows/{workflow}/runs", json=body)
    assert response.status_code == 201, response.text
    await svc.settle()


class TestThrottle:
    async def test_two_runs_share_five_slots_round_robin(self, svc: Service, receiver: Receiver) -> None:
        h, f = await two_runs(svc, receiver)
        assert sorted(t["job_id"] for t in f.flying()) == [f"a:fetch_user:{n}:a1" for n in range(5)]
        b = (await get_run(svc, "b"))["steps"][0]["items"]
        assert b["throttled"] == 10 and b["in_flight"] == 0
        explain = (await svc.client.get("/v1/runs/b/explain")).json()
        (blocker,) = [x for x in explain["blockers"] if x["reason"] == "throttled"]
        assert blocker["key"] == "external_api" and blocker["limit"] == 5 and blocker["in_flight"] == 5
        assert sorted(x["job_id"] for x in blocker["holders"]) == [f"a:fetch_user:{n}:a1" for n in range(5)]
        key = (await svc.client.get("/v1/throttles/external_api")).json()
        assert key["in_flight"] == 5 and key["waiting"] == 15 and len(key["holders"]) == 5
        # Each report frees a slot, taken at once by the run that least recently got one.
        order: list[str] = []
        most = 0
        while f.flying():
            before = {t["job_id"] for t in f.flying()}
            await f.report(min(f.flying(), key=lambda t: (t["run_id"], t["index"])))
            new = [t for t in f.flying() if t["job_id"] not in before]
            order += [t["run_id"] for t in new]
            most = max(most, len(f.flying()))
        assert most <= 5
        assert order[:10] == ["b", "a"] * 5  # alternating while both wait
        assert [t["task"]["index"] for t in h.tasks("Fetcher") if t["task"]["run_id"] == "b"] == list(
            range(10)
        )
        for run_id in ("a", "b"):
            assert (await get_run(svc, run_id))["steps"][0]["status"] == "succeeded"
        key = (await svc.client.get("/v1/throttles/external_api")).json()
        assert key == {"key": "external_api", "in_flight": 0, "waiting": 0, "holders": []}

    async def test_another_workflow_on_the_key_shares_the_limit(
        self, svc: Service, receiver: Receiver
    ) -> None:
        _h, f = await handlers(svc, receiver)
        await put(svc, "agg", aggregation())
        other = aggregation(limit=5)
        other["tasks"]["fetch_user"]["concurrency"] = 3
        await put(svc, "other", other)
        await run(svc, "agg", "a", USERS[:4])
        await run(svc, "other", "c", USERS[:3])
        assert len(f.flying()) == 5
        assert sorted(t["run_id"] for t in f.flying()) == ["a"] * 4 + ["c"]
        c = (await get_run(svc, "c"))["steps"][0]["items"]
        assert c["in_flight"] == 1 and c["throttled"] == 2
        while f.flying():
            await f.report(f.flying()[0])
            assert len(f.flying()) <= 5
        assert (await get_run(svc, "c"))["steps"][0]["status"] == "succeeded"

    async def test_a_templated_key_counts_per_tenant(self, svc: Service, receiver: Receiver) -> None:
        _h, f = await handlers(svc, receiver)
        await put(svc, "agg", aggregation(key="tenant:{/input/tenant}", limit=2))
        for run_id, tenant in (("t1", "acme"), ("t2", "acme"), ("t3", "globex")):
            body = {"id": run_id, "input": {"users": USERS[:3], "tenant": tenant}}
            assert (await svc.client.post("/v1/workflows/agg/runs", json=body)).status_code == 201
            await svc.settle()
        assert sorted(t["run_id"] for t in f.flying()) == ["t1", "t1", "t3", "t3"]
        assert (await svc.client.get("/v1/throttles/tenant:acme")).json()["waiting"] == 4
        assert (await svc.client.get("/v1/throttles/tenant:globex")).json()["in_flight"] == 2

    async def test_cancel_frees_its_slots_for_the_other_run_at_once(
        self, svc: Service, receiver: Receiver
    ) -> None:
        _h, f = await two_runs(svc, receiver)
        assert (await svc.client.post("/v1/runs/a/cancel", json={})).status_code == 200
        await svc.settle()
        flying = [t for t in f.flying() if t["run_id"] == "b"]
        assert sorted(t["index"] for t in flying) == [0, 1, 2, 3, 4]
        key = (await svc.client.get("/v1/throttles/external_api")).json()
        assert key["in_flight"] == 5 and {x["run_id"] for x in key["holders"]} == {"b"}
        assert key["waiting"] == 5

    async def test_a_paused_run_waits_while_the_other_takes_the_slots(
        self, svc: Service, receiver: Receiver
    ) -> None:
        _h, f = await two_runs(svc, receiver)
        assert (await svc.client.post("/v1/runs/b/pause")).status_code == 200
        for task in [t for t in f.flying() if t["run_id"] == "a"]:
            await f.report(task)
        assert sorted(t["index"] for t in f.flying()) == [5, 6, 7, 8, 9]  # all a's: b is paused
        assert {t["run_id"] for t in f.flying()} == {"a"}
        for task in f.flying():
            await f.report(task)
        assert f.flying() == []
        assert (await svc.client.post("/v1/runs/b/resume")).status_code == 200
        await svc.settle()
        assert sorted(t["index"] for t in f.flying()) == [0, 1, 2, 3, 4]


class TestHandlerCap:
    async def test_max_in_flight_caps_a_handler_across_runs(self, svc: Service, receiver: Receiver) -> None:
        _h, f = await handlers(svc, receiver)
        capped = {"url": f"{receiver.url}/Fetcher", "timeout_seconds": 600, "max_in_flight": 2}
        assert (await svc.client.put("/v1/handlers/Fetcher", json=capped)).status_code == 200
        plain = aggregation()
        del plain["tasks"]["fetch_user"]["throttle"]
        await put(svc, "plain", plain)
        await run(svc, "plain", "p", USERS[:4])
        await run(svc, "plain", "q", USERS[:4])
        assert sorted(t["run_id"] for t in f.flying()) == ["p", "p"]
        assert (await svc.client.get("/v1/handlers/Fetcher")).json()["in_flight"] == 2
        explain = (await svc.client.get("/v1/runs/q/explain")).json()
        (blocker,) = [x for x in explain["blockers"] if x["reason"] == "throttled"]
        assert blocker["key"] == "handler:Fetcher" and blocker["limit"] == 2
        cap = (await svc.client.get("/v1/throttles/handler:Fetcher")).json()
        assert (
            cap["in_flight"] == 2 and cap["waiting"] == 6 and {x["run_id"] for x in cap["holders"]} == {"p"}
        )
        await f.report(f.flying()[0])
        assert sorted(t["run_id"] for t in f.flying()) == ["p", "q"]
        capped["max_in_flight"] = 4
        assert (await svc.client.put("/v1/handlers/Fetcher", json=capped)).status_code == 200
        await svc.settle()
        assert len(f.flying()) == 4
        assert (await svc.client.get("/v1/handlers/Fetcher")).json()["in_flight"] == 4
        while f.flying():
            await f.report(f.flying()[0])
            assert len(f.flying()) <= 4
        assert (await svc.client.get("/v1/handlers/Fetcher")).json()["in_flight"] == 0


async def assert_consistent(svc: Service) -> None:
    """Every counter agrees with the items: a key's in_flight with the attempts holding it, a step's
    in_flight and throttled with its items, and every throttled item has its run step queued."""
    async with svc.runtime.db.read() as conn:

        async def rows(sql: str) -> list[Any]:
            return list((await conn.execute(sa.text(sql))).all())

        keys = await rows(
            "SELECT t.key, t.in_flight, (SELECT count(*) FROM run_items i WHERE i.namespace = t.namespace"
            " AND (i.throttle_key = t.key OR i.cap_key = t.key) AND i.status IN ('dispatched', 'running'))"
            " FROM throttles t"
        )
        assert all(held == counted for _, held, counted in keys), keys
        steps = await rows(
            "SELECT s.run_id, s.step, s.in_flight, s.throttled,"
            " (SELECT count(*) FROM run_items i WHERE i.namespace = s.namespace AND i.run_id = s.run_id"
            "  AND i.step = s.step AND i.status IN ('dispatched', 'running')),"
            " (SELECT count(*) FROM run_items i WHERE i.namespace = s.namespace AND i.run_id = s.run_id"
            "  AND i.step = s.step AND i.status = 'throttled') FROM run_steps s"
        )
        assert all((r[2], r[3]) == (r[4], r[5]) for r in steps), steps
        orphans = await rows(
            "SELECT i.run_id, i.step, i.idx FROM run_items i WHERE i.status = 'throttled' AND NOT EXISTS"
            " (SELECT 1 FROM throttle_queue q WHERE q.namespace = i.namespace AND q.key = i.throttle_key"
            "  AND q.run_id = i.run_id AND q.step = i.step)"
        )
        assert orphans == []


class TestFairnessAndCounters:
    async def test_slots_alternate_between_runs_not_steps(self, svc: Service, receiver: Receiver) -> None:
        """Run x has two steps on the key, run y one: freed slots alternate x, y, x, y."""
        _h, f = await handlers(svc, receiver)
        one = {
            "handler": "Fetcher",
            "each": [1, 2, 3],
            "concurrency": 3,
            "throttle": {"key": "k", "limit": 1},
        }
        await put(svc, "two", {"tasks": {"s1": one, "s2": dict(one)}})
        await put(svc, "single", {"tasks": {"s1": one}})
        for workflow, run_id in (("two", "x"), ("single", "y")):
            body = {"id": run_id, "input": {}}
            assert (await svc.client.post(f"/v1/workflows/{workflow}/runs", json=body)).status_code == 201
            await svc.settle()
        order = [t["run_id"] for t in f.flying()]
        while f.flying():
            (task,) = f.flying()
            await f.report(task)
            order += [t["run_id"] for t in f.flying()]
            await assert_consistent(svc)
        assert order[:6] == ["x", "y", "x", "y", "x", "y"]
        assert order.count("x") == 6 and order.count("y") == 3

    async def test_a_new_cap_counts_the_attempts_already_in_flight(
        self, svc: Service, receiver: Receiver
    ) -> None:
        _h, f = await handlers(svc, receiver)
        plain = aggregation()
        del plain["tasks"]["fetch_user"]["throttle"]
        await put(svc, "plain", plain)
        await run(svc, "plain", "p", USERS[:6])
        assert len(f.flying()) == 6
        capped = {"url": f"{receiver.url}/Fetcher", "timeout_seconds": 600, "max_in_flight": 2}
        assert (await svc.client.put("/v1/handlers/Fetcher", json=capped)).status_code == 200
        assert (await svc.client.get("/v1/handlers/Fetcher")).json()["in_flight"] == 6
        await run(svc, "plain", "q", USERS[:3])
        assert len(f.flying()) == 6  # q waits: the cap counts p's six
        for _ in range(4):
            await f.report(next(t for t in f.flying() if t["run_id"] == "p"))
            assert [t for t in f.flying() if t["run_id"] == "q"] == []
        await assert_consistent(svc)
        await f.report(next(t for t in f.flying() if t["run_id"] == "p"))
        assert [t["run_id"] for t in f.flying()].count("q") == 1
        while f.flying():
            await f.report(f.flying()[0])
            assert len(f.flying()) <= 2
        await assert_consistent(svc)

    async def test_fail_fast_and_a_run_deadline_give_back_every_slot(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h, f = await handlers(svc, receiver)
        fast = aggregation(limit=3)
        fast["failure_mode"] = "fail_fast"
        await put(svc, "fast", fast)
        await run(svc, "fast", "ff", USERS[:5])
        body = {"id": "late", "input": {"users": USERS[:5]}, "timeout_seconds": 60}
        assert (await svc.client.post("/v1/workflows/fast/runs", json=body)).status_code == 201
        await svc.settle()
        first = next(t for t in f.flying() if t["run_id"] == "ff")
        assert await h.report(first["job_id"], error={"why": "down"}) == 200
        f.done.add(first["job_id"])
        assert (await get_run(svc, "ff"))["status"] == "failed"
        assert {t["run_id"] for t in f.flying() if t["job_id"].startswith("late")} == {"late"}
        await assert_consistent(svc)
        await svc.tick(61)
        await svc.settle()
        assert (await get_run(svc, "late"))["status"] == "timed_out"
        key = (await svc.client.get("/v1/throttles/external_api")).json()
        assert key["in_flight"] == 0 and key["waiting"] == 0
        await assert_consistent(svc)


class TestBothLimits:
    async def test_a_step_throttle_and_its_handler_cap_both_hold(
        self, svc: Service, receiver: Receiver
    ) -> None:
        """The step's key allows 4 and the handler's cap 2: never more than 2 of the handler in flight, and
        a second workflow's step on the same key (another handler) still shares the key's 4."""
        _, f = await handlers(svc, receiver)
        capped = {"url": f"{receiver.url}/Fetcher", "timeout_seconds": 600, "max_in_flight": 2}
        assert (await svc.client.put("/v1/handlers/Fetcher", json=capped)).status_code == 200
        await put(svc, "agg", aggregation(limit=4))
        other = aggregation(limit=4)
        other["tasks"]["fetch_user"]["handler"] = "Aggregator"
        await put(svc, "other", other)
        await run(svc, "agg", "a", USERS[:6])
        await run(svc, "other", "c", USERS[:6])
        fetching = f.flying()
        helping = f.flying("Aggregator")
        assert (len(fetching), len(helping)) == (2, 2)  # the cap holds a's to 2; c takes the key's rest
        key = (await svc.client.get("/v1/throttles/external_api")).json()
        assert key["in_flight"] == 4
        cap = (await svc.client.get("/v1/throttles/handler:Fetcher")).json()
        assert cap["in_flight"] == 2
        await assert_consistent(svc)
        while f.flying() or f.flying("Aggregator"):
            task = (f.flying() + f.flying("Aggregator"))[0]
            await f.report(task)
            keyed = [t for t in f.flying() + f.flying("Aggregator") if t["step"] == "fetch_user"]
            assert len(f.flying()) <= 2 and len(keyed) <= 4
            await assert_consistent(svc)
        assert (await svc.client.get("/v1/runs/a")).json()["steps"][0]["status"] == "succeeded"
        assert (await svc.client.get("/v1/runs/c")).json()["steps"][0]["status"] == "succeeded"
        for name in ("external_api", "handler:Fetcher"):
            assert (await svc.client.get(f"/v1/throttles/{name}")).json()["in_flight"] == 0

    async def test_a_phase_item_waits_only_on_its_own_handler_cap(
        self, svc: Service, receiver: Receiver
    ) -> None:
        """A phase's two handlers need different caps: when handler A's cap is full, only A's item moves to
        A's queue; B's item takes the key's freed slot."""
        h = Handlers(svc, receiver)
        await h.register("A", "B", "C")
        f = Flight(h)
        for name, limit in (("A", 1), ("B", 5)):
            body = {"url": f"{receiver.url}/{name}", "timeout_seconds": 600, "max_in_flight": limit}
            assert (await svc.client.put(f"/v1/handlers/{name}", json=body)).status_code == 200
        await put(svc, "hold-t", {"tasks": {"x": {"handler": "C", "throttle": {"key": "t", "limit": 1}}}})
        await put(svc, "hold-a", {"tasks": {"x": {"handler": "A"}}})
        phase = {
            "is_initial": True,
            "is_final": True,
            "handlers": ["A", "B"],
            "throttle": {"key": "t", "limit": 1},
        }
        await put(svc, "ph", {"phases": {"p": phase}})
        for workflow, run_id in (("hold-t", "ht"), ("ph", "p1"), ("hold-a", "ha")):
            assert (
                await svc.client.post(f"/v1/workflows/{workflow}/runs", json={"id": run_id})
            ).status_code == 201
            await svc.settle()
        assert (len(f.flying("C")), len(f.flying("A")), len(f.flying("B"))) == (1, 1, 0)
        await f.report(f.flying("C")[0])  # frees t: A is full, so B's item goes out
        await assert_consistent(svc)
        assert [t["run_id"] for t in f.flying("B")] == ["p1"]

    async def test_round_robin_holds_when_the_handler_has_a_cap(
        self, svc: Service, receiver: Receiver
    ) -> None:
        _, f = await handlers(svc, receiver)
        body = {"url": f"{receiver.url}/Fetcher", "timeout_seconds": 600, "max_in_flight": 100}
        assert (await svc.client.put("/v1/handlers/Fetcher", json=body)).status_code == 200
        await put(svc, "agg", aggregation())
        await run(svc, "agg", "a", USERS)
        await run(svc, "agg", "b", USERS)
        order: list[str] = []
        while len(order) < 6:
            before = {t["job_id"] for t in f.flying()}
            await f.report(min(f.flying(), key=lambda t: (t["run_id"], t["index"])))
            order += [t["run_id"] for t in f.flying() if t["job_id"] not in before]
        assert order[:6] == ["b", "a"] * 3
        await assert_consistent(svc)
