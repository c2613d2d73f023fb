"""Opt-in run events, allow_failed_dependencies, absolute URLs in task messages and the inline caps on a
message's input and outputs: real handlers and callbacks on loopback, time on the injected clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, get_args

import pytest
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook

from app.config import Settings
from app.workflows.runs_schemas import RunEvent
from tests.conftest import Service
from tests.receiver import Receiver
from tests.test_workflow_definitions import SEARCH
from tests.test_workflow_runs import MAP20, TIMEOUT_TWICE, Handlers, get_run, start

# Every event a run may opt in to; run.redriven belongs to redrive, not built yet.
OPT_IN = [e for e in get_args(RunEvent) if e != "run.redriven"]
# A task "a", a cleanup that runs even when "a" failed, and what "a" would have started next.
CLEANUP: dict[str, Any] = {
    "a": {"handler": "Worker"},
    "cleanup": {"handler": "Sink", "depends_on": ["a"], "allow_failed_dependencies": True},
}


def callbacks(receiver: Receiver) -> dict[str, Any]:
    return {"callback": {"url": f"{receiver.url}/hooks"}, "failure_callback": {"url": f"{receiver.url}/fail"}}


def calls(h: Handlers, event_type: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, data) of every verified event of that type the receiver got, in arrival order."""
    found = []
    for r in h.receiver.requests:
        body = Webhook(h.secret).verify(r.body, r.headers)
        if body["type"] == event_type:
            found.append((r.path, body["data"]))
    return found


def types(h: Handlers) -> set[str]:
    return {Webhook(h.secret).verify(r.body, r.headers)["type"] for r in h.receiver.requests}


async def run_deliveries(svc: Service) -> list[str]:
    """The event types of every delivery written, tasks' excepted."""
    items = (await svc.client.get("/v1/deliveries?limit=1000")).json()["items"]
    return sorted(d["event_type"] for d in items if not d["event_type"].startswith("task."))


def assert_run_shape(run: dict[str, Any], run_id: str, status: str) -> None:
    """The run as GET shows it, its steps without their item counts."""
    assert run["id"] == run_id and run["status"] == status
    assert {"input", "output", "error", "transitions", "current_phase", "events"} <= set(run)
    assert run["steps"] and all(
        set(s) == {"name", "kind", "status", "started_at", "finished_at"} for s in run["steps"]
    )


