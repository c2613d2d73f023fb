"""Jobs: registration, completion reports (single and bulk), reads, lists, heartbeats and timeouts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from app.core.db import Tx
from app.jobs import service
from tests.conftest import Service
from tests.receiver import Receiver
from tests.test_validation import assert_problem


async def report(svc: Service, job_id: str, **body: Any) -> httpx.Response:
    return await svc.client.post(f"/v1/jobs/{job_id}/complete", json=body)


async def get_job(svc: Service, job_id: str) -> dict[str, Any]:
    r = await svc.client.get(f"/v1/jobs/{job_id}")
    assert r.status_code == 200, r.text
    job: dict[str, Any] = r.json()
    return job


async def bulk(svc: Service, *reports: dict[str, Any]) -> httpx.Response:
    return await svc.client.post("/v1/jobs/complete", json={"reports": list(reports)})


async def create_gather(svc: Service, gid: str, job_ids: list[str], **extra: Any) -> dict[str, Any]:
    r = await svc.client.post("/v1/gathers", json={"id": gid, "job_ids": job_ids, **extra})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def gather_status(svc: Service, gid: str) -> str:
    r = await svc.client.get(f"/v1/gathers/{gid}")
    assert r.status_code == 200, r.text
    status: str = r.json()["status"]
    return status


class TestRegister:
    async def test_new_id_is_201_with_a_pending_job(self, svc: Service) -> None:
        r = await svc.client.put("/v1/jobs/parse-1", json={"name": "parse", "metadata": {"k": [1, 2]}})
        assert r.status_code == 201, r.text
        job = r.json()
        assert (job["id"], job["name"], job["metadata"], job["status"]) == (
            "parse-1",
            "parse",
            {"k": [1, 2]},
            "pending",
        )
        assert job["finished_at"] is None
        assert await get_job(svc, "parse-1") == job

    async def test_same_body_again_is_200_with_the_same_job(self, svc: Service) -> None:
        body = {"name": "parse", "metadata": {"a": 1, "b": 2.5}, "timeout_seconds": 30}
        first = await svc.client.put("/v1/jobs/parse-1", json=body)
        svc.clock.advance(5)
        again = await svc.client.put("/v1/jobs/parse-1", json=body)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()

    async def test_different_body_is_409_and_keeps_the_first(self, svc: Service) -> None:
        first = await svc.client.put("/v1/jobs/parse-1", json={"name": "parse"})
        r = await svc.client.put("/v1/jobs/parse-1", json={"name": "other"})
        body = assert_problem(r, 409)
        assert body["job"]["name"] == "parse"
        assert body["job"] == first.json()  # the job as reads show it, parts included (batches: null)
        assert await get_job(svc, "parse-1") == first.json()

    async def test_registration_survives_reports_and_gathers(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/parse-1", json={"name": "parse"})
        await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": ["parse-1"], "sealed": False})
        await svc.client.post("/v1/jobs/parse-1/complete", json={})
        assert_problem(await svc.client.put("/v1/jobs/parse-1", json={"name": "other"}), 409)

    async def test_different_timeout_is_409(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/parse-1", json={"timeout_seconds": 10})
        assert_problem(await svc.client.put("/v1/jobs/parse-1", json={"timeout_seconds": 20}), 409)

    async def test_timeout_sets_the_deadline(self, svc: Service) -> None:
        job = (await svc.client.put("/v1/jobs/parse-1", json={"timeout_seconds": 10})).json()
        assert job["timeout_seconds"] == 10
        assert _seconds_between(job["created_at"], job["deadline_at"]) == 10

    async def test_job_first_seen_in_a_report_can_then_be_registered(self, svc: Service) -> None:
        await report(svc, "parse-1", output={"n": 1})
        r = await svc.client.put("/v1/jobs/parse-1", json={"name": "parse", "timeout_seconds": 10})
        assert r.status_code == 200, r.text
        job = r.json()
        assert (job["name"], job["status"], job["output"]) == ("parse", "succeeded", {"n": 1})
        assert job["deadline_at"] is None  # finished jobs have no deadline to run out
        again = await svc.client.put("/v1/jobs/parse-1", json={"name": "parse", "timeout_seconds": 10})
        assert again.status_code == 200
        assert_problem(await svc.client.put("/v1/jobs/parse-1", json={"name": "other"}), 409)

    async def test_job_first_seen_in_a_gather_can_then_be_registered(self, svc: Service) -> None:
        await create_gather(svc, "g1", ["parse-1"])
        assert (await get_job(svc, "parse-1"))["name"] is None
        r = await svc.client.put("/v1/jobs/parse-1", json={"name": "parse", "timeout_seconds": 10})
        assert r.status_code == 200, r.text
        job = r.json()
        assert (job["name"], job["status"]) == ("parse", "pending")
        assert _seconds_between(svc.clock.now().isoformat(), job["deadline_at"]) == 10
        assert await get_job(svc, "parse-1") == job


class TestCreate:
    async def test_without_id_the_server_picks_a_job_prefixed_id(self, svc: Service) -> None:
        one = await svc.client.post("/v1/jobs", json={"name": "n"})
        two = await svc.client.post("/v1/jobs", json={"name": "n"})
        assert (one.status_code, two.status_code) == (201, 201), one.text
        assert one.json()["id"].startswith("job_")
        assert one.json()["id"] != two.json()["id"]
        assert await get_job(svc, one.json()["id"]) == one.json()

    async def test_with_id_is_201_then_200_for_the_same_body_and_409_for_another(self, svc: Service) -> None:
        first = await svc.client.post("/v1/jobs", json={"id": "ingest-7", "name": "ingest"})
        assert first.status_code == 201, first.text
        assert first.json()["id"] == "ingest-7"
        again = await svc.client.post("/v1/jobs", json={"id": "ingest-7", "name": "ingest"})
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        assert_problem(await svc.client.post("/v1/jobs", json={"id": "ingest-7", "name": "other"}), 409)

    async def test_post_with_id_and_put_agree(self, svc: Service) -> None:
        await svc.client.post("/v1/jobs", json={"id": "ingest-7", "name": "ingest"})
        assert (await svc.client.put("/v1/jobs/ingest-7", json={"name": "ingest"})).status_code == 200


class TestComplete:
    async def test_unknown_id_is_recorded_as_succeeded_by_default(self, svc: Service) -> None:
        r = await report(svc, "never-registered")
        assert r.status_code == 200, r.text
        job = r.json()
        assert (job["status"], job["output"], job["error"]) == ("succeeded", None, None)
        assert job["finished_at"] is not None
        assert await get_job(svc, "never-registered") == job

    async def test_registered_job_takes_status_output_and_error(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={"name": "n"})
        svc.clock.advance(3)
        r = await report(svc, "j1", status="failed", output=[1, "two"], error={"code": "E42"})
        job = r.json()
        assert (job["status"], job["output"], job["error"], job["name"]) == (
            "failed",
            [1, "two"],
            {"code": "E42"},
            "n",
        )
        assert job["updated_at"] == job["finished_at"] != job["created_at"]

    async def test_identical_repeat_is_a_200_no_op(self, svc: Service) -> None:
        first = await report(svc, "j1", status="failed", output={"rows": 3, "f": 0.5}, error="boom")
        svc.clock.advance(10)
        again = await report(svc, "j1", status="failed", output={"f": 0.5, "rows": 3}, error="boom")
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        assert again.json()["updated_at"] == first.json()["updated_at"]
        assert (await get_job(svc, "j1"))["updated_at"] == first.json()["updated_at"]

    async def test_second_report_with_other_status_is_409(self, svc: Service) -> None:
        await report(svc, "j1", status="succeeded", output=1)
        body = assert_problem(await report(svc, "j1", status="failed", output=1), 409)
        assert body["job"]["status"] == "succeeded"
        assert (await get_job(svc, "j1"))["status"] == "succeeded"

    async def test_same_status_with_other_output_is_409(self, svc: Service) -> None:
        await report(svc, "j1", output={"n": 1})
        assert_problem(await report(svc, "j1", output={"n": 2}), 409)
        assert (await get_job(svc, "j1"))["output"] == {"n": 1}

    async def test_same_status_with_other_error_is_409(self, svc: Service) -> None:
        await report(svc, "j1", status="failed", error="a")
        assert_problem(await report(svc, "j1", status="failed", error="b"), 409)

    async def test_timed_out_job_is_final_and_a_late_report_is_409(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 5})
        await svc.tick(6)
        assert (await get_job(svc, "j1"))["status"] == "timed_out"
        body = assert_problem(await report(svc, "j1", output="late"), 409)
        assert body["job"]["status"] == "timed_out"
        assert (await get_job(svc, "j1"))["status"] == "timed_out"

    async def test_percent_encoded_slash_in_the_id_works(self, svc: Service) -> None:
        r = await svc.client.post("/v1/jobs/a%2Fb/complete", json={"output": "x"})
        assert r.status_code == 200, r.text
        assert r.json()["id"] == "a/b"
        assert (await get_job(svc, "a%2Fb"))["output"] == "x"
        assert (await svc.client.put("/v1/jobs/org%2Frepo%2F7", json={"name": "n"})).status_code == 201
        assert (await get_job(svc, "org%2Frepo%2F7"))["id"] == "org/repo/7"

    async def test_report_without_a_body_is_a_success(self, svc: Service) -> None:
        r = await svc.client.post("/v1/jobs/j1/complete")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "succeeded"

    async def test_report_rolled_back_leaves_job_and_gather_as_they_were(self, svc: Service) -> None:
        await create_gather(svc, "g1", ["j1", "j2"])

        async def report_then_fail(tx: Tx) -> None:
            await service.complete(
                tx, namespace="default", job_id="j1", report=service.Report("j1", "succeeded")
            )
            raise RuntimeError("after the report")

        with pytest.raises(RuntimeError):
            await svc.runtime.db.run(report_then_fail)
        assert (await get_job(svc, "j1"))["status"] == "pending"
        gather = (await svc.client.get("/v1/gathers/g1")).json()
        assert (gather["status"], gather["done"]) == ("waiting", 0)

    async def test_reported_row_matches_the_row_read_back(self, svc: Service) -> None:
        await svc.client.put(
            "/v1/jobs/j1", json={"name": "n", "meta": {"k": [1, 2.5]}, "timeout_seconds": 30}
        )
        r = await report(svc, "j1", status="failed", output={"a": None}, error="e")
        assert r.json() == await get_job(svc, "j1")


class TestBulkComplete:
    async def test_results_are_in_request_order_with_applied_unchanged_and_conflict(
        self, svc: Service
    ) -> None:
        await report(svc, "b", output=1)
        await report(svc, "c", status="failed")
        await svc.client.put("/v1/jobs/d", json={"name": "d"})
        r = await bulk(
            svc,
            {"id": "z"},
            {"id": "c", "status": "succeeded"},
            {"id": "b", "output": 1},
            {"id": "d", "status": "cancelled"},
        )
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [(x["id"], x["result"]) for x in results] == [
            ("z", "applied"),
            ("c", "conflict"),
            ("b", "unchanged"),
            ("d", "applied"),
        ]
        assert [x["job"]["status"] for x in results] == ["succeeded", "failed", "succeeded", "cancelled"]
        assert (await get_job(svc, "c"))["status"] == "failed"
        assert (await get_job(svc, "d"))["name"] == "d"

    async def test_invalid_item_rejects_the_whole_request(self, svc: Service) -> None:
        r = await bulk(svc, {"id": "ok-1"}, {"id": "ok-2", "status": "exploded"})
        assert_problem(r, 422, "reports.1.status")
        assert_problem(await svc.client.get("/v1/jobs/ok-1"), 404)
        assert (await svc.client.get("/v1/jobs")).json()["items"] == []

    async def test_duplicate_ids_in_one_request_are_422(self, svc: Service) -> None:
        r = await bulk(svc, {"id": "a"}, {"id": "b"}, {"id": "a", "status": "failed"})
        body = assert_problem(r, 422)
        assert "'a'" in body["detail"]
        assert (await svc.client.get("/v1/jobs")).json()["items"] == []

    async def test_duplicate_ids_are_422_naming_reports(self, svc: Service) -> None:
        r = await bulk(svc, {"id": "a"}, {"id": "a"})
        assert_problem(r, 422, "reports")

    async def test_more_than_1000_reports_are_422_naming_reports(self, svc: Service) -> None:
        r = await bulk(svc, *({"id": f"j{i}"} for i in range(1001)))
        assert_problem(r, 422, "reports")
        assert (await svc.client.get("/v1/jobs")).json()["items"] == []

    async def test_exactly_1000_reports_are_applied(self, svc: Service) -> None:
        r = await bulk(svc, *({"id": f"j{i}"} for i in range(1000)))
        assert r.status_code == 200, r.text
        assert {x["result"] for x in r.json()["results"]} == {"applied"}

    async def test_empty_report_list_is_422(self, svc: Service) -> None:
        assert_problem(await svc.client.post("/v1/jobs/complete", json={"reports": []}), 422, "reports")

    async def test_completions_count_into_an_open_gather(self, svc: Service, receiver: Receiver) -> None:
        await create_gather(svc, "g1", ["a", "b", "c"], callback={"url": f"{receiver.url}/hook"})
        r = await bulk(svc, {"id": "c", "output": 3}, {"id": "a", "output": 1})
        assert r.status_code == 200, r.text
        gather = (await svc.client.get("/v1/gathers/g1")).json()
        assert (gather["status"], gather["done"], gather["pending_job_ids"]) == ("waiting", 2, ["b"])
        await bulk(svc, {"id": "b", "status": "failed"}, {"id": "a", "output": 1})
        assert await gather_status(svc, "g1") == "completed"
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        event = req.json()
        assert event["type"] == "gather.completed"
        members = [(m["id"], m["status"], m["output"]) for m in event["data"]["members"]]
        assert members == [("a", "succeeded", 1), ("b", "failed", None), ("c", "succeeded", 3)]

    async def test_gather_created_after_bulk_completions_resolves_at_once(self, svc: Service) -> None:
        await bulk(svc, {"id": "a"}, {"id": "b"})
        gather = await create_gather(svc, "g1", ["a", "b"])
        assert gather["status"] == "succeeded"


class TestGet:
    async def test_unknown_job_is_404_problem(self, svc: Service) -> None:
        body = assert_problem(await svc.client.get("/v1/jobs/nope"), 404)
        assert "nope" in body["detail"]


class TestList:
    async def test_limit_2_over_5_jobs_walks_every_page(self, svc: Service) -> None:
        ids = [f"job-{i}" for i in range(5)]
        for job_id in reversed(ids):
            await svc.client.put(f"/v1/jobs/{job_id}", json={})
        pages: list[list[str]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            r = await svc.client.get("/v1/jobs", params=params)
            assert r.status_code == 200, r.text
            pages.append([job["id"] for job in r.json()["items"]])
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert pages == [ids[0:2], ids[2:4], ids[4:5]]

    async def test_exact_last_page_has_no_next_cursor(self, svc: Service) -> None:
        for job_id in ("a", "b"):
            await svc.client.put(f"/v1/jobs/{job_id}", json={})
        r = await svc.client.get("/v1/jobs", params={"limit": 2})
        assert [j["id"] for j in r.json()["items"]] == ["a", "b"]
        assert r.json()["next_cursor"] is None

    async def test_filters_by_status_and_name(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/a", json={"name": "parse"})
        await svc.client.put("/v1/jobs/b", json={"name": "parse"})
        await svc.client.put("/v1/jobs/c", json={"name": "mail"})
        await report(svc, "b", status="failed")
        await report(svc, "d")

        async def ids(**params: str) -> list[str]:
            r = await svc.client.get("/v1/jobs", params=params)
            assert r.status_code == 200, r.text
            return [job["id"] for job in r.json()["items"]]

        assert await ids(status="pending") == ["a", "c"]
        assert await ids(status="failed") == ["b"]
        assert await ids(name="parse") == ["a", "b"]
        assert await ids(name="parse", status="pending") == ["a"]
        assert await ids(status="succeeded") == ["d"]
        assert await ids(name="nobody") == []

    async def test_filtered_pages_keep_the_filter(self, svc: Service) -> None:
        for i in range(5):
            await svc.client.put(f"/v1/jobs/j{i}", json={"name": "even" if i % 2 == 0 else "odd"})
        first = (await svc.client.get("/v1/jobs", params={"name": "even", "limit": 2})).json()
        rest = (
            await svc.client.get(
                "/v1/jobs", params={"name": "even", "limit": 2, "cursor": first["next_cursor"]}
            )
        ).json()
        assert [j["id"] for j in first["items"] + rest["items"]] == ["j0", "j2", "j4"]
        assert rest["next_cursor"] is None

    async def test_garbage_cursor_is_422_naming_cursor(self, svc: Service) -> None:
        for cursor in ("!!!", "bm90IGpzb24", "bnVsbA"):  # junk, base64 "not json", base64 "null"
            body = assert_problem(await svc.client.get("/v1/jobs", params={"cursor": cursor}), 422, "cursor")
            assert body["errors"][0]["in"] == "query"


class TestTimeouts:
    async def test_job_times_out_only_after_its_timeout(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 10})
        await svc.tick(9)
        assert (await get_job(svc, "j1"))["status"] == "pending"
        await svc.tick(2)
        job = await get_job(svc, "j1")
        assert job["status"] == "timed_out"
        assert job["error"]["reason"] == "timeout"
        assert job["finished_at"] is not None

    async def test_gather_over_a_timed_out_job_resolves_completed_with_a_callback(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await svc.client.put("/v1/jobs/slow", json={"timeout_seconds": 10})
        await report(svc, "fast")
        callback = {"url": f"{receiver.url}/hook", "payload": {"k": 1}}
        await create_gather(svc, "g1", ["fast", "slow"], callback=callback, timeout_seconds=60)
        await svc.tick(9)
        assert await gather_status(svc, "g1") == "waiting"
        assert receiver.requests == []
        await svc.tick(2)
        gather = (await svc.client.get("/v1/gathers/g1")).json()
        assert (gather["status"], gather["succeeded"], gather["failed"]) == ("completed", 1, 1)
        (req,) = await receiver.wait_for(1)
        event = req.json()
        assert event["type"] == "gather.completed"
        assert event["payload"] == {"k": 1}
        assert [(m["id"], m["status"]) for m in event["data"]["members"]] == [
            ("fast", "succeeded"),
            ("slow", "timed_out"),
        ]

    async def test_finished_job_never_times_out(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 10})
        await report(svc, "j1")
        await svc.tick(60)
        assert (await get_job(svc, "j1"))["status"] == "succeeded"


class TestHeartbeat:
    async def test_heartbeat_marks_the_job_running(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={"name": "n"})
        r = await svc.client.post("/v1/jobs/j1/heartbeat", json={})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "running"
        assert (await get_job(svc, "j1"))["status"] == "running"
        assert (await report(svc, "j1")).json()["status"] == "succeeded"

    async def test_heartbeat_with_timeout_moves_the_deadline(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 10})
        await svc.tick(8)
        r = await svc.client.post("/v1/jobs/j1/heartbeat", json={"timeout_seconds": 10})
        assert _seconds_between(svc.clock.now().isoformat(), r.json()["deadline_at"]) == 10
        await svc.tick(9)  # 17 s after registration, 9 s after the heartbeat
        assert (await get_job(svc, "j1"))["status"] == "running"
        await svc.tick(2)
        assert (await get_job(svc, "j1"))["status"] == "timed_out"

    async def test_heartbeat_without_timeout_keeps_the_deadline(self, svc: Service) -> None:
        registered = (await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 10})).json()
        await svc.tick(5)
        r = await svc.client.post("/v1/jobs/j1/heartbeat", json={})
        assert r.json()["deadline_at"] == registered["deadline_at"]
        await svc.tick(6)
        assert (await get_job(svc, "j1"))["status"] == "timed_out"

    async def test_heartbeat_on_an_unknown_job_records_it_running(self, svc: Service) -> None:
        r = await svc.client.post("/v1/jobs/j1/heartbeat", json={"timeout_seconds": 30})
        assert r.status_code == 200, r.text
        assert (await get_job(svc, "j1"))["status"] == "running"

    async def test_heartbeat_without_a_body_marks_the_job_running(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={})
        r = await svc.client.post("/v1/jobs/j1/heartbeat")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "running"

    async def test_heartbeat_on_a_finished_job_is_409(self, svc: Service) -> None:
        await report(svc, "j1", status="failed")
        body = assert_problem(await svc.client.post("/v1/jobs/j1/heartbeat", json={}), 409)
        assert body["job"]["status"] == "failed"
        assert (await get_job(svc, "j1"))["status"] == "failed"


class TestHeartbeatInterval:
    async def test_registration_sets_a_heartbeat_deadline_within_the_timeout(self, svc: Service) -> None:
        r = await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 60, "heartbeat_seconds": 10})
        assert r.status_code == 201, r.text
        job = r.json()
        assert (job["timeout_seconds"], job["heartbeat_seconds"]) == (60, 10)
        assert _seconds_between(job["created_at"], job["deadline_at"]) == 10
        assert _seconds_between(job["created_at"], job["timeout_at"]) == 60
        assert await get_job(svc, "j1") == job
        again = await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 60, "heartbeat_seconds": 10})
        assert again.status_code == 200
        other = {"timeout_seconds": 60, "heartbeat_seconds": 20}
        assert_problem(await svc.client.put("/v1/jobs/j1", json=other), 409)

    async def test_a_heartbeat_longer_than_the_timeout_is_422_naming_it(self, svc: Service) -> None:
        body = {"timeout_seconds": 10, "heartbeat_seconds": 11}
        assert_problem(await svc.client.put("/v1/jobs/j1", json=body), 422, "heartbeat_seconds")
        assert_problem(await svc.client.post("/v1/jobs", json=body), 422, "heartbeat_seconds")
        assert (await svc.client.get("/v1/jobs/j1")).status_code == 404

    async def test_heartbeats_extend_it_up_to_the_timeout_and_no_further(self, svc: Service) -> None:
        job = (
            await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 30, "heartbeat_seconds": 10})
        ).json()
        for _ in range(2):
            await svc.tick(8)
            beat = (await svc.client.post("/v1/jobs/j1/heartbeat")).json()
            assert _seconds_between(svc.clock.now().isoformat(), beat["deadline_at"]) == 10
        await svc.tick(8)  # 24 s: one more interval would pass the timeout
        beat = (await svc.client.post("/v1/jobs/j1/heartbeat")).json()
        assert beat["deadline_at"] == job["timeout_at"]
        await svc.tick(4)  # 28 s: a heartbeat asking for more still stops at the timeout
        beat = (await svc.client.post("/v1/jobs/j1/heartbeat", json={"timeout_seconds": 100})).json()
        assert beat["deadline_at"] == beat["timeout_at"] == job["timeout_at"]
        await svc.tick(1.9)
        assert (await get_job(svc, "j1"))["status"] == "running"
        await svc.tick(0.1)
        timed_out = await get_job(svc, "j1")
        assert timed_out["status"] == "timed_out" and timed_out["error"]["reason"] == "timeout"

    async def test_a_missed_heartbeat_times_it_out_with_its_own_reason(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 60, "heartbeat_seconds": 10})
        await svc.tick(5)
        await svc.client.post("/v1/jobs/j1/heartbeat")
        await svc.tick(9.9)
        assert (await get_job(svc, "j1"))["status"] == "running"
        await svc.tick(0.1)
        job = await get_job(svc, "j1")
        assert job["status"] == "timed_out"
        assert job["error"] == {
            "reason": "heartbeat_missed",
            "detail": "no heartbeat came within 10 s",
            "heartbeat_seconds": 10,
        }
        assert_problem(await svc.client.post("/v1/jobs/j1/heartbeat"), 409)

    async def test_a_heartbeat_interval_without_a_timeout_has_no_hard_deadline(self, svc: Service) -> None:
        job = (await svc.client.put("/v1/jobs/j1", json={"heartbeat_seconds": 10})).json()
        assert job["timeout_at"] is None
        for _ in range(5):
            await svc.tick(9)
            await svc.client.post("/v1/jobs/j1/heartbeat")
        assert (await get_job(svc, "j1"))["status"] == "running"
        await svc.tick(10)
        assert (await get_job(svc, "j1"))["error"]["reason"] == "heartbeat_missed"

    async def test_a_job_without_an_interval_keeps_its_lease_behaviour(self, svc: Service) -> None:
        job = (await svc.client.put("/v1/jobs/j1", json={"timeout_seconds": 10})).json()
        assert (job["heartbeat_seconds"], job["timeout_at"]) == (None, None)
        await svc.tick(8)
        beat = (await svc.client.post("/v1/jobs/j1/heartbeat", json={"timeout_seconds": 30})).json()
        assert _seconds_between(job["created_at"], beat["deadline_at"]) == 38


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
