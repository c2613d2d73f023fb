"""Map steps with ``batch_size``: one ``task.requested`` carries up to that many items, each still an attempt
of its own (its own job, deadline, retries and report), reported in bulk; outputs stay in element order."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from standardwebhooks.webhooks import Webhook

from app.core.db import Tx
from app.workflows import runs_service
from app.workflows.runs_schemas import RunCancel, RunCreate
from tests.conftest import Service
from tests.receiver import Receiver, Reply
from tests.test_validation import assert_problem
from tests.test_workflow_heartbeats import blockers, job
from tests.test_workflow_runs import Handlers, get_run, start


def batched(n: int, batch_size: int, concurrency: int, **task: Any) -> dict[str, Any]:
    """A map over ``range(n)`` of the handler Worker whose outputs are the run's output."""
    body = {"handler": "Worker", "each": list(range(n)), "batch_size": batch_size, "concurrency": concurrency}
    return {"tasks": {"m": body | {"output": ["n"]} | task}, "output": {"$ptr": "/steps/m/output"}}


class Batches:
    """The task messages the receiver got, each verified once, and bulk reports of their items."""

    def __init__(self, svc: Service, handlers: Handlers) -> None:
        self.svc = svc
        self.h = handlers
        self.seen = 0
        self.messages: list[dict[str, Any]] = []

    def new(self) -> list[dict[str, Any]]:
        """The ``task.requested`` messages that arrived since the last call."""
        found = []
        for r in self.h.receiver.requests[self.seen :]:
            body = Webhook(self.h.secret).verify(r.body, r.headers)
            if body["type"] == "task.requested":
                found.append(body["data"])
        self.seen = len(self.h.receiver.requests)
        self.messages += found
        return found

    async def report(self, items: list[dict[str, Any]], *, fail: frozenset[int] = frozenset()) -> None:
        """Report these items in one bulk: output ``{"n": 2 * item}``, or failed for those in ``fail``."""
        reports = [
            {"id": it["job_id"], "status": "failed", "error": {"bad": it["index"]}}
            if it["index"] in fail
            else {"id": it["job_id"], "status": "succeeded", "output": {"n": 2 * it["item"]}}
            for it in items
        ]
        response = await self.svc.client.post("/v1/jobs/complete", json={"reports": reports})
        assert response.status_code == 200, response.text
        assert {r["result"] for r in response.json()["results"]} == {"applied"}
        await self.svc.settle()


def indexes(message: dict[str, Any]) -> list[int]:
    return [it["index"] for it in message["task"]["items"]]


async def complete(svc: Service, job_id: str, status: str = "succeeded") -> int:
    body: dict[str, Any] = (
        {"status": status, "output": {"n": 0}} if status == "succeeded" else {"status": status}
    )
    response = await svc.client.post(f"/v1/jobs/{quote(job_id, safe='')}/complete", json=body)
    await svc.settle()
    return response.status_code


class TestDefinitions:
    async def test_batch_size_out_of_range_or_off_a_map_is_422_with_every_problem(self, svc: Service) -> None:
        definition = {
            "tasks": {
                "zero": {"handler": "W", "each": [1], "batch_size": 0},
                "over": {"handler": "W", "each": [1], "batch_size": 1001},
                "text": {"handler": "W", "each": [1], "batch_size": "5"},
                "single": {"handler": "W", "batch_size": 10},
            }
        }
        body = assert_problem(await svc.client.put("/v1/workflows/b", json=definition), 422)
        assert sorted((e["loc"], e["code"]) for e in body["errors"]) == [
            ("/tasks/over/batch_size", "bad_batch_size"),
            ("/tasks/single/batch_size", "bad_batch_size"),
            ("/tasks/text/batch_size", "bad_batch_size"),
            ("/tasks/zero/batch_size", "bad_batch_size"),
        ]
        ok = {"tasks": {"m": {"handler": "W", "each": [1], "batch_size": 1000}}}
        assert (await svc.client.post("/v1/workflows/validate", json=ok)).json()["valid"] is True


