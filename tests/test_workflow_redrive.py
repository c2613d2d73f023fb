"""Redrive, rerun and a run's history: only what did not succeed runs again, attempt numbers continue with a
fresh retry budget, the run's job and the gathers over it see the run's new end, and /events tells it all."""

from __future__ import annotations

from typing import Any

from tests.conftest import Service
from tests.receiver import Receiver
from tests.test_workflow_definitions import SEARCH
from tests.test_workflow_runs import Handlers, get_run, start

# A → B (a map of 5, three attempts each) → C.
ABC: dict[str, Any] = {
    "tasks": {
        "A": {"handler": "Worker"},
        "B": {
            "handler": "Worker",
            "depends_on": ["A"],
            "each": [0, 1, 2, 3, 4],
            "retry": {"count": 3, "strategy": "constant", "base_delay": 1},
        },
        "C": {"handler": "Worker", "depends_on": ["B"]},
    },
    "output": {"$ptr": "/steps/B/output"},
}


def dispatched(h: Handlers) -> list[str]:
    return [t["task"]["job_id"] for t in h.tasks()]


async def events(svc: Service, run_id: str, limit: int = 1000, order: str = "id") -> list[dict[str, Any]]:
    return await svc.every(f"/v1/runs/{run_id}/events", limit=limit, order=order)


async def fail_b3_for_good(svc: Service, h: Handlers, run_id: str) -> None:
    """A succeeds, B's items succeed but item 3, which fails three times: the run fails."""
    assert await h.report(f"{run_id}:A:0:a1", {"a": 1}) == 200
    for n in (0, 1, 2, 4):
        assert await h.report(f"{run_id}:B:{n}:a1", {"n": n}) == 200
    for attempt in (1, 2, 3):
        assert await h.report(f"{run_id}:B:3:a{attempt}", error={"boom": attempt}) == 200
        await svc.tick(1)
    run = await get_run(svc, run_id)
    assert run["status"] == "failed", run