class TestRunControlEvents:
    async def test_pause_resume_and_cancel_fire_once_each_to_the_callback(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        events = ["run.paused", "run.resumed", "run.cancelled"]
        await start(svc, h, "map20", MAP20, id="ctl", events=events, **callbacks(receiver))
        assert (await svc.client.post("/v1/runs/ctl/pause")).status_code == 200
        assert (await svc.client.post("/v1/runs/ctl/resume")).status_code == 200
        assert (await svc.client.post("/v1/runs/ctl/cancel", json={"reason": "enough"})).status_code == 200
        assert (await svc.client.post("/v1/runs/ctl/cancel")).status_code == 200
        await svc.settle()
        for event_type, status in zip(events, ("paused", "running", "cancelled"), strict=True):
            ((path, data),) = calls(h, event_type)
            assert path == "/hooks" and set(data) == {"run"}
            assert_run_shape(data["run"], "ctl", status)
        (_, cancelled) = calls(h, "run.cancelled")[0]
        assert cancelled["run"]["error"] == {"reason": "enough"}
        assert cancelled["run"]["steps"][0]["status"] == "cancelled"

    async def test_control_events_not_opted_in_never_fire(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "map20", MAP20, id="quiet", events=["step.failed"], **callbacks(receiver))
        await svc.client.post("/v1/runs/quiet/pause")
        await svc.client.post("/v1/runs/quiet/resume")
        await svc.client.post("/v1/runs/quiet/cancel")
        await svc.settle()
        assert types(h) == {"task.requested", "task.cancelled"}
        assert await run_deliveries(svc) == []

    async def test_a_run_without_a_callback_sends_no_event(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {"tasks": {"one": {"handler": "Worker", "retry": {"count": 2}}}}
        await start(svc, h, "single", definition, id="nocb", events=list(OPT_IN))
        await svc.client.post("/v1/runs/nocb/pause")
        await svc.client.post("/v1/runs/nocb/resume")
        await h.report("nocb:one:0:a1", error={"x": 1})
        await svc.client.post("/v1/runs/nocb/cancel")
        await svc.settle()
        assert await run_deliveries(svc) == []


class TestPhaseEvents:
    async def test_phases_entered_and_a_phase_failing_into_its_error_phase(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("GoogleSearcher", "PageDownloader", "ErrorEmailer", "JobFinisher")
        events = ["phase.entered", "step.succeeded", "step.failed", "task.failed", "task.retry_scheduled"]
        await start(svc, h, "search", SEARCH, id="ph", events=events, **callbacks(receiver))
        await h.report("ph:searching:0:a1", error={"message": "rate limited"})
        ((path, retry),) = calls(h, "task.retry_scheduled")
        assert path == "/hooks" and retry["run"]["current_phase"] == "searching"
        assert retry["task"] == {
            "job_id": "ph:searching:0:a1",
            "task_key": "ph:searching:0",
            "step": "searching",
            "index": 0,
            "attempt": 1,
            "error": {"message": "rate limited"},
            "retry_at": retry["task"]["retry_at"],
        }
        await svc.tick(2)
        await h.report("ph:searching:0:a2", error={"message": "banned", "non_retryable": True})
        ((path, failed),) = calls(h, "task.failed")
        assert path == "/fail" and failed["task"]["job_id"] == "ph:searching:0:a2"
        assert failed["task"]["attempt"] == 2 and failed["task"]["error"]["message"] == "banned"
        assert "retry_at" not in failed["task"]
        ((path, step),) = calls(h, "step.failed")
        assert path == "/fail" and step["step"]["name"] == "searching" and step["step"]["status"] == "failed"
        assert step["step"]["items"]["failed"] == 1
        await h.report("ph:error:0:a1", {"sent": True})
        # Events of one transaction are sent concurrently: compare them as sets.
        entered = calls(h, "phase.entered")
        assert sorted((p, d["step"], d["run"]["current_phase"]) for p, d in entered) == [
            ("/hooks", "error", "error"),
            ("/hooks", "pending", "pending"),
            ("/hooks", "searching", "searching"),
        ]
        succeeded = calls(h, "step.succeeded")
        assert sorted((p, d["step"]["name"]) for p, d in succeeded) == [
            ("/hooks", "error"),
            ("/hooks", "pending"),
        ]
        assert len(calls(h, "run.failed")) == 1 and calls(h, "run.failed")[0][0] == "/fail"


class TestStepEvents:
    async def test_each_step_outcome_fires_once_with_the_step_read(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {
            "tasks": {
                "m": {"handler": "Worker", "each": [0, 1, 2], "tolerated_failures": {"count": 1}},
                "good": {"handler": "Worker", "depends_on": ["m"]},
                "bad": {"handler": "Worker"},
                "after_bad": {"handler": "Worker", "depends_on": ["bad"]},
                "last": {"handler": "Worker", "depends_on": ["after_bad"]},
            }
        }
        events = ["step.succeeded", "step.completed", "step.failed", "step.skipped"]
        await start(svc, h, "steps", definition, id="st", events=events, **callbacks(receiver))
        await h.report("st:m:0:a1", {})
        await h.report("st:m:1:a1", error={"no": 1})
        await h.report("st:m:2:a1", {})
        await h.report("st:good:0:a1", {})
        await h.report("st:bad:0:a1", error={"no": 2})
        # Events of one transaction are sent concurrently: compare them as sets.
        seen = {
            t: sorted((p, d["step"]["name"], d["step"]["status"]) for p, d in calls(h, t)) for t in events
        }
        assert seen == {
            "step.succeeded": [("/hooks", "good", "succeeded")],
            "step.completed": [("/hooks", "m", "completed")],
            "step.failed": [("/fail", "bad", "failed")],
            "step.skipped": [("/hooks", "after_bad", "skipped"), ("/hooks", "last", "skipped")],
        }
        (_, completed) = calls(h, "step.completed")[0]
        assert completed["step"]["items"]["succeeded"] == 2 and completed["step"]["items"]["failed"] == 1
        assert completed["step"]["kind"] == "map" and completed["step"]["finished_at"] is not None
        assert_run_shape(completed["run"], "st", "running")
        assert (await get_run(svc, "st"))["status"] == "failed"
        assert [p for p, _ in calls(h, "run.failed")] == ["/fail"]


class TestTaskEvents:
    async def test_timeouts_schedule_a_retry_then_fail_the_task_for_good(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        callback = {"url": f"{receiver.url}/hooks"}  # no failure_callback: failures go here too
        events = ["task.failed", "task.retry_scheduled"]
        await start(svc, h, "single", TIMEOUT_TWICE, id="tt", events=events, callback=callback)
        await svc.tick(31)
        await svc.settle()
        ((path, retry),) = calls(h, "task.retry_scheduled")
        assert path == "/hooks" and retry["task"]["job_id"] == "tt:one:0:a1"
        assert retry["task"]["error"]["reason"] == "timeout" and "retry_at" in retry["task"]
        assert calls(h, "task.failed") == []
        await svc.tick(1)
        await svc.tick(31)
        await svc.settle()
        ((path, failed),) = calls(h, "task.failed")
        assert path == "/hooks" and failed["task"]["job_id"] == "tt:one:0:a2"
        assert failed["task"]["attempt"] == 2 and failed["run"]["status"] == "running"
        assert len(calls(h, "task.retry_scheduled")) == 1
        assert (await get_run(svc, "tt"))["status"] == "failed"

    async def test_task_events_not_opted_in_never_fire(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {"tasks": {"one": {"handler": "Worker", "retry": {"count": 2, "base_delay": 1}}}}
        await start(svc, h, "single", definition, id="tq", events=["run.paused"], **callbacks(receiver))
        await h.report("tq:one:0:a1", error={"x": 1})
        await svc.tick(1)
        await h.report("tq:one:0:a2", error={"x": 2})
        assert types(h) == {"task.requested", "run.failed"}
        assert await run_deliveries(svc) == ["run.failed"]


class TestAllowFailedDependencies:
    async def test_a_dependent_runs_after_failed_dependencies_with_what_they_produced(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        definition = {
            "tasks": {
                "m": {"handler": "Worker", "each": [0, 1, 2], "output": ["n"]},
                "one": {"handler": "Worker"},
                "report": {"handler": "Sink", "depends_on": ["m", "one"], "allow_failed_dependencies": True},
            }
        }
        await start(svc, h, "allow", definition, id="al")
        await h.report("al:m:0:a1", {"n": 0})
        await h.report("al:m:1:a1", error={"bad": 1})
        await h.report("al:m:2:a1", {"n": 2})
        assert h.tasks("Sink") == []  # "one" has not ended yet
        explain = (await svc.client.get("/v1/runs/al/explain")).json()
        waiting = [b for b in explain["blockers"] if b["reason"] == "dependencies"]
        assert waiting == [
            {
                "step": "report",
                "reason": "dependencies",
                "waiting_for": [{"step": "one", "done": 0, "total": 1}],
            }
        ]
        await h.report("al:one:0:a1", error={"bad": 2})
        (sink,) = h.tasks("Sink")
        assert sink["outputs"] == {"m": [{"n": 0}, None, {"n": 2}], "one": None}
        await h.report("al:report:0:a1", {"ok": True})
        run = await get_run(svc, "al")
        assert [s["status"] for s in run["steps"]] == ["failed", "failed", "succeeded"]
        assert run["status"] == "succeeded" and run["error"] is None  # its only sink succeeded

    async def test_the_run_fails_when_another_sink_was_skipped(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        definition = {"tasks": CLEANUP | {"next": {"handler": "Sink", "depends_on": ["a"]}}}
        await start(svc, h, "cleanup", definition, id="cl")
        await h.report("cl:a:0:a1", error={"bad": True})
        (cleanup,) = h.tasks("Sink")
        assert cleanup["task"]["step"] == "cleanup" and cleanup["outputs"] == {"a": None}
        run = await get_run(svc, "cl")
        assert run["status"] == "running"
        assert [s["status"] for s in run["steps"]] == ["failed", "running", "skipped"]
        await h.report("cl:cleanup:0:a1", {})
        run = await get_run(svc, "cl")
        assert run["status"] == "failed" and run["error"] == {"failed_steps": ["a"]}

    async def test_a_skipped_dependency_counts_as_ended(self, svc: Service, receiver: Receiver) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        definition = {
            "tasks": {
                "a": {"handler": "Worker"},
                "mid": {"handler": "Worker", "depends_on": ["a"], "each": [1, 2]},
                "tail": {"handler": "Sink", "depends_on": ["mid"], "allow_failed_dependencies": True},
            }
        }
        await start(svc, h, "chain", definition, id="ch")
        await h.report("ch:a:0:a1", error={"bad": True})
        (tail,) = h.tasks("Sink")
        assert tail["outputs"] == {"mid": []}  # a map that never started has no items
        await h.report("ch:tail:0:a1", {})
        run = await get_run(svc, "ch")
        assert [s["status"] for s in run["steps"]] == ["failed", "skipped", "succeeded"]
        assert run["status"] == "succeeded"
        assert [(t["from"], t["to"]) for t in run["transitions"]] == [(None, "a"), ("mid", "tail")]

    async def test_fail_fast_still_ends_the_run_at_the_first_failure(
        self, svc: Service, receiver: Receiver
    ) -> None:
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        definition = {"tasks": CLEANUP, "failure_mode": "fail_fast"}
        await start(svc, h, "fastallow", definition, id="fa")
        await h.report("fa:a:0:a1", error={"bad": True})
        run = await get_run(svc, "fa")
        assert run["status"] == "failed" and [s["status"] for s in run["steps"]] == ["failed", "waiting"]
        assert h.tasks("Sink") == []


class TestPublicUrl:
    async def test_report_urls_are_absolute_with_the_setting(
        self, service_factory: Callable[..., Any], receiver: Receiver
    ) -> None:
        svc = await service_factory(public_url="https://rdv.example.com/")
        h = Handlers(svc, receiver)
        await h.register("Worker")
        await start(svc, h, "single", {"tasks": {"one": {"handler": "Worker"}}}, id="pu")
        (task,) = h.tasks("Worker")
        job = "https://rdv.example.com/v1/jobs/pu%3Aone%3A0%3Aa1"
        assert task["task"]["complete_url"] == f"{job}/complete"
        assert task["task"]["heartbeat_url"] == f"{job}/heartbeat"

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://rdv.example.com",
            "rdv.example.com",
            "https://",
            "https://rdv.example.com/?x=1",
            "https://rdv.example.com#top",
            "https://user:secret@rdv.example.com",
            "https://rdv.example.com:99999",
            "https://rdv.example .com",
        ],
    )
    def test_a_bad_public_url_is_refused_at_startup(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RENDEZVOUS_PUBLIC_URL", url)
        with pytest.raises(ValidationError, match="public_url"):
            Settings()

    def test_a_public_url_keeps_its_path_without_a_trailing_slash(self) -> None:
        assert Settings(public_url="http://10.0.0.5:8000/rdv/").public_url == "http://10.0.0.5:8000/rdv"
        assert Settings(public_url="").public_url is None


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


class TestInlineCaps:
    async def test_an_input_over_the_cap_is_left_out_and_flagged(
        self, service_factory: Callable[..., Any], receiver: Receiver
    ) -> None:
        small = {"date": "2026-11-30"}
        svc = await service_factory(task_inline_input_bytes=size(small))
        h = Handlers(svc, receiver)
        await h.register("Worker")
        definition = {"tasks": {"one": {"handler": "Worker", "params": {"d": {"$ptr": "/input/date"}}}}}
        await start(svc, h, "single", definition, id="fits", input=small)
        big_run = {"id": "big", "input": small | {"x": 1}}
        assert (await svc.client.post("/v1/workflows/single/runs", json=big_run)).status_code == 201
        await svc.settle()
        fits, big = sorted(h.tasks("Worker"), key=lambda t: t["task"]["run_id"] != "fits")
        assert fits["input"] == small and fits["input_truncated"] is False
        assert big["input"] is None and big["input_truncated"] is True
        assert big["params"] == {"d": "2026-11-30"}  # pointers still resolve in the whole input

    async def test_outputs_past_the_entry_cap_keep_the_first_in_element_order(
        self, service_factory: Callable[..., Any], receiver: Receiver
    ) -> None:
        svc = await service_factory(task_inline_outputs=4)
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        definition = {
            "tasks": {
                "m": {"handler": "Worker", "each": [0, 1, 2], "output": ["n"]},
                "one": {"handler": "Worker"},
                "two": {"handler": "Worker"},
                "sink": {"handler": "Sink", "depends_on": ["m", "one", "two"]},
            }
        }
        await start(svc, h, "caps", definition, id="cap")
        for n in range(3):
            await h.report(f"cap:m:{n}:a1", {"n": n})
        await h.report("cap:one:0:a1", {"one": 1})
        await h.report("cap:two:0:a1", {"two": 2})
        (sink,) = h.tasks("Sink")
        assert sink["outputs"] == {"m": [{"n": 0}, {"n": 1}, {"n": 2}], "one": {"one": 1}}
        assert sink["outputs_truncated"] is True
        items = (await svc.client.get("/v1/runs/cap/steps/two/items")).json()["items"]
        assert items[0]["output"] == {"two": 2}

    async def test_outputs_past_the_size_cap_are_cut_and_exactly_at_it_are_not(
        self, service_factory: Callable[..., Any], receiver: Receiver
    ) -> None:
        svc = await service_factory(task_inline_outputs_bytes=3 * size({"n": 0}))
        h = Handlers(svc, receiver)
        await h.register("Worker", "Sink")
        definition = {
            "tasks": {
                "three": {"handler": "Worker", "each": [0, 1, 2], "output": ["n"]},
                "four": {"handler": "Worker", "each": [0, 1, 2, 3], "output": ["n"]},
                "after_three": {"handler": "Sink", "depends_on": ["three"]},
                "after_four": {"handler": "Sink", "depends_on": ["four"]},
            }
        }
        await start(svc, h, "sizes", definition, id="sz")
        for n in range(3):
            await h.report(f"sz:three:{n}:a1", {"n": n})
        for n in range(4):
            await h.report(f"sz:four:{n}:a1", {"n": n})
        by_step = {t["task"]["step"]: t for t in h.tasks("Sink")}
        whole, cut = by_step["after_three"], by_step["after_four"]
        assert whole["outputs"] == {"three": [{"n": 0}, {"n": 1}, {"n": 2}]}
        assert whole["outputs_truncated"] is False and whole["input_truncated"] is False
        assert cut["outputs"] == {"four": [{"n": 0}, {"n": 1}, {"n": 2}]} and cut["outputs_truncated"] is True
