"""The scatter_gather flow end to end, with a real receiver."""

from __future__ import annotations

from typing import Any

from tests.conftest import Service
from tests.receiver import Receiver


def gather_body(receiver: Receiver, gid: str, job_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": gid,
        "job_ids": job_ids,
        "callback": {"url": f"{receiver.url}/hooks/notify", "payload": {"email_id": 123}},
        **extra,
    }


class TestScatterGather:
    async def test_callback_arrives_once_after_last_report_with_members_in_order(
        self, svc: Service, receiver: Receiver
    ) -> None:
        jobs = ["parse-123", "attach-123", "ai-123"]
        r = await svc.client.post("/v1/gathers", json=gather_body(receiver, "notify-123", jobs))
        assert r.status_code == 201, r.text
        for i, job in enumerate(reversed(jobs)):
            r = await svc.client.post(f"/v1/jobs/{job}/complete", json={"output": {"n": i}})
            assert r.status_code == 200, r.text
            await svc.settle()
            if i < 2:
                assert receiver.requests == []
        (req,) = await receiver.wait_for(1)
        event = req.json()
        assert event["type"] == "gather.succeeded"
        assert event["payload"] == {"email_id": 123}
        assert [m["id"] for m in event["data"]["members"]] == jobs
        assert [m["output"] for m in event["data"]["members"]] == [{"n": 2}, {"n": 1}, {"n": 0}]
        assert req.headers["webhook-id"] == event["id"]
        await svc.tick(3600)
        assert len(receiver.requests) == 1
