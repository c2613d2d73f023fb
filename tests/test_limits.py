"""Every limit the README's configuration table documents, set small, is enforced where it says."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Service
from tests.receiver import Receiver


def names(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


class TestEveryDocumentedLimit:
    async def test_max_body_bytes_refuses_a_larger_body_with_413(self, service_factory: Any) -> None:
        svc: Service = await service_factory(max_body_bytes=2048)
        small = await svc.client.put("/v1/jobs/a", json={"metadata": "x" * 1000})
        assert small.status_code == 201, small.text
        r = await svc.client.put("/v1/jobs/b", json={"metadata": "x" * 3000})
        assert r.status_code == 413 and r.json()["limit_bytes"] == 2048

    async def test_max_member_list_body_bytes_refuses_a_larger_member_list_with_413(
        self, service_factory: Any
    ) -> None:
        svc: Service = await service_factory(max_member_list_body_bytes=4096)
        ids = [f"job-{i:05d}" for i in range(600)]
        r = await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": ids})
        assert r.status_code == 413 and r.json()["limit_bytes"] == 4096
        assert (
            await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": ids[:100]})
        ).status_code == 201

    async def test_max_gather_jobs_refuses_more_members_on_create_and_add(self, service_factory: Any) -> None:
        svc: Service = await service_factory(max_gather_jobs=3)
        r = await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": ["a", "b", "c", "d"]})
        assert r.status_code == 422 and names(r) == ["job_ids"], r.text
        body = {"id": "g", "job_ids": ["a", "b"], "sealed": False}
        assert (await svc.client.post("/v1/gathers", json=body)).status_code == 201
        r = await svc.client.post("/v1/gathers/g/jobs", json={"job_ids": ["c", "d"]})
        assert r.status_code == 422 and names(r) == ["job_ids"], r.text
        assert (await svc.client.post("/v1/gathers/g/jobs", json={"job_ids": ["c"]})).status_code == 200

    async def test_inline_members_limit_bounds_the_members_an_event_carries(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(inline_members_limit=2)
        body = {"id": "g", "job_ids": ["a", "b", "c"], "callback": {"url": f"{receiver.url}/g"}}
        assert (await svc.client.post("/v1/gathers", json=body)).status_code == 201
        await svc.client.post("/v1/jobs/complete", json={"reports": [{"id": i} for i in "abc"]})
        await svc.settle()
        (event,) = [json.loads(r.body) for r in receiver.requests]
        assert [m["id"] for m in event["data"]["members"]] == ["a", "b"]
        assert event["data"]["members_truncated"] is True

    async def test_max_batch_items_refuses_longer_item_lists(self, service_factory: Any) -> None:
        svc: Service = await service_factory(max_batch_items=3)
        job = (await svc.client.post("/v1/batch-jobs", json={"name": "imp"})).json()["id"]
        r = await svc.client.post(f"/v1/jobs/{job}/batches", json={"items": [1, 2, 3, 4]})
        assert r.status_code == 422 and names(r) == ["items"], r.text
        assert (
            await svc.client.post(f"/v1/jobs/{job}/batches", json={"items": [1, 2, 3]})
        ).status_code == 201
        r = await svc.client.post(f"/v1/jobs/{job}/batches/1/report", json={"processed": [1, 2, 3, 4]})
        assert r.status_code == 422 and names(r) == ["processed"], r.text
        r = await svc.client.put(f"/v1/jobs/{job}/batches/1/sets/extra", json={"items": [1, 2, 3, 4]})
        assert r.status_code == 422 and names(r) == ["items"], r.text

    async def test_rate_limit_per_second_and_burst_give_429_past_the_burst(
        self, service_factory: Any
    ) -> None:
        svc: Service = await service_factory(dev=False, rate_limit_per_second=0.001, rate_limit_burst=2)
        await svc.authorize()
        statuses = [(await svc.client.get("/v1/jobs")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
