"""Health, readiness, the OpenAPI document, the CLI's dev-mode guard and the scheduler's wiring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.cli import is_loopback, main
from app.openapi import render
from tests.conftest import Service
from tests.receiver import Receiver

ROOT = Path(__file__).resolve().parent.parent


class TestHealth:
    async def test_healthz(self, svc: Service) -> None:
        r = await svc.client.get("/healthz")
        assert r.status_code == 200 and r.json()["status"] == "ok"

    async def test_readyz_when_migrated(self, svc: Service) -> None:
        r = await svc.client.get("/readyz")
        assert r.status_code == 200, r.text

    async def test_readyz_is_503_without_schema(self, service_factory: Any, empty_database_url: str) -> None:
        svc = await service_factory(database_url=empty_database_url)
        r = await svc.client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "unavailable"


class TestOpenApi:
    def test_committed_document_equals_the_apps(self) -> None:
        committed = (ROOT / "openapi.json").read_text()
        assert committed == render(), "openapi.json is stale: run `make openapi`"

    def test_operation_ids_are_stable_and_unique(self) -> None:
        doc = json.loads(render())
        ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
        assert len(ids) == len(set(ids))
        assert {"createGather", "completeJob", "completeJobs", "getGather", "redeliverDelivery"} <= set(ids)

    def test_errors_are_documented_as_problem_json(self) -> None:
        doc = json.loads(render())
        op = doc["paths"]["/v1/jobs/{job_id}/complete"]["post"]
        assert "application/problem+json" in op["responses"]["409"]["content"]


class TestCli:
    def test_dev_mode_refuses_a_public_host(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", "--dev", "--host", "0.0.0.0"]) == 2
        assert "refusing" in capsys.readouterr().err

    @pytest.mark.parametrize(("host", "expected"), [("127.0.0.1", True), ("::1", True), ("10.0.0.1", False)])
    def test_is_loopback(self, host: str, expected: bool) -> None:
        assert is_loopback(host) is expected


class TestScheduler:
    async def test_lifespan_starts_the_scheduler_jobs(self, service_factory: Any) -> None:
        svc = await service_factory(scheduler_enabled=True)
        scheduler = svc.runtime.scheduler
        assert scheduler is not None and scheduler.running
        assert {job.id for job in scheduler.get_jobs()} == {
            "expire_deadlines",
            "deliver_due",
            "reclaim_leases",
            "heartbeat",
            "housekeeping",
        }


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class TestMetrics:
    async def test_reports_resolutions_deliveries_and_gauges(self, svc: Any, receiver: Receiver) -> None:
        callback = {"url": f"{receiver.url}/hook"}
        await svc.client.post("/v1/gathers", json={"id": "g1", "job_ids": ["a"], "callback": callback})
        await svc.client.post("/v1/gathers", json={"id": "g2", "job_ids": ["b"], "callback": callback})
        await svc.client.post("/v1/jobs/a/complete", json={"status": "succeeded"})
        body = {"participant_key": "p", "expected_participants": 1, "wait_seconds": 5, "callback": callback}
        await svc.client.post("/v1/waits/grp/participants", json=body)
        await svc.settle()
        await receiver.wait_for(2)
        r = await svc.client.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        got = samples(r.text)
        assert got[("rendezvous_reports_total", (("status", "succeeded"),))] == 1
        assert got[("rendezvous_resolutions_total", (("kind", "gather"), ("outcome", "succeeded")))] == 1
        assert got[("rendezvous_resolutions_total", (("kind", "wait"), ("outcome", "quorum")))] == 1
        assert got[("rendezvous_delivery_attempts_total", (("outcome", "succeeded"),))] == 2
        assert got[("rendezvous_fanin_latency_seconds_count", (("kind", "gather"),))] == 1
        assert got[("rendezvous_delivery_attempt_seconds_count", (("outcome", "succeeded"),))] == 2
        assert got[("rendezvous_open", (("kind", "gather"),))] == 1
        assert got[("rendezvous_open", (("kind", "wait"),))] == 0
        assert got[("rendezvous_deliveries", (("state", "dead"),))] == 0

    async def test_metrics_need_no_key(self, service_factory: Any) -> None:
        locked = await service_factory(dev=False)
        assert (await locked.client.get("/metrics")).status_code == 200