class TestBatchMessages:
    async def test_ten_thousand_items_in_batches_of_100_make_100_messages_and_ordered_outputs(
        self, svc: Service, receiver: Receiver
    ) -> None:
        """Ten rounds: 1,000 items in flight as ten messages, each message's items reported in one bulk."""
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        n = 10_000
        definition = batched(n, 100, 1000)
        definition["tasks"]["after"] = {"handler": "Sink", "depends_on": ["m"]}
        await start(svc, h, "big", definition, id="big", input={"k": 1})
        b = Batches(svc, h)
        while new := [m for m in b.new() if m["task"]["handler"] == "Worker"]:
            assert len(new) == 10
            for message in new:
                await b.report(message["task"]["items"])
        worker = [m for m in b.messages if m["task"]["handler"] == "Worker"]
        assert len(worker) == 100
        firsts = sorted(indexes(m)[0] for m in worker)
        assert firsts == list(range(0, n, 100))
        for message in worker:
            start_at = indexes(message)[0]
            assert indexes(message) == list(range(start_at, start_at + 100))
            assert [it["item"] for it in message["task"]["items"]] == indexes(message)
        (sink,) = [m for m in b.messages if m["task"]["handler"] == "Sink"]
        assert sink["outputs"]["m"] == [{"n": 2 * k} for k in range(1000)] and sink["outputs_truncated"]
        await complete(svc, "big:after:0:a1")
        run = await get_run(svc, "big")
        assert run["status"] == "succeeded"
        assert run["output"] == [{"n": 2 * k} for k in range(n)]

    async def test_a_batch_message_carries_what_items_share_once_and_each_item_on_its_own(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(public_url="https://rdv.example")
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = batched(5, 3, 10, params={"k": {"$ptr": "/input/k"}})
        await start(svc, h, "shape", definition, id="s", input={"k": 7})
        b = Batches(svc, h)
        first, second = sorted(b.new(), key=lambda m: indexes(m)[0])
        task = first["task"]
        assert task["kind"] == "map_batch" and task["complete_url"] == "https://rdv.example/v1/jobs/complete"
        assert {k: task[k] for k in ("run_id", "workflow", "version", "step", "handler")} == {
            "run_id": "s",
            "workflow": "shape",
            "version": 1,
            "step": "m",
            "handler": "Worker",
        }
        assert task["deadline_at"] and task["heartbeat_seconds"] is None
        assert task["items"][1] == {
            "index": 1,
            "item": 1,
            "job_id": "s:m:1:a1",
            "task_key": "s:m:1",
            "attempt": 1,
            "max_attempts": 1,
            "complete_url": "https://rdv.example/v1/jobs/s%3Am%3A1%3Aa1/complete",
            "heartbeat_url": "https://rdv.example/v1/jobs/s%3Am%3A1%3Aa1/heartbeat",
            "previous_error": None,
        }
        assert (first["input"], first["params"], first["outputs"]) == ({"k": 7}, {"k": 7}, {})
        assert not first["input_truncated"] and not first["outputs_truncated"]
        assert indexes(second) == [3, 4]  # everything waiting fits: the last message is short
        assert (await job(svc, "s:m:4:a1"))["status"] == "pending"
        await b.report(task["items"][:2])
        assert await complete(svc, "s:m:2:a1") == 200  # one item, one job: the single route works too
        await b.report(second["task"]["items"])
        run = await get_run(svc, "s")
        assert run["status"] == "succeeded"
        assert run["output"] == [{"n": 0}, {"n": 2}, {"n": 0}, {"n": 6}, {"n": 8}]
        items = (await svc.client.get("/v1/runs/s/steps/m/items")).json()["items"]
        assert [(i["index"], i["job_id"], i["status"]) for i in items] == [
            (k, f"s:m:{k}:a1", "succeeded") for k in range(5)
        ]

    async def test_a_concurrency_under_the_batch_size_sends_whole_messages_of_that_many(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "narrow", batched(7, 5, 3), id="c")
        b = Batches(svc, h)
        (first,) = b.new()
        assert indexes(first) == [0, 1, 2]
        await b.report(first["task"]["items"][:1])
        assert b.new() == []  # room for one: the step waits for room for a whole message
        concurrency = {"step": "m", "reason": "concurrency", "limit": 3, "in_flight": 2, "batch_size": 5}
        assert concurrency in await blockers(svc, "c")
        ready = (await get_run(svc, "c"))["steps"][0]["items"]
        assert (ready["ready"], ready["waiting"], ready["in_flight"]) == (0, 4, 2)
        await b.report(first["task"]["items"][1:])
        (second,) = b.new()
        assert indexes(second) == [3, 4, 5]
        await b.report(second["task"]["items"])
        (last,) = b.new()
        assert indexes(last) == [6]
        await b.report(last["task"]["items"])
        assert (await get_run(svc, "c"))["output"] == [{"n": 2 * k} for k in range(7)]


class TestRetries:
    async def test_a_retried_item_goes_out_again_with_what_waits_then(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "retry", batched(6, 2, 4, retry={"count": 2, "base_delay": 1}), id="r")
        b = Batches(svc, h)
        first, second = sorted(b.new(), key=lambda m: indexes(m)[0])
        assert (indexes(first), indexes(second)) == ([0, 1], [2, 3])
        await b.report(first["task"]["items"][1:], fail={1})
        await svc.tick(1)
        assert b.new() == []  # item 1 waits again, with 4 and 5: room for one, not for a message
        await b.report(first["task"]["items"][:1])
        (again,) = b.new()
        assert [(it["job_id"], it["attempt"], it["max_attempts"]) for it in again["task"]["items"]] == [
            ("r:m:1:a2", 2, 2),
            ("r:m:4:a1", 1, 2),
        ]
        assert [it["previous_error"] for it in again["task"]["items"]] == [{"bad": 1}, None]
        await b.report(second["task"]["items"] + again["task"]["items"])
        (last,) = b.new()
        assert indexes(last) == [5]
        await b.report(last["task"]["items"])
        run = await get_run(svc, "r")
        assert run["status"] == "succeeded" and run["output"] == [{"n": 2 * k} for k in range(6)]


class TestDispatchFailed:
    async def test_a_dead_batch_message_fails_its_open_items_which_retry(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(delivery_retry_schedule=[0, 10], delivery_jitter=0)
        h = Handlers(svc, receiver)
        await h.register("Worker")
        receiver.reply_with(Reply(503), Reply(503))
        await start(svc, h, "dead", batched(3, 3, 3, retry={"count": 2, "base_delay": 5}), id="d")
        b = Batches(svc, h)
        (sent,) = b.new()
        failing = [x for x in await blockers(svc, "d") if x["reason"] == "dispatch_failing"]
        assert [(x["last_status"], x["job_ids"]) for x in failing] == [
            (503, ["d:m:0:a1", "d:m:1:a1", "d:m:2:a1"])
        ]
        await b.report(sent["task"]["items"][:1])  # the handler took it after all and reported one
        await svc.tick(10)
        assert len(b.new()) == 1
        for k in (1, 2):
            failed = await job(svc, f"d:m:{k}:a1")
            assert failed["error"] == {"reason": "dispatch_failed", "last_status": 503}
        assert (await job(svc, "d:m:0:a1"))["status"] == "succeeded"
        assert [x["reason"] for x in await blockers(svc, "d")] == ["retry_scheduled", "retry_scheduled"]
        await svc.tick(5)
        (again,) = b.new()
        assert [it["job_id"] for it in again["task"]["items"]] == ["d:m:1:a2", "d:m:2:a2"]
        error = {"reason": "dispatch_failed", "last_status": 503}
        assert [it["previous_error"] for it in again["task"]["items"]] == [error, error]
        await b.report(again["task"]["items"])
        run = await get_run(svc, "d")
        assert run["status"] == "succeeded" and run["output"] == [{"n": 0}, {"n": 2}, {"n": 4}]


class TestEnds:
    async def test_run_cancel_sends_one_task_cancelled_per_batch_message(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "cancel", batched(6, 3, 6), id="x")
        b = Batches(svc, h)
        assert len(b.new()) == 2
        await b.report([{"index": 0, "item": 0, "job_id": "x:m:0:a1"}])
        response = await svc.client.post("/v1/runs/x/cancel", json={"reason": "enough"})
        assert response.status_code == 200
        await svc.settle()
        notes = sorted(h.events("task.cancelled"), key=lambda n: n["task"]["items"][0]["index"])
        assert notes == [
            {
                "task": {
                    "run_id": "x",
                    "step": "m",
                    "handler": "Worker",
                    "kind": "map_batch",
                    "items": items,
                },
                "reason": "enough",
            }
            for items in (
                [{"index": k, "job_id": f"x:m:{k}:a1", "attempt": 1} for k in (1, 2)],
                [{"index": k, "job_id": f"x:m:{k}:a1", "attempt": 1} for k in (3, 4, 5)],
            )
        ]
        assert await complete(svc, "x:m:4:a1") == 409

    async def test_a_batch_not_yet_sent_is_withdrawn_on_cancel_and_never_told(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        assert (await svc.client.put("/v1/workflows/quiet", json=batched(4, 2, 4))).status_code == 201

        async def start_and_cancel(tx: Tx) -> None:
            # One transaction, so no worker can have claimed the task messages before the cancel.
            await runs_service.create(tx, namespace="default", workflow="quiet", body=RunCreate(id="q"))
            await runs_service.cancel(tx, namespace="default", run_id="q", body=RunCancel())

        await svc.runtime.db.run(start_and_cancel)
        await svc.settle()
        assert receiver.requests == []
        deliveries = (await svc.client.get("/v1/deliveries")).json()["items"]
        assert [d for d in deliveries if d["event_type"].startswith("task.")] == []

    async def test_a_batch_message_is_withdrawn_only_when_none_of_its_items_is_in_flight(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        """Its handler cancels the items one by one while the message is being retried: the message stays
        for the item still in flight, and goes once the last one ended."""
        svc: Service = await service_factory(delivery_retry_schedule=[0, 30, 60], delivery_jitter=0)
        h = Handlers(svc, receiver)
        await h.register("Worker")
        receiver.reply_with(Reply(503), Reply(503))
        await start(svc, h, "drop", batched(2, 2, 2), id="w")
        assert len(receiver.requests) == 1
        assert await complete(svc, "w:m:0:a1", "cancelled") == 200
        await svc.tick(30)
        assert len(receiver.requests) == 2
        assert await complete(svc, "w:m:1:a1", "cancelled") == 200
        await svc.tick(60)
        assert len(receiver.requests) == 2
        pending = (await svc.client.get("/v1/deliveries", params={"status": "pending"})).json()["items"]
        assert pending == []
