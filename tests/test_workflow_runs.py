"""Workflow runs end to end: real handlers on loopback receive signed task messages and report through the
job completion endpoint; time moves on the injected clock."""

from __future__ import annotations

import asyncio
import copy
from typing import Any
from urllib.parse import quote

from standardwebhooks.webhooks import Webhook

from app.core.db import Tx
from app.workflows import runs_service
from app.workflows.runs_schemas import RunCancel, RunCreate
from tests.conftest import Service
from tests.receiver import Receiver
from tests.test_workflow_definitions import ETL, SEARCH

MAP20: dict[str, Any] = {
    "tasks": {"each_one": {"handler": "Worker", "each": list(range(20)), "concurrency": 3, "output": ["n"]}}
}
# One task whose attempts time out after 30 s, tried twice a second apart.
TIMEOUT_TWICE: dict[str, Any] = {
    "tasks": {"one": {"handler": "Worker", "timeout_seconds": 30, "retry": {"count": 2, "base_delay": 1}}}
}


class Handlers:
    """The receiver seen as handlers: the verified task messages it got, and reports back."""

    def __init__(self, svc: Service, receiver: Receiver) -> None:
        self.svc = svc
        self.receiver = receiver
        self.secret = ""

    async def register(self, *names: str) -> None:
        self.secret = (await self.svc.client.get("/v1/namespace")).json()["signing_secret"]
        for name in names:
            body = {"url": f"{self.receiver.url}/{name}", "timeout_seconds": 600}
            assert (await self.svc.client.put(f"/v1/handlers/{name}", json=body)).status_code in (200, 201)

    def events(self, event_type: str = "task.requested", path: str | None = None) -> list[dict[str, Any]]:
        found = []
        for r in self.receiver.requests:
            body = Webhook(self.secret).verify(r.body, r.headers)
            if body["type"] == event_type and (path is None or r.path == path):
                found.append(body["data"])
        return found

    def tasks(self, handler: str | None = None) -> list[dict[str, Any]]:
        path = None if handler is None else f"/{handler}"
        return [
            e for e in self.events(path=path) if e["task"]["handler"] == (handler or e["task"]["handler"])
        ]

    async def report(self, job_id: str, output: Any = None, *, error: Any = None) -> int:
        body = (
            {"status": "failed", "error": error}
            if error is not None
            else {"status": "succeeded", "output": output}
        )
        response = await self.svc.client.post(f"/v1/jobs/{quote(job_id, safe='')}/complete", json=body)
        await self.svc.settle()
        return response.status_code


async def start(
    svc: Service, handlers: Handlers, name: str, definition: dict[str, Any], **run: Any
) -> dict[str, Any]:
    assert (await svc.client.put(f"/v1/workflows/{name}", json=definition)).status_code == 201
    response = await svc.client.post(f"/v1/workflows/{name}/runs", json=run)
    assert response.status_code == 201, response.text
    await svc.settle()
    body: dict[str, Any] = response.json()
    return body


async def get_run(svc: Service, run_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await svc.client.get(f"/v1/runs/{run_id}")).json()
    return body


