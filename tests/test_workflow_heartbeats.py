"""Attempt deadlines and task messages that cannot be delivered: timeouts, heartbeats and dispatch_failed,
each counted under the step's retry policy. Time moves on the injected clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from app.deliveries import service as outbox
from tests.conftest import Service
from tests.receiver import Receiver, Reply
from tests.test_validation import assert_problem
from tests.test_workflow_runs import Handlers, get_run, start


def single(**task: Any) -> dict[str, Any]:
    """A workflow of one task of the handler Worker."""
    return {"tasks": {"one": {"handler": "Worker", **task}}}


async def job(svc: Service, job_id: str) -> dict[str, Any]:
    r = await svc.client.get(f"/v1/jobs/{quote(job_id, safe='')}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def beat(svc: Service, job_id: str) -> dict[str, Any]:
    r = await svc.client.post(f"/v1/jobs/{quote(job_id, safe='')}/heartbeat")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def item(svc: Service, run_id: str, step: str = "one") -> dict[str, Any]:
    items = (await svc.client.get(f"/v1/runs/{run_id}/steps/{step}/items")).json()["items"]
    first: dict[str, Any] = items[0]
    return first


async def blockers(svc: Service, run_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await svc.client.get(f"/v1/runs/{run_id}/explain")).json()["blockers"]
    return found


def seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def job_ids(h: Handlers) -> list[str]:
    return [t["task"]["job_id"] for t in h.tasks("Worker")]


class TestTimeouts:
    async def test_without_heartbeats_an_attempt_times_out_at_its_timeout_and_is_retried(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "single", single(timeout_seconds=30, retry={"count": 2, "base_delay": 1}), id="a")
        (first,) = h.tasks("Worker")
        assert first["task"]["heartbeat_seconds"] is None
        attempt = await job(svc, "a:one:0:a1")
        assert (attempt["heartbeat_seconds"], attempt["timeout_at"]) == (None, attempt["deadline_at"])
        assert first["task"]["deadline_at"] == attempt["deadline_at"].replace("Z", "+00:00")
        await svc.tick(29.9)
        assert (await job(svc, "a:one:0:a1"))["status"] == "pending"
        await svc.tick(0.1)
        timed_out = await job(svc, "a:one:0:a1")
        assert timed_out["status"] == "timed_out" and timed_out["error"]["reason"] == "timeout"
        (retry,) = [b for b in await blockers(svc, "a") if b["reason"] == "retry_scheduled"]
        assert retry["attempt"] == 2 and retry["last_error"]["reason"] == "timeout"
        await svc.tick(1)
        assert job_ids(h) == ["a:one:0:a1", "a:one:0:a2"]
        assert h.tasks("Worker")[1]["previous_error"]["reason"] == "timeout"
        await svc.tick(30)
        run = await get_run(svc, "a")
        assert run["status"] == "failed"
        last = await item(svc, "a")
        assert (last["status"], last["attempts"], last["error"]["reason"]) == ("timed_out", 2, "timeout")

    async def test_heartbeats_keep_an_attempt_alive_up_to_its_timeout_and_no_further(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = single(timeout_seconds=60, heartbeat_seconds=10, retry={"count": 2, "base_delay": 1})
        await start(svc, h, "single", definition, id="b")
        (first,) = h.tasks("Worker")
        assert first["task"]["heartbeat_seconds"] == 10
        attempt = await job(svc, "b:one:0:a1")
        assert attempt["heartbeat_seconds"] == 10
        assert seconds(attempt["created_at"], attempt["deadline_at"]) == 10
        assert seconds(attempt["created_at"], attempt["timeout_at"]) == 60
        assert first["task"]["deadline_at"] == attempt["timeout_at"].replace("Z", "+00:00")
        for _ in range(7):  # 56 s in all, each heartbeat 8 s after the last
            await svc.tick(8)
            beaten = await beat(svc, "b:one:0:a1")
        assert beaten["status"] == "running"
        assert beaten["deadline_at"] == attempt["timeout_at"]  # min(now + 10, the timeout)
        await svc.tick(3.9)
        assert (await beat(svc, "b:one:0:a1"))["deadline_at"] == attempt["timeout_at"]
        assert job_ids(h) == ["b:one:0:a1"]
        await svc.tick(0.1)
        timed_out = await job(svc, "b:one:0:a1")
        assert timed_out["status"] == "timed_out" and timed_out["error"]["reason"] == "timeout"
        assert (await item(svc, "b"))["status"] == "retry_scheduled"

    async def test_a_missed_heartbeat_times_the_attempt_out_and_it_is_retried(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        handler = {"url": f"{receiver.url}/Worker", "timeout_seconds": 60, "heartbeat_seconds": 10}
        assert (await svc.client.put("/v1/handlers/Worker", json=handler)).status_code == 200
        await start(svc, h, "single", single(retry={"count": 2, "base_delay": 1}), id="c")
        await svc.tick(5)
        await beat(svc, "c:one:0:a1")
        await svc.tick(9.9)
        assert (await job(svc, "c:one:0:a1"))["status"] == "running"
        await svc.tick(0.1)
        missed = await job(svc, "c:one:0:a1")
        assert missed["status"] == "timed_out"
        assert missed["error"] == {
            "reason": "heartbeat_missed",
            "detail": "no heartbeat came within 10 s",
            "heartbeat_seconds": 10,
        }
        await svc.tick(1)
        second = h.tasks("Worker")[1]
        assert second["task"]["job_id"] == "c:one:0:a2" and second["task"]["heartbeat_seconds"] == 10
        assert second["previous_error"]["reason"] == "heartbeat_missed"
        assert await h.report("c:one:0:a2", {"ok": True}) == 200
        assert (await get_run(svc, "c"))["status"] == "succeeded"

    async def test_a_late_report_or_heartbeat_on_a_timed_out_attempt_is_409_and_changes_nothing(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = single(timeout_seconds=60, heartbeat_seconds=10, retry={"count": 2, "base_delay": 1})
        await start(svc, h, "single", definition, id="d")
        await svc.tick(10)
        await svc.tick(1)
        assert job_ids(h) == ["d:one:0:a1", "d:one:0:a2"]
        before = await job(svc, "d:one:0:a1")
        run_before = await get_run(svc, "d")
        late = await svc.client.post(
            f"/v1/jobs/{quote('d:one:0:a1', safe='')}/complete", json={"status": "succeeded", "output": {}}
        )
        assert assert_problem(late, 409)["job"]["status"] == "timed_out"
        heartbeat = await svc.client.post(f"/v1/jobs/{quote('d:one:0:a1', safe='')}/heartbeat")
        assert assert_problem(heartbeat, 409)["job"]["status"] == "timed_out"
        await svc.settle()
        assert await job(svc, "d:one:0:a1") == before
        run = await get_run(svc, "d")
        assert run == run_before and run["steps"][0]["items"]["in_flight"] == 1
        current = await item(svc, "d")
        assert (current["status"], current["job_id"]) == ("dispatched", "d:one:0:a2")
        assert job_ids(h) == ["d:one:0:a1", "d:one:0:a2"]


class TestDispatchFailed:
    async def test_a_task_message_refused_until_its_schedule_is_spent_fails_the_attempt(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(delivery_retry_schedule=[0, 10], delivery_jitter=0)
        h = Handlers(svc, receiver)
        await h.register("Worker")
        receiver.reply_with(Reply(503), Reply(503))
        await start(svc, h, "single", single(retry={"count": 2, "base_delay": 5}), id="e")
        assert len(receiver.requests) == 1
        failing = [b for b in await blockers(svc, "e") if b["reason"] == "dispatch_failing"]
        assert len(failing) == 1
        assert failing[0] | {"next_attempt_at": None} == {
            "step": "one",
            "reason": "dispatch_failing",
            "last_status": 503,
            "next_attempt_at": None,
            "job_ids": ["e:one:0:a1"],
        }
        assert seconds(svc.clock.now().isoformat(), failing[0]["next_attempt_at"]) == 10
        assert {"step": "one", "reason": "in_flight", "job_ids": ["e:one:0:a1"]} in await blockers(svc, "e")
        await svc.tick(9.9)
        assert len(receiver.requests) == 1 and (await job(svc, "e:one:0:a1"))["status"] == "pending"
        await svc.tick(0.1)
        assert len(receiver.requests) == 2
        failed = await job(svc, "e:one:0:a1")
        assert failed["status"] == "failed"
        assert failed["error"] == {"reason": "dispatch_failed", "last_status": 503}
        now = await blockers(svc, "e")
        assert [b["reason"] for b in now] == ["retry_scheduled"]
        assert now[0]["last_error"] == {"reason": "dispatch_failed", "last_status": 503}
        steps = (await get_run(svc, "e"))["steps"][0]["items"]
        assert (steps["in_flight"], steps["retry_scheduled"], steps["failed"]) == (0, 1, 0)
        dead = (await svc.client.get("/v1/deliveries", params={"status": "dead"})).json()["items"]
        assert [(d["event_type"], d["last_status_code"]) for d in dead] == [("task.requested", 503)]
        await svc.tick(5)
        assert job_ids(h) == ["e:one:0:a1", "e:one:0:a1", "e:one:0:a2"]  # a1 refused twice
        second = h.tasks("Worker")[2]
        assert second["previous_error"] == {"reason": "dispatch_failed", "last_status": 503}
        assert await h.report("e:one:0:a2", {"ok": True}) == 200
        run = await get_run(svc, "e")
        assert run["status"] == "succeeded"
        assert run["steps"][0]["items"] | {} == {
            "total": 1,
            "waiting": 0,
            "ready": 0,
            "throttled": 0,
            "in_flight": 0,
            "retry_scheduled": 0,
            "succeeded": 1,
            "failed": 0,
            "cancelled": 0,
        }

    async def test_410_fails_the_attempt_at_once(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        receiver.reply_with(Reply(410))
        await start(svc, h, "single", single(), id="f")
        assert len(receiver.requests) == 1
        failed = await job(svc, "f:one:0:a1")
        assert failed["error"] == {"reason": "dispatch_failed", "last_status": 410}
        run = await get_run(svc, "f")
        assert run["status"] == "failed" and run["error"] == {"failed_steps": ["one"]}
        last = await item(svc, "f")
        assert (last["status"], last["error"]) == ("failed", failed["error"])
        await svc.tick(86400)
        assert len(receiver.requests) == 1

    async def test_410_counts_under_the_retry_policy(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        receiver.reply_with(Reply(410))
        await start(svc, h, "single", single(retry={"count": 2, "base_delay": 3}), id="f2")
        assert (await item(svc, "f2"))["status"] == "retry_scheduled"
        await svc.tick(3)
        assert (await item(svc, "f2"))["job_id"] == "f2:one:0:a2"
        assert job_ids(h) == ["f2:one:0:a1", "f2:one:0:a2"]

    async def test_an_attempt_reported_before_its_message_goes_dead_stays_as_reported(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(delivery_retry_schedule=[0, 10], delivery_jitter=0)
        h = Handlers(svc, receiver)
        await h.register("Worker")
        receiver.reply_with(Reply(500), Reply(500))  # the handler got the task but answered badly
        await start(svc, h, "single", single(retry={"count": 3, "base_delay": 1}), id="g")
        assert await h.report("g:one:0:a1", {"done": True}) == 200
        await svc.tick(10)
        assert len(receiver.requests) == 2
        dead = (await svc.client.get("/v1/deliveries", params={"status": "dead"})).json()["items"]
        assert len(dead) == 1
        assert (await job(svc, "g:one:0:a1"))["status"] == "succeeded"
        run = await get_run(svc, "g")
        assert run["status"] == "succeeded" and run["output"] is None
        assert (await item(svc, "g"))["attempts"] == 1

    async def test_a_message_whose_last_lease_ran_out_fails_the_attempt_with_no_status(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(delivery_retry_schedule=[0], delivery_jitter=0)
        await svc.runtime.deliverer.idle()  # a drain begun at start-up claims nothing later
        svc.runtime.db.listeners.pop("delivery")  # keep the live deliverer from taking it first
        h = Handlers(svc, receiver)
        await h.register("Worker")
        assert (await svc.client.put("/v1/workflows/single", json=single())).status_code == 201
        assert (await svc.client.post("/v1/workflows/single/runs", json={"id": "l"})).status_code == 201
        async with svc.runtime.db.transaction() as tx:
            (claimed,) = await outbox.claim_due(tx, worker="wrk_gone", limit=10, lease_seconds=30)
        assert claimed.subject_id == "l:one:0:a1"
        await svc.tick(31, alive=["wrk_gone"])  # alive, but it never answered
        assert receiver.requests == []
        failed = await job(svc, "l:one:0:a1")
        assert failed["error"] == {"reason": "dispatch_failed", "last_status": None}
        assert (await get_run(svc, "l"))["status"] == "failed"


class TestEndedAttemptsHearNoMore:
    async def test_an_attempt_that_times_out_while_its_message_is_retried_withdraws_it(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        """The message is refused, the attempt times out before the next try: that try never comes, and
        the next attempt's message goes out instead."""
        svc: Service = await service_factory(delivery_retry_schedule=[0, 30, 300], delivery_jitter=0)
        h = Handlers(svc, receiver)
        await h.register("Worker")
        receiver.reply_with(Reply(503))
        await start(svc, h, "single", single(retry={"count": 2, "base_delay": 1}, timeout_seconds=10), id="w")
        assert job_ids(h) == ["w:one:0:a1"]
        await svc.tick(10)
        assert (await job(svc, "w:one:0:a1"))["status"] == "timed_out"
        await svc.tick(1)
        await svc.tick(30)
        assert job_ids(h) == ["w:one:0:a1", "w:one:0:a2"]  # a1 was not sent again
        pending = (await svc.client.get("/v1/deliveries", params={"status": "pending"})).json()["items"]
        assert pending == []

    async def test_a_phase_task_its_handler_reports_cancelled_fails_the_phase_into_its_error_phase(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Work", "Alarm")
        phases = {
            "phases": {
                "doing": {"is_initial": True, "handlers": ["Work"], "transitions_to": "done"}
                | {"on_error_transition_to": "error"},
                "error": {"is_final": True, "handlers": ["Alarm"]},
                "done": {"is_final": True},
            }
        }
        await start(svc, h, "phased", phases, id="pc")
        cancel = {"status": "cancelled", "error": {"why": "operator stopped it"}}
        reply = await svc.client.post(f"/v1/jobs/{quote('pc:doing:0:a1', safe='')}/complete", json=cancel)
        assert reply.status_code == 200
        await svc.settle()
        (alarm,) = h.tasks("Alarm")
        assert alarm["error"]["job_id"] == "pc:doing:0:a1"
        assert alarm["error"]["error"] == {"why": "operator stopped it"}
        assert await h.report("pc:error:0:a1", {}) == 200
        run = await get_run(svc, "pc")
        assert run["status"] == "failed"
        assert [t["reason"] for t in run["transitions"]] == ["start", "on_error"]