class TestRedrive:
    async def test_only_the_failed_item_runs_again_as_its_next_attempt(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "abc", ABC, id="r1")
        await fail_b3_for_good(svc, h, "r1")
        before = len(h.tasks())
        r = await svc.client.post("/v1/runs/r1/redrive")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "running" and r.json()["redrive_count"] == 1
        await svc.settle()
        (again,) = h.tasks()[before:]
        task = again["task"]
        assert task["job_id"] == "r1:B:3:a4" and task["attempt"] == 4 and task["max_attempts"] == 6
        assert again["previous_error"] == {"boom": 3}
        # A fresh budget: a fourth failure is retried, not final.
        assert await h.report("r1:B:3:a4", error={"boom": 4}) == 200
        assert (await get_run(svc, "r1"))["status"] == "running"
        await svc.tick(1)
        assert await h.report("r1:B:3:a5", {"n": 3}) == 200
        (c,) = [t for t in h.tasks()[before:] if t["task"]["step"] == "C"]
        assert c["task"]["job_id"] == "r1:C:0:a1"
        assert await h.report("r1:C:0:a1", {"c": 1}) == 200
        run = await get_run(svc, "r1")
        assert run["status"] == "succeeded" and run["redrive_count"] == 1 and run["error"] is None
        assert run["output"] == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]
        assert dispatched(h).count("r1:A:0:a1") == 1
        assert not any(j.startswith("r1:B:") and j.endswith(":a2") and ":3:" not in j for j in dispatched(h))
        job = (await svc.client.get("/v1/jobs/r1")).json()
        assert job["status"] == "succeeded"

    async def test_a_gather_over_the_run_fires_once_and_a_waiting_one_counts_the_new_end(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "hooks")
        await start(svc, h, "abc", ABC, id="r2")
        hook = {"url": f"{receiver.url}/hooks"}
        done = {"id": "g-done", "job_ids": ["r2"], "callback": hook}
        assert (await svc.client.post("/v1/gathers", json=done)).status_code == 201
        both = {"id": "g-both", "job_ids": ["r2", "other"], "callback": hook}
        assert (await svc.client.post("/v1/gathers", json=both)).status_code == 201
        await fail_b3_for_good(svc, h, "r2")
        assert (await svc.client.get("/v1/gathers/g-done")).json()["status"] == "completed"
        waiting = (await svc.client.get("/v1/gathers/g-both")).json()
        assert waiting["status"] == "waiting" and waiting["failed"] == 1
        assert (await svc.client.post("/v1/runs/r2/redrive")).status_code == 200
        await svc.settle()
        job = (await svc.client.get("/v1/jobs/r2")).json()
        assert job["status"] == "running" and job["error"] is None
        waiting = (await svc.client.get("/v1/gathers/g-both")).json()
        assert (
            waiting["done"] == 0
            and waiting["failed"] == 0
            and sorted(waiting["pending_job_ids"])
            == [
                "other",
                "r2",
            ]
        )
        assert await h.report("r2:B:3:a4", {"n": 3}) == 200
        assert await h.report("r2:C:0:a1", {}) == 200
        assert (await get_run(svc, "r2"))["status"] == "succeeded"
        assert (
            await svc.client.post("/v1/jobs/other/complete", json={"status": "succeeded"})
        ).status_code == 200
        await svc.settle()
        assert (await svc.client.get("/v1/gathers/g-both")).json()["status"] == "succeeded"
        fired = [e["gather"]["id"] for e in h.events("gather.completed") + h.events("gather.succeeded")]
        assert sorted(fired) == ["g-both", "g-done"]  # g-done once, for the first end

    async def test_only_an_ended_run_is_redriven(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "abc", ABC, id="r3")
        r = await svc.client.post("/v1/runs/r3/redrive")
        assert r.status_code == 409 and "running" in r.json()["detail"]
        assert (await svc.client.post("/v1/runs/nope/redrive")).status_code == 404
        await h.report("r3:A:0:a1", {})
        for n in range(5):
            await h.report(f"r3:B:{n}:a1", {})
        await h.report("r3:C:0:a1", {})
        assert (await get_run(svc, "r3"))["status"] == "succeeded"
        r = await svc.client.post("/v1/runs/r3/redrive")
        assert r.status_code == 409 and "rerun" in r.json()["detail"]

    async def test_a_cancelled_run_redriven_with_an_idempotency_key_replays(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "hooks")
        hook = {"url": f"{receiver.url}/hooks"}
        await start(svc, h, "abc", ABC, id="r4", callback=hook, events=["run.redriven"])
        assert await h.report("r4:A:0:a1", {"a": 1}) == 200
        assert await h.report("r4:B:0:a1", {"n": 0}) == 200
        assert (await svc.client.post("/v1/runs/r4/cancel", json={})).status_code == 200
        await svc.settle()
        headers = {"Idempotency-Key": "redrive-r4"}
        first = await svc.client.post("/v1/runs/r4/redrive", headers=headers)
        again = await svc.client.post("/v1/runs/r4/redrive", headers=headers)
        assert first.status_code == again.status_code == 200 and first.json() == again.json()
        assert first.json()["redrive_count"] == 1
        await svc.settle()
        # B's four cancelled items go out again as their second attempts; item 0 kept its output.
        again_ids = sorted(j for j in dispatched(h) if j.endswith(":a2"))
        assert again_ids == [f"r4:B:{n}:a2" for n in (1, 2, 3, 4)]
        assert len(h.events("run.redriven")) == 1

    async def test_a_timed_out_run_gets_a_new_deadline(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "abc", ABC, id="r5", timeout_seconds=60)
        await svc.tick(61)
        assert (await get_run(svc, "r5"))["status"] == "timed_out"
        r = await svc.client.post("/v1/runs/r5/redrive")
        assert r.status_code == 200 and r.json()["status"] == "running"
        await svc.settle()
        assert "r5:A:0:a2" in dispatched(h)
        await svc.tick(30)
        assert (await get_run(svc, "r5"))["status"] == "running"
        await svc.tick(31)
        assert (await get_run(svc, "r5"))["status"] == "timed_out"