class TestDagRuns:
    async def test_etl_map_outputs_reach_the_dependent_in_element_order_normalised(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Extractor", "Transformer", "Loader", "hooks")
        callback = {"url": f"{receiver.url}/hooks"}
        await start(svc, h, "etl", ETL, id="etl-1", input={"date": "2026-11-30"}, callback=callback)
        extracts = h.tasks("Extractor")
        assert [t["task"]["item"] for t in extracts] == ["users", "orders", "products", "inventory"]
        assert {t["task"]["job_id"] for t in extracts} == {f"etl-1:extract_data:{n}:a1" for n in range(4)}
        first = extracts[0]["task"]
        assert first["kind"] == "map_item" and first["task_key"] == "etl-1:extract_data:0"
        assert first["complete_url"] == "/v1/jobs/etl-1%3Aextract_data%3A0%3Aa1/complete"
        assert extracts[0]["input"] == {"date": "2026-11-30"} and extracts[0]["previous_error"] is None
        outputs = [
            {"source": "users", "count": 10},
            {"source": "orders", "count": 20, "extra": True},
            {"source": "products"},
            {"source": "inventory", "count": 40},
        ]
        for n in reversed(range(4)):
            assert await h.report(f"etl-1:extract_data:{n}:a1", outputs[n]) == 200
            assert h.tasks("Transformer") == [] or n == 0
        (transform,) = h.tasks("Transformer")
        assert transform["outputs"] == {
            "extract_data": [
                {"source": "users", "count": 10},
                {"source": "orders", "count": 20},
                {"source": "products", "count": None},
                {"source": "inventory", "count": 40},
            ]
        }
        assert transform["task"]["kind"] == "task" and transform["task"]["index"] == 0
        await h.report("etl-1:transform_data:0:a1", {"transformed_count": 70, "noise": 1})
        (load,) = h.tasks("Loader")
        assert load["params"] == {"date": "2026-11-30"}
        assert load["outputs"] == {"transform_data": {"transformed_count": 70}}
        await h.report("etl-1:load_data:0:a1", {"loaded": 70})
        run = await get_run(svc, "etl-1")
        assert run["status"] == "succeeded" and run["output"] == {"loaded": 70}
        assert [s["status"] for s in run["steps"]] == ["succeeded"] * 3
        assert [(t["from"], t["to"]) for t in run["transitions"]] == [
            (None, "extract_data"),
            ("extract_data", "transform_data"),
            ("transform_data", "load_data"),
        ]
        (event,) = h.events("run.succeeded")
        assert event["run"]["id"] == "etl-1" and event["run"]["output"] == {"loaded": 70}
        job = (await svc.client.get("/v1/jobs/etl-1")).json()
        assert job["status"] == "succeeded"

    async def test_a_map_never_has_more_in_flight_than_its_concurrency(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "map20", MAP20, id="m")
        reported: set[str] = set()
        while len(reported) < 20:
            flying = [t["task"] for t in h.tasks("Worker") if t["task"]["job_id"] not in reported]
            assert 1 <= len(flying) <= 3
            last = flying[-1]  # the newest first: completion order differs from index order
            await h.report(last["job_id"], {"n": last["item"] * 2})
            reported.add(last["job_id"])
        # The first three went out together; their deliveries may arrive in any order.
        assert sorted(t["task"]["index"] for t in h.tasks("Worker")[:3]) == [0, 1, 2]
        run = await get_run(svc, "m")
        assert run["status"] == "succeeded"
        assert run["output"] is None
        seen = await svc.every("/v1/runs/m/steps/each_one/items", limit=7)
        assert [i["index"] for i in seen] == list(range(20))
        assert [i["output"] for i in seen] == [{"n": n * 2} for n in range(20)]
        assert all(i["status"] == "succeeded" and i["attempts"] == 1 for i in seen)

    async def test_a_failed_step_skips_its_dependents_and_fails_the_run(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Extractor", "Transformer", "Loader", "hooks")
        body = {"id": "etl-f", "input": {"date": "d"}, "failure_callback": {"url": f"{receiver.url}/hooks"}}
        await start(svc, h, "etl", ETL, **body)
        for n in range(4):
            await h.report(
                f"etl-f:extract_data:{n}:a1", error={"why": "down"} if n == 1 else None
            ) if n == 1 else (await h.report(f"etl-f:extract_data:{n}:a1", {"source": "s", "count": n}))
        run = await get_run(svc, "etl-f")
        assert run["status"] == "failed"
        assert [s["status"] for s in run["steps"]] == ["failed", "skipped", "skipped"]
        assert h.tasks("Transformer") == []
        (event,) = h.events("run.failed")
        assert event["run"]["status"] == "failed"
        assert (await svc.client.get("/v1/jobs/etl-f")).json()["status"] == "failed"


class TestPhaseRuns:
    async def test_search_runs_through_its_phases_with_a_retry(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("GoogleSearcher", "PageDownloader", "ErrorEmailer", "JobFinisher", "hooks")
        callback = {"url": f"{receiver.url}/hooks"}
        await start(svc, h, "search", SEARCH, id="s1", input={"q": "rendezvous"}, callback=callback)
        (first,) = h.tasks("GoogleSearcher")
        assert first["task"]["kind"] == "phase_handler" and first["task"]["max_attempts"] == 3
        assert (await get_run(svc, "s1"))["current_phase"] == "searching"
        await h.report("s1:searching:0:a1", error={"message": "rate limited"})
        assert len(h.tasks("GoogleSearcher")) == 1
        items = (await svc.client.get("/v1/runs/s1/steps/searching/items")).json()["items"]
        assert items[0]["status"] == "retry_scheduled"
        explain = (await svc.client.get("/v1/runs/s1/explain")).json()
        assert explain["blockers"][0]["reason"] == "retry_scheduled"
        await svc.tick(1.9)
        assert len(h.tasks("GoogleSearcher")) == 1
        await svc.tick(0.2)
        second = h.tasks("GoogleSearcher")[1]
        assert second["task"]["job_id"] == "s1:searching:0:a2"
        assert second["previous_error"] == {"message": "rate limited"}
        assert await h.report("s1:searching:0:a1", {"late": True}) == 409
        await h.report("s1:searching:0:a2", {"urls": ["a", "b"]})
        (pages,) = h.tasks("PageDownloader")
        assert pages["outputs"] == {"searching": {"GoogleSearcher": {"urls": ["a", "b"]}}}
        await h.report("s1:fetching-pages:0:a1", {"pages": 2})
        (finish,) = h.tasks("JobFinisher")
        assert finish["outputs"]["fetching-pages"] == {"PageDownloader": {"pages": 2}}
        await h.report("s1:finished:0:a1", {"done": True})
        run = await get_run(svc, "s1")
        assert run["status"] == "succeeded" and run["current_phase"] == "finished"
        assert [s["status"] for s in run["steps"]] == [
            "succeeded",
            "succeeded",
            "succeeded",
            "waiting",
            "succeeded",
        ]
        assert len(h.events("run.succeeded")) == 1
        moves = [(t["from"], t["to"], t["reason"]) for t in run["transitions"]]
        assert moves == [
            (None, "pending", "start"),
            ("pending", "searching", "succeeded"),
            ("searching", "fetching-pages", "succeeded"),
            ("fetching-pages", "finished", "succeeded"),
        ]

    async def test_a_phase_failing_for_good_moves_to_its_error_phase_and_fails(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("GoogleSearcher", "PageDownloader", "ErrorEmailer", "JobFinisher")
        await start(svc, h, "search", SEARCH, id="s2")
        error = {"message": "banned", "non_retryable": True}
        await h.report("s2:searching:0:a1", error=error)
        (mail,) = h.tasks("ErrorEmailer")
        assert mail["error"] == {
            "phase": "searching",
            "step": "searching",
            "job_id": "s2:searching:0:a1",
            "error": error,
        }
        await h.report("s2:error:0:a1", {"sent": True})
        run = await get_run(svc, "s2")
        assert run["status"] == "failed" and run["error"]["phase"] == "searching"

    async def test_an_error_phase_with_outcome_succeeded_ends_the_run_succeeded(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("GoogleSearcher", "PageDownloader", "ErrorEmailer", "JobFinisher")
        definition = copy.deepcopy(SEARCH)
        definition["phases"]["error"]["outcome"] = "succeeded"
        definition["phases"]["searching"]["retry"] = {"count": 2, "base_delay": 5}
        await start(svc, h, "search", definition, id="s3")
        await h.report("s3:searching:0:a1", error={"retry_after_seconds": 30})
        await svc.tick(29)
        assert len(h.tasks("GoogleSearcher")) == 1
        await svc.tick(1)
        await h.report("s3:searching:0:a2", error={"again": True})
        await h.report("s3:error:0:a1", {})
        assert (await get_run(svc, "s3"))["status"] == "succeeded"


class TestControl:
    async def test_pause_holds_dispatch_and_resume_releases_it(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "map20", MAP20, id="p")
        paused = await svc.client.post("/v1/runs/p/pause")
        assert paused.status_code == 200 and paused.json()["status"] == "paused"
        assert (await svc.client.post("/v1/runs/p/pause")).status_code == 409
        await h.report("p:each_one:0:a1", {"n": 0})
        assert len(h.tasks("Worker")) == 3
        explain = (await svc.client.get("/v1/runs/p/explain")).json()
        assert explain["blockers"][0]["reason"] == "paused"
        assert (await svc.client.post("/v1/runs/p/resume")).json()["status"] == "running"
        await svc.settle()
        assert sorted(t["task"]["index"] for t in h.tasks("Worker")) == [0, 1, 2, 3]
        moves = [(t["from"], t["to"], t["reason"]) for t in (await get_run(svc, "p"))["transitions"]]
        assert moves == [
            (None, "each_one", "start"),
            (None, "paused", "pause"),
            ("paused", "running", "resume"),
        ]

    async def test_cancel_reaches_attempts_in_flight(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "map20", MAP20, id="c")
        cancelled = await svc.client.post("/v1/runs/c/cancel", json={"reason": "changed my mind"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        await svc.settle()
        notes = h.events("task.cancelled")
        assert sorted(n["task"]["job_id"] for n in notes) == [f"c:each_one:{n}:a1" for n in range(3)]
        assert all(n["reason"] == "changed my mind" for n in notes)
        assert await h.report("c:each_one:0:a1", {"n": 0}) == 409
        assert (await svc.client.get("/v1/jobs/c")).json()["status"] == "cancelled"
        assert (await svc.client.post("/v1/runs/c/cancel")).status_code == 200
        assert (await svc.client.post("/v1/runs/c/resume")).status_code == 409
        items = (await svc.client.get("/v1/runs/c/steps/each_one/items")).json()["items"]
        assert {i["status"] for i in items} == {"cancelled"}

    async def test_a_run_past_its_deadline_times_out(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "fail")
        await start(
            svc,
            h,
            "map20",
            MAP20,
            id="t",
            timeout_seconds=60,
            failure_callback={"url": f"{receiver.url}/fail"},
        )
        await svc.tick(61)
        run = await get_run(svc, "t")
        assert run["status"] == "timed_out"
        assert len(h.events("run.timed_out")) == 1
        assert {n["reason"] for n in h.events("task.cancelled")} == {"run_timed_out"}

    async def test_an_attempt_past_its_timeout_counts_as_a_failure(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "single", TIMEOUT_TWICE, id="to")
        await svc.tick(31)
        await svc.tick(1)
        assert [t["task"]["job_id"] for t in h.tasks("Worker")] == ["to:one:0:a1", "to:one:0:a2"]
        await svc.tick(31)
        run = await get_run(svc, "to")
        assert run["status"] == "failed"


class TestCreateAndWait:
    async def test_input_nested_too_deep_to_render_is_422_and_runs_still_list(self, svc: Service) -> None:
        assert (await svc.client.put("/v1/workflows/etl", json=ETL)).status_code == 201
        deep = '{"id": "deep", "input": ' + "[" * 200 + "]" * 200 + "}"
        r = await svc.client.post(
            "/v1/workflows/etl/runs", content=deep, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["input"], r.text
        listed = await svc.client.get("/v1/runs")
        assert listed.status_code == 200 and listed.json()["items"] == []
        events = {"id": "many", "events": ["run.paused"] * 21}
        assert (await svc.client.post("/v1/workflows/etl/runs", json=events)).status_code == 422

    async def test_creation_is_idempotent_and_refuses_conflicts(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "map20", MAP20, id="r1", input={"a": 1})
        again = await svc.client.post("/v1/workflows/map20/runs", json={"id": "r1", "input": {"a": 1}})
        assert again.status_code == 200 and again.json()["id"] == "r1"
        other = await svc.client.post("/v1/workflows/map20/runs", json={"id": "r1", "input": {"a": 2}})
        assert other.status_code == 409
        assert (await svc.client.put("/v1/jobs/taken", json={})).status_code in (200, 201)
        taken = await svc.client.post("/v1/workflows/map20/runs", json={"id": "taken"})
        assert taken.status_code == 409
        server = await svc.client.post("/v1/workflows/map20/runs", json={})
        assert server.status_code == 201 and server.json()["id"].startswith("run_")
        assert (await svc.client.delete("/v1/workflows/map20")).status_code == 200
        assert (await svc.client.post("/v1/workflows/map20/runs", json={"id": "r2"})).status_code == 409
        assert (await svc.client.post("/v1/workflows/nope/runs", json={})).status_code == 404
        listed = (await svc.client.get("/v1/runs?workflow=map20&status=running")).json()
        assert {r["id"] for r in listed["items"]} == {"r1", server.json()["id"]}

    async def test_the_latest_finished_list_first(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {"tasks": {"one": {"handler": "Worker"}}}
        await start(svc, h, "single", definition, id="c0")
        for rid in ("c1", "c2", "c3"):
            assert (await svc.client.post("/v1/workflows/single/runs", json={"id": rid})).status_code == 201
        for rid in ("c2", "c0", "c3"):
            assert (await svc.client.post(f"/v1/runs/{rid}/cancel", json={})).status_code == 200
            svc.clock.advance(1)
        seen = await svc.every("/v1/runs", status="cancelled", order="-finished_at", limit=2)
        assert [r["id"] for r in seen] == ["c3", "c0", "c2"]
        bad = await svc.client.get("/v1/runs?status=running&order=-finished_at")
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"

    async def test_a_gather_over_two_runs_resolves_when_both_end(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {"tasks": {"one": {"handler": "Worker"}}}
        await start(svc, h, "single", definition, id="g-a")
        assert (await svc.client.post("/v1/workflows/single/runs", json={"id": "g-b"})).status_code == 201
        await svc.settle()
        assert (
            await svc.client.post("/v1/gathers", json={"id": "both", "job_ids": ["g-a", "g-b"]})
        ).status_code == 201
        waited = await svc.client.get("/v1/runs/g-a?wait=0.2")
        assert waited.json()["status"] == "running"
        await h.report("g-a:one:0:a1", {"x": 1})
        assert (await svc.client.get("/v1/gathers/both")).json()["status"] == "waiting"
        await h.report("g-b:one:0:a1", {"x": 2})
        assert (await svc.client.get("/v1/runs/g-b?wait=5")).json()["status"] == "succeeded"
        assert (await svc.client.get("/v1/gathers/both")).json()["status"] == "succeeded"

    async def test_a_run_adopts_a_job_a_gather_named_first(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        assert (
            await svc.client.post("/v1/gathers", json={"id": "early", "job_ids": ["late-run"]})
        ).status_code == 201
        await start(svc, h, "single", {"tasks": {"one": {"handler": "Worker"}}}, id="late-run")
        await h.report("late-run:one:0:a1", {"ok": True})
        assert (await svc.client.get("/v1/gathers/early")).json()["status"] == "succeeded"


class TestHandlersInUse:
    async def test_a_handler_used_by_an_open_run_cannot_be_deleted(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "single", {"tasks": {"one": {"handler": "Worker"}}}, id="u")
        refused = await svc.client.delete("/v1/handlers/Worker")
        assert refused.status_code == 409 and refused.json()["runs"] == ["u"]
        await h.report("u:one:0:a1", {})
        assert (await svc.client.delete("/v1/handlers/Worker")).status_code == 204

    async def test_a_run_id_shaped_like_an_attempt_id_is_422(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "single", {"tasks": {"one": {"handler": "Worker"}}}, id="v")
        bad = await svc.client.post("/v1/workflows/single/runs", json={"id": "v:one:0:a2"})
        assert bad.status_code == 422


class TestConcurrentReports:
    async def test_reports_arriving_together_dispatch_each_item_once_within_the_limit(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {"tasks": {"m": {"handler": "Worker", "each": list(range(30)), "concurrency": 5}}}
        await start(svc, h, "wide", definition, id="w")
        reported: set[str] = set()
        while len(reported) < 30:
            flying = [t["task"]["job_id"] for t in h.tasks("Worker") if t["task"]["job_id"] not in reported]
            assert 1 <= len(flying) <= 5
            statuses = await asyncio.gather(*(report_quietly(svc, job_id) for job_id in flying))
            assert set(statuses) == {200}
            reported.update(flying)
            await svc.settle()
        job_ids = [t["task"]["job_id"] for t in h.tasks("Worker")]
        assert sorted(job_ids) == sorted(f"w:m:{n}:a1" for n in range(30))
        run = await get_run(svc, "w")
        assert run["status"] == "succeeded"
        assert run["steps"][0]["items"] | {} == {
            "total": 30,
            "waiting": 0,
            "ready": 0,
            "throttled": 0,
            "in_flight": 0,
            "retry_scheduled": 0,
            "succeeded": 30,
            "failed": 0,
            "cancelled": 0,
        }


async def report_quietly(svc: Service, job_id: str) -> int:
    body = {"status": "succeeded", "output": {"id": job_id}}
    return (await svc.client.post(f"/v1/jobs/{quote(job_id, safe='')}/complete", json=body)).status_code


class TestWithdrawnTasks:
    async def test_a_task_not_yet_sent_is_withdrawn_on_cancel_and_never_told(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {"tasks": {"one": {"handler": "Worker"}}}
        assert (await svc.client.put("/v1/workflows/single", json=definition)).status_code == 201

        async def start_and_cancel(tx: Tx) -> None:
            # One transaction, so no worker can have claimed the task message before the cancel.
            await runs_service.create(tx, namespace="default", workflow="single", body=RunCreate(id="x"))
            await runs_service.cancel(tx, namespace="default", run_id="x", body=RunCancel())

        await svc.runtime.db.run(start_and_cancel)
        await svc.settle()
        assert receiver.requests == []
        deliveries = (await svc.client.get("/v1/deliveries")).json()["items"]
        assert [d for d in deliveries if d["event_type"].startswith("task.")] == []
        explain = (await svc.client.get("/v1/runs/x/explain")).json()
        assert explain == {"run_id": "x", "status": "cancelled", "blockers": []}
        assert (await svc.client.get("/v1/jobs/x:one:0:a1")).json()["status"] == "cancelled"


class TestExplain:
    async def test_a_step_waits_for_its_handler_and_dependencies_until_registered(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Extractor")
        await start(svc, h, "etl", ETL, id="e", input={"date": "d"})
        for n in range(4):
            await h.report(f"e:extract_data:{n}:a1", {"source": n, "count": n})
        explain = (await svc.client.get("/v1/runs/e/explain")).json()
        assert {
            "step": "transform_data",
            "reason": "handler_unavailable",
            "handler": "Transformer",
        } in explain["blockers"]
        waiting = {
            "step": "load_data",
            "reason": "dependencies",
            "waiting_for": [{"step": "transform_data", "done": 0, "total": 1}],
        }
        assert waiting in explain["blockers"]
        await h.register("Transformer")
        await svc.settle()
        (transform,) = h.tasks("Transformer")
        assert transform["task"]["job_id"] == "e:transform_data:0:a1"
        explain = (await svc.client.get("/v1/runs/e/explain")).json()
        assert {
            "step": "transform_data",
            "reason": "in_flight",
            "job_ids": ["e:transform_data:0:a1"],
        } in explain["blockers"]

    async def test_a_full_map_says_concurrency(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "map20", MAP20, id="k")
        blockers = (await svc.client.get("/v1/runs/k/explain")).json()["blockers"]
        assert {"step": "each_one", "reason": "concurrency", "limit": 3, "in_flight": 3} in blockers


class TestFailureModes:
    async def test_tolerated_failures_end_a_map_completed_and_its_dependents_run(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        definition = {
            "tasks": {
                "m": {"handler": "Worker", "each": [0, 1, 2, 3], "tolerated_failures": {"count": 1}},
                "after": {"handler": "Sink", "depends_on": ["m"]},
            }
        }
        await start(svc, h, "tolerant", definition, id="tol")
        for n in range(4):
            if n == 2:
                await h.report(f"tol:m:{n}:a1", error={"bad": n})
            else:
                await h.report(f"tol:m:{n}:a1", {"n": n})
        (sink,) = h.tasks("Sink")
        assert sink["outputs"] == {"m": [{"n": 0}, {"n": 1}, None, {"n": 3}]}
        await h.report("tol:after:0:a1", {})
        run = await get_run(svc, "tol")
        assert run["status"] == "succeeded"
        assert [s["status"] for s in run["steps"]] == ["completed", "succeeded"]

    async def test_fail_fast_cancels_what_is_in_flight_at_the_first_failure(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "Other")
        definition = {
            "tasks": {
                "m": {"handler": "Worker", "each": [0, 1, 2]},
                "side": {"handler": "Other"},
            },
            "failure_mode": "fail_fast",
        }
        await start(svc, h, "fast", definition, id="ff")
        await h.report("ff:m:1:a1", error={"bad": True})
        run = await get_run(svc, "ff")
        assert run["status"] == "failed"
        notes = h.events("task.cancelled")
        assert sorted(n["task"]["job_id"] for n in notes) == ["ff:m:0:a1", "ff:m:2:a1", "ff:side:0:a1"]
        assert {n["reason"] for n in notes} == {"fail_fast"}
        assert await h.report("ff:m:0:a1", {}) == 409


class TestLargeOutputs:
    async def test_pointers_and_the_run_output_see_every_item_of_a_large_map(
        self, svc: Service, receiver: Receiver
    ) -> None:
        """Only task messages cap what they inline: an ``each`` over a map and the run's output take all of
        its outputs. The task messages are never sent here (the deliverer is taken out of the way), reports go
        in bulk."""
        await svc.runtime.deliverer.idle()
        svc.runtime.db.listeners.pop("delivery")
        h = Handlers(svc, receiver)
        await h.register("Worker")
        n = 1001
        definition = {
            "tasks": {
                "a": {"handler": "Worker", "each": list(range(n)), "concurrency": 2000, "output": ["n"]},
                "b": {
                    "handler": "Worker",
                    "depends_on": ["a"],
                    "each": {"$ptr": "/steps/a/output"},
                    "concurrency": 2000,
                },
            },
            "output": {"$ptr": "/steps/a/output"},
        }
        assert (await svc.client.put("/v1/workflows/big", json=definition)).status_code == 201
        assert (await svc.client.post("/v1/workflows/big/runs", json={"id": "big"})).status_code == 201
        for step in ("a", "b"):
            reports = [
                {"id": f"big:{step}:{k}:a1", "status": "succeeded", "output": {"n": k}} for k in range(n)
            ]
            for part in (reports[:1000], reports[1000:]):
                response = await svc.client.post("/v1/jobs/complete", json={"reports": part})
                assert response.status_code == 200, response.text
                assert {r["result"] for r in response.json()["results"]} == {"applied"}
        run = await get_run(svc, "big")
        assert run["status"] == "succeeded"
        assert [s["items"]["total"] for s in run["steps"]] == [n, n]
        assert run["output"] == [{"n": k} for k in range(n)]
