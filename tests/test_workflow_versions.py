"""A run keeps the version it started with while the workflow changes; pause and cancel replay under an
Idempotency-Key."""

from __future__ import annotations

import copy

from tests.conftest import Service
from tests.receiver import Receiver
from tests.test_workflow_runs import MAP20, Handlers, get_run, start


async def test_a_put_during_a_run_leaves_the_run_on_its_version(svc: Service, receiver: Receiver) -> None:
    h = Handlers(svc, receiver)
    await h.register("Worker", "Other")
    small = copy.deepcopy(MAP20)
    small["tasks"]["each_one"]["each"] = [1, 2]
    await start(svc, h, "pinned", small, id="v1-run")
    changed = copy.deepcopy(small)
    changed["tasks"]["each_one"]["handler"] = "Other"
    changed["tasks"]["each_one"]["output"] = ["m"]
    put = await svc.client.put("/v1/workflows/pinned", json=changed)
    assert put.status_code == 201 and put.json()["version"] == 2
    again = await svc.client.put("/v1/workflows/pinned", json=changed)
    assert again.status_code == 200 and again.json()["version"] == 2
    for task in h.tasks("Worker"):
        assert await h.report(task["task"]["job_id"], {"n": task["task"]["item"], "m": 0}) == 200
    run = await get_run(svc, "v1-run")
    assert run["version"] == 1 and run["status"] == "succeeded"
    items = (await svc.client.get("/v1/runs/v1-run/steps/each_one/items")).json()["items"]
    assert [i["output"] for i in items] == [{"n": 1}, {"n": 2}]  # version 1's declared keys
    assert h.tasks("Other") == []
    second = await svc.client.post("/v1/workflows/pinned/runs", json={"id": "v2-run"})
    assert second.status_code == 201 and second.json()["version"] == 2
    await svc.settle()
    assert {t["task"]["version"] for t in h.tasks("Other")} == {2}


async def test_pause_and_cancel_replay_under_an_idempotency_key(svc: Service, receiver: Receiver) -> None:
    h = Handlers(svc, receiver)
    await h.register("Worker")
    await start(svc, h, "map20", MAP20, id="idem")
    headers = {"Idempotency-Key": "pause-1"}
    first = await svc.client.post("/v1/runs/idem/pause", headers=headers)
    replay = await svc.client.post("/v1/runs/idem/pause", headers=headers)
    assert first.status_code == replay.status_code == 200
    assert replay.headers.get("idempotent-replayed") == "true" and replay.content == first.content
    assert (await svc.client.post("/v1/runs/idem/pause")).status_code == 409  # a new request: not running
    paused = [t for t in (await get_run(svc, "idem"))["transitions"] if t["to"] == "paused"]
    assert len(paused) == 1
    headers = {"Idempotency-Key": "cancel-1"}
    body = {"reason": "operator"}
    first = await svc.client.post("/v1/runs/idem/cancel", headers=headers, json=body)
    replay = await svc.client.post("/v1/runs/idem/cancel", headers=headers, json=body)
    assert first.status_code == replay.status_code == 200
    assert replay.headers.get("idempotent-replayed") == "true" and replay.content == first.content
    other = await svc.client.post("/v1/runs/idem/cancel", headers=headers, json={"reason": "other"})
    assert other.status_code == 422  # the key was used with another body
    await svc.settle()
    assert len(h.events("task.cancelled")) == 3  # once, for the three in flight
    assert (await get_run(svc, "idem"))["status"] == "cancelled"


async def test_an_attempt_id_taken_by_another_job_is_passed_over(svc: Service, receiver: Receiver) -> None:
    """A report that came before the run, or a job registered under an attempt's id, is never taken over:
    that attempt number is skipped and the task goes out as the next one."""
    h = Handlers(svc, receiver)
    await h.register("Worker")
    early = await svc.client.post("/v1/jobs/t:each_one:0:a1/complete", json={"output": {"n": "early"}})
    assert early.status_code == 200
    assert (await svc.client.put("/v1/jobs/t:each_one:1:a1", json={"name": "mine"})).status_code == 201
    assert (
        await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": ["t:each_one:2:a1"]})
    ).status_code == 201
    small = copy.deepcopy(MAP20)
    small["tasks"]["each_one"]["each"] = [0, 1, 2]
    await start(svc, h, "taken", small, id="t")
    sent = sorted(t["task"]["job_id"] for t in h.tasks("Worker"))
    assert sent == ["t:each_one:0:a2", "t:each_one:1:a2", "t:each_one:2:a1"]  # a placeholder is adopted
    assert (await svc.client.get("/v1/jobs/t:each_one:1:a1")).json()["name"] == "mine"
    for job_id in sent:
        assert await h.report(job_id, {"n": 1}) == 200
    assert (await get_run(svc, "t"))["status"] == "succeeded"
    assert (await svc.client.get("/v1/gathers/g")).json()["status"] == "succeeded"


async def test_finished_runs_are_deleted_after_their_retention(svc: Service, receiver: Receiver) -> None:
    h = Handlers(svc, receiver)
    await h.register("Worker")
    small = copy.deepcopy(MAP20)
    small["tasks"]["each_one"]["each"] = [1]
    await start(svc, h, "kept", small, id="old")
    assert await h.report("old:each_one:0:a1", {"n": 1}) == 200
    idle = {"tasks": {"wait": {"handler": "Nobody"}}}  # never registered: the run stays open
    assert (await svc.client.put("/v1/workflows/idle", json=idle)).status_code == 201
    body = {"id": "open", "timeout_seconds": None}
    assert (await svc.client.post("/v1/workflows/idle/runs", json=body)).status_code == 201
    await svc.tick(29 * 86400)
    assert (await svc.client.get("/v1/runs/old")).status_code == 200
    await svc.tick(2 * 86400)
    assert (await svc.client.get("/v1/runs/old")).status_code == 404
    assert (await svc.client.get("/v1/runs/old/steps/each_one/items")).status_code == 404
    assert (await svc.client.get("/v1/runs/open")).json()["status"] == "running"  # open runs stay
    assert (await svc.client.get("/v1/jobs/old")).json()["status"] == "succeeded"  # the run's job stays
