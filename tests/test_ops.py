"""Health, readiness, the OpenAPI document, the CLI's dev-mode guard and the scheduler's wiring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.cli import is_loopback, main
from app.openapi import render
from tests.conftest import Service

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
            "housekeeping",
        }