class TestPhaseRedrive:
    async def test_the_failed_phase_is_entered_again_not_the_error_phase(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("GoogleSearcher", "PageDownloader", "ErrorEmailer", "JobFinisher")
        await start(svc, h, "search", SEARCH, id="p1")
        assert await h.report("p1:searching:0:a1", {"hits": 3}) == 200
        assert await h.report("p1:fetching-pages:0:a1", error={"non_retryable": True}) == 200
        assert await h.report("p1:error:0:a1", {"mailed": True}) == 200
        run = await get_run(svc, "p1")
        assert run["status"] == "failed" and run["current_phase"] == "error"
        assert (await svc.client.post("/v1/runs/p1/redrive")).status_code == 200
        await svc.settle()
        run = await get_run(svc, "p1")
        assert run["status"] == "running" and run["current_phase"] == "fetching-pages"
        assert run["transitions"][-1] == {
            **run["transitions"][-1],
            "to": "fetching-pages",
            "reason": "redrive",
        }
        assert "p1:fetching-pages:0:a2" in dispatched(h)
        assert await h.report("p1:fetching-pages:0:a2", {"pages": 2}) == 200
        assert await h.report("p1:finished:0:a1", {"done": True}) == 200
        run = await get_run(svc, "p1")
        assert run["status"] == "succeeded" and run["error"] is None
        assert set(run["output"]) == {"pending", "searching", "fetching-pages", "finished"}
        assert dispatched(h).count("p1:searching:0:a1") == 1

    async def test_a_phase_run_that_failed_in_its_error_phase_reenters_it(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("GoogleSearcher", "PageDownloader", "ErrorEmailer", "JobFinisher")
        await start(svc, h, "search", SEARCH, id="p2")
        assert await h.report("p2:searching:0:a1", {"hits": 3}) == 200
        assert await h.report("p2:fetching-pages:0:a1", error={"non_retryable": True}) == 200
        assert await h.report("p2:error:0:a1", error={"smtp": "down"}) == 200
        assert (await get_run(svc, "p2"))["status"] == "failed"
        assert (await svc.client.post("/v1/runs/p2/redrive")).status_code == 200
        await svc.settle()
        run = await get_run(svc, "p2")
        assert run["current_phase"] == "error" and "p2:error:0:a2" in dispatched(h)


class TestRerun:
    async def test_rerun_from_a_step_keeps_what_is_upstream(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "abc", ABC, id="q1")
        await h.report("q1:A:0:a1", {"a": 1})
        for n in range(5):
            await h.report(f"q1:B:{n}:a{1}", {"n": n})
        await h.report("q1:C:0:a1", {"c": 1})
        assert (await get_run(svc, "q1"))["status"] == "succeeded"
        unknown = await svc.client.post("/v1/runs/q1/rerun", json={"from_step": "Z"})
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "from_step"
        r = await svc.client.post("/v1/runs/q1/rerun", json={"from_step": "B"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "running" and r.json()["redrive_count"] == 1
        await svc.settle()
        assert sorted(j for j in dispatched(h) if j.endswith(":a2")) == [f"q1:B:{n}:a2" for n in range(5)]
        (a,) = [t for t in h.tasks() if t["task"]["step"] == "A"]
        assert a["task"]["job_id"] == "q1:A:0:a1"
        assert (await svc.client.post("/v1/runs/q1/rerun", json={"from_step": "B"})).status_code == 409
        for n in range(5):
            await h.report(f"q1:B:{n}:a2", {"n": n * 10})
        (c2,) = [t for t in h.tasks() if t["task"]["job_id"] == "q1:C:0:a2"]
        assert c2["outputs"]["B"] == [{"n": n * 10} for n in range(5)]
        await h.report("q1:C:0:a2", {"c": 2})
        run = await get_run(svc, "q1")
        assert run["status"] == "succeeded" and run["output"] == [{"n": n * 10} for n in range(5)]


class TestHistory:
    async def test_a_thousand_items_page_in_order_each_once(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        big = {"tasks": {"M": {"handler": "Worker", "each": list(range(1000)), "concurrency": 1000}}}
        await start(svc, h, "big", big, id="e1")
        reports = [{"id": f"e1:M:{n}:a1", "status": "succeeded", "output": {"n": n}} for n in range(1000)]
        reports[7] = {"id": "e1:M:7:a1", "status": "failed", "error": {"why": "seven"}}
        r = await svc.client.post("/v1/jobs/complete", json={"reports": reports})
        assert r.status_code == 200, r.text
        await svc.settle()
        assert (await get_run(svc, "e1"))["status"] == "failed"
        found = await events(svc, "e1", limit=173)
        ids = [e["id"] for e in found]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        types = [e["type"] for e in found]
        assert types[0] == "run.created" and types[1] == "transition" and types[-1] == "run.failed"
        sent = [(e["index"], e["attempt"], e["job_id"]) for e in found if e["type"] == "attempt.dispatched"]
        assert sent == [(n, 1, f"e1:M:{n}:a1") for n in range(1000)]
        ended = [e for e in found if e["type"].startswith("attempt.") and e["type"] != "attempt.dispatched"]
        assert sorted(e["index"] for e in ended) == list(range(1000))
        (seven,) = [e for e in ended if e["index"] == 7]
        assert seven["type"] == "attempt.failed" and seven["data"]["error"] == {"why": "seven"}
        assert seven["data"]["item_status"] == "failed"
        assert [e["step"] for e in found if e["type"] == "step.failed"] == ["M"]

    async def test_pauses_redrives_and_ends_are_in_the_history(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "abc", ABC, id="e2")
        assert (await svc.client.post("/v1/runs/e2/pause")).status_code == 200
        assert (await svc.client.post("/v1/runs/e2/resume")).status_code == 200
        await fail_b3_for_good(svc, h, "e2")
        assert (await svc.client.post("/v1/runs/e2/redrive")).status_code == 200
        await svc.settle()
        types = [e["type"] for e in await events(svc, "e2")]
        assert types.count("run.paused") == types.count("run.resumed") == 1
        assert types.count("run.failed") == 1 and types.count("run.redriven") == 1
        assert types.index("run.failed") < types.index("run.redriven")
        retried = [e for e in await events(svc, "e2") if e["type"] == "attempt.failed"]
        assert [e["data"]["item_status"] for e in retried] == ["retry_scheduled", "retry_scheduled", "failed"]
        oldest_first = await events(svc, "e2")
        assert await events(svc, "e2", limit=3, order="-id") == oldest_first[::-1]  # paged newest first
        assert (await svc.client.get("/v1/runs/nope/events")).status_code == 404
        assert (await svc.client.get("/v1/runs/e2/events", params={"cursor": "bad"})).status_code == 422
        assert (await svc.client.get("/v1/runs/e2/events", params={"order": "newest"})).status_code == 422


class TestReviewedEdges:
    async def test_a_redriven_error_phase_is_told_its_error_again_and_the_run_still_fails(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("GoogleSearcher", "PageDownloader", "ErrorEmailer", "JobFinisher")
        await start(svc, h, "search", SEARCH, id="x0")
        assert await h.report("x0:searching:0:a1", {"hits": 3}) == 200
        assert await h.report("x0:fetching-pages:0:a1", error={"non_retryable": True, "why": 1}) == 200
        (first,) = [t for t in h.tasks() if t["task"]["job_id"] == "x0:error:0:a1"]
        assert await h.report("x0:error:0:a1", error={"smtp": "down"}) == 200
        assert (await svc.client.post("/v1/runs/x0/redrive")).status_code == 200
        await svc.settle()
        (again,) = [t for t in h.tasks() if t["task"]["job_id"] == "x0:error:0:a2"]
        assert again["error"] == first["error"] and again["error"]["phase"] == "fetching-pages"
        assert await h.report("x0:error:0:a2", {"mailed": True}) == 200
        run = await get_run(svc, "x0")
        assert run["status"] == "failed" and run["error"]["phase"] == "fetching-pages"
        # A rerun of the error phase is told it too.
        assert (await svc.client.post("/v1/runs/x0/rerun", json={"from_step": "error"})).status_code == 200
        await svc.settle()
        (third,) = [t for t in h.tasks() if t["task"]["job_id"] == "x0:error:0:a3"]
        assert third["error"] == first["error"]

    async def test_retries_after_a_redrive_wait_as_a_first_attempt_would(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        flow = {"tasks": {"B": {"handler": "Worker", "retry": {"count": 3, "base_delay": 10}}}}
        await start(svc, h, "exp", flow, id="x1")
        assert await h.report("x1:B:0:a1", error={"e": 1}) == 200
        await svc.tick(10)
        assert await h.report("x1:B:0:a2", error={"e": 2}) == 200
        await svc.tick(20)
        assert await h.report("x1:B:0:a3", error={"e": 3}) == 200
        assert (await svc.client.post("/v1/runs/x1/redrive")).status_code == 200
        await svc.settle()
        assert await h.report("x1:B:0:a4", error={"e": 4}) == 200
        await svc.tick(10)  # base_delay, as after a first attempt (not 10 · 2³)
        assert "x1:B:0:a5" in dispatched(h)

    async def test_a_failed_dependent_waits_for_its_redriven_dependency(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        flow = {
            "tasks": {
                "A": {"handler": "Worker"},
                "D": {"handler": "Worker", "depends_on": ["A"], "allow_failed_dependencies": True},
            }
        }
        await start(svc, h, "ad", flow, id="x2")
        assert await h.report("x2:A:0:a1", error={"non_retryable": True}) == 200
        assert await h.report("x2:D:0:a1", error={"non_retryable": True}) == 200
        assert (await svc.client.post("/v1/runs/x2/redrive")).status_code == 200
        await svc.settle()
        assert "x2:A:0:a2" in dispatched(h) and "x2:D:0:a2" not in dispatched(h)
        assert await h.report("x2:A:0:a2", {"a": 2}) == 200
        (d,) = [t for t in h.tasks() if t["task"]["job_id"] == "x2:D:0:a2"]
        assert d["outputs"] == {"A": {"a": 2}}
        assert await h.report("x2:D:0:a2", {"d": 2}) == 200
        assert (await get_run(svc, "x2"))["status"] == "succeeded"

    async def test_a_rerun_from_a_step_whose_dependency_failed_is_409(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "abc", ABC, id="x3")
        assert await h.report("x3:A:0:a1", error={"non_retryable": True}) == 200
        assert (await get_run(svc, "x3"))["status"] == "failed"
        r = await svc.client.post("/v1/runs/x3/rerun", json={"from_step": "C"})
        assert r.status_code == 409 and "redrive" in r.json()["detail"]
        assert (await get_run(svc, "x3"))["redrive_count"] == 0
