"""Batches (JobMetadata): batch jobs, the tracker's report, abort, sets, seal, retention and races."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.conftest import Service
from tests.receiver import Receiver
from tests.test_gather_flow import statements

DAY = 86400.0


async def batch_job(svc: Service, receiver: Receiver | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "import", **extra}
    if receiver is not None:
        body["callback"] = {"url": f"{receiver.url}/batches", "payload": {"tenant": 7}}
    r = await svc.client.post("/v1/batch-jobs", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def new_batch(svc: Service, job_id: str, items: list[Any], expect: int = 201) -> dict[str, Any]:
    r = await svc.client.post(f"/v1/jobs/{job_id}/batches", json={"items": items})
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


async def report(svc: Service, job_id: str, index: int, expect: int = 200, **body: Any) -> dict[str, Any]:
    r = await svc.client.post(f"/v1/jobs/{job_id}/batches/{index}/report", json=body)
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


async def get(svc: Service, path: str) -> Any:
    r = await svc.client.get(path)
    assert r.status_code == 200, r.text
    return r.json()


async def all_items(svc: Service, job_id: str, index: int, set_name: str) -> list[dict[str, Any]]:
    return await svc.every(f"/v1/jobs/{job_id}/batches/{index}/sets/{set_name}", limit=1000)


def events(receiver: Receiver, event_type: str | None = None) -> list[dict[str, Any]]:
    found = [r.json() for r in receiver.requests]
    return [e for e in found if event_type is None or e["type"] == event_type]


class TestBatchJobs:
    async def test_the_id_is_the_seeds_name_and_utc_time_with_five_digits(self, svc: Service) -> None:
        job = await batch_job(svc, fail_on_errors=True, metadata={"source": "s3"})
        stamp = svc.clock.now().strftime("%Y-%m-%d_%H-%M-%S")
        assert re.fullmatch(rf"import:{stamp}_\d{{5}}", job["id"]), job["id"]
        assert (job["name"], job["status"], job["metadata"]) == ("import", "pending", {"source": "s3"})
        progress = job["batches"]
        assert progress["batch_job"] and progress["fail_on_errors"] and not progress["sealed"]
        assert progress["batches"] == {"total": 0, "open": 0, "finished": 0}
        assert progress["percent"] == 0.0

    async def test_list_and_get(self, svc: Service) -> None:
        first = await batch_job(svc)
        second = await batch_job(svc, name="export")
        await svc.client.put("/v1/jobs/plain", json={})
        listed = await get(svc, "/v1/batch-jobs")
        assert {j["id"] for j in listed["items"]} == {first["id"], second["id"]}
        assert all(j["batches"]["batch_job"] for j in listed["items"])
        only = await get(svc, "/v1/batch-jobs?name=export")
        assert [j["id"] for j in only["items"]] == [second["id"]]
        page = await get(svc, "/v1/batch-jobs?limit=1")
        rest = await get(svc, f"/v1/batch-jobs?limit=1&cursor={page['next_cursor']}")
        assert len(page["items"]) == len(rest["items"]) == 1 and rest["next_cursor"] is None
        assert (await get(svc, f"/v1/batch-jobs/{first['id']}"))["id"] == first["id"]
        assert (await svc.client.get("/v1/batch-jobs/plain")).status_code == 404
        assert (await get(svc, "/v1/jobs/plain"))["batches"] is None

    async def test_a_name_that_cannot_prefix_an_id_is_refused(self, svc: Service) -> None:
        for name in ["", "-x", "a b", "x" * 175]:
            r = await svc.client.post("/v1/batch-jobs", json={"name": name})
            assert r.status_code == 422, name
            assert r.json()["errors"][0]["field"] == "name"


class TestTracker:
    async def test_the_seed_scenario_errored_skipped_processed_one_summary(
        self, svc: Service, receiver: Receiver
    ) -> None:
        job = await batch_job(svc, receiver)
        jid = job["id"]
        batch = await new_batch(svc, jid, list(range(1, 1001)))
        assert (batch["index"], batch["status"], batch["counts"]["pending"]) == (1, "open", 1000)
        processed = [str(i) for i in range(5, 1001)] + ["1"]
        done = await report(
            svc,
            jid,
            1,
            processed=processed,
            skipped=[3, 4],
            errored=[{"id": 2, "error": "Widget 2: RecordInvalid"}],
            done=True,
        )
        assert done["status"] == "finished" and done["finished_by"] == "report"
        assert done["counts"] == {
            "items": 1000, "pending": 0, "processed": 997, "skipped": 2, "errored": 1, "withdrawn": 0,
        }  # fmt: skip
        assert done["sets"] == {"pending": 0, "skipped": 2, "errored": 1}
        assert await all_items(svc, jid, 1, "errored") == [{"id": "2", "error": "Widget 2: RecordInvalid"}]
        assert [i["id"] for i in await all_items(svc, jid, 1, "skipped")] == ["3", "4"]
        assert (await get(svc, f"/v1/jobs/{jid}/batches?status=open"))["items"] == []
        await svc.settle()
        (event,) = events(receiver)
        assert event["type"] == "batch.finished"
        assert event["data"]["job_id"] == jid and event["data"]["batch_index"] == 1
        assert (event["data"]["errors"], event["data"]["errored_ids"]) == (True, ["2"])
        assert event["payload"] == {"tenant": 7}
        progress = (await get(svc, f"/v1/jobs/{jid}"))["batches"]
        assert progress["items"]["processed"] == 997 and progress["percent"] == 100.0
        assert progress["batches"] == {"total": 1, "open": 0, "finished": 1}
        await svc.tick(60)
        assert len(receiver.requests) == 1

    async def test_a_bare_processed_count_finishes_the_batch(self, svc: Service, receiver: Receiver) -> None:
        jid = (await batch_job(svc, receiver))["id"]
        await new_batch(svc, jid, list(range(1, 11)))
        done = await report(svc, jid, 1, processed=7, skipped=[3], errored=[{"id": 2, "error": "x"}])
        assert done["status"] == "finished"
        assert done["counts"] == {
            "items": 10, "pending": 0, "processed": 7, "skipped": 1, "errored": 1, "withdrawn": 1,
        }  # fmt: skip
        await new_batch(svc, jid, [1, 2])
        too_many = await report(svc, jid, 2, expect=422, processed=3)
        assert too_many["errors"][0]["field"] == "processed"
        refused = await svc.client.post(
            f"/v1/jobs/{jid}/batches/2/report", json={"processed": 2, "done": False}
        )
        assert refused.status_code == 422

    async def test_reports_in_steps_then_the_last_pending_id_finishes(
        self, svc: Service, receiver: Receiver
    ) -> None:
        jid = (await batch_job(svc, receiver))["id"]
        await new_batch(svc, jid, ["a", "b", "c"])
        step = await report(svc, jid, 1, processed=["a"])
        assert (step["status"], step["counts"]["pending"], step["sets"]["pending"]) == ("open", 2, 2)
        step = await report(svc, jid, 1, skipped=["b"])
        assert step["status"] == "open"
        last = await report(svc, jid, 1, processed=["c"])
        assert last["status"] == "finished" and last["counts"]["processed"] == 2
        await svc.settle()
        assert receiver.requests == []  # a clean batch sends no summary

    async def test_done_with_ids_still_pending_withdraws_them(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, ["a", "b", "c"])
        done = await report(svc, jid, 1, processed=["a"], done=True)
        assert done["counts"] == {
            "items": 3, "pending": 0, "processed": 1, "skipped": 0, "errored": 0, "withdrawn": 2,
        }  # fmt: skip
        assert done["sets"]["pending"] == 0

    async def test_ids_not_pending_are_listed_and_nothing_is_applied(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1, 2, 3, 4])
        await report(svc, jid, 1, processed=[1])
        before = await get(svc, f"/v1/jobs/{jid}/batches/1")
        bad = await report(
            svc, jid, 1, expect=422, processed=[2, 1], skipped=["nope"], errored=[{"id": 3, "error": "e"}]
        )
        assert bad["not_pending"] == ["1", "nope"] and bad["not_pending_count"] == 2
        assert "not pending" in bad["detail"]
        assert await get(svc, f"/v1/jobs/{jid}/batches/1") == before
        assert [i["id"] for i in await all_items(svc, jid, 1, "pending")] == ["2", "3", "4"]
        assert await all_items(svc, jid, 1, "errored") == []

    async def test_a_report_of_processed_ids_only_runs_two_statements_and_is_all_or_nothing(
        self, svc: Service
    ) -> None:
        """The batch's lock, then one statement (PostgreSQL) that takes the ids out of pending and moves the
        batch's and the job's counters (the answer's set counts are a read); an id not pending undoes it
        all."""
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1, 2, 3, 4])
        with statements(svc) as seen:
            await report(svc, jid, 1, processed=[1, 2])
        if svc.runtime.db.engine.dialect.name == "postgresql":
            assert seen[0].startswith("SELECT batches.") and "FOR UPDATE" in seen[0]
            assert [sql.split()[0] for sql in seen[1:]] == ["WITH", "SELECT"]
        job = await get(svc, f"/v1/jobs/{jid}")
        assert (job["batches"]["items"]["processed"], job["batches"]["items"]["pending"]) == (2, 2)
        bad = await report(svc, jid, 1, expect=422, processed=[3, 2])
        assert bad["not_pending"] == ["2"] and bad["not_pending_count"] == 1
        assert await get(svc, f"/v1/jobs/{jid}") == job
        assert [i["id"] for i in await all_items(svc, jid, 1, "pending")] == ["3", "4"]

    async def test_an_id_named_twice_in_one_report_is_refused(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1, 2])
        bad = await report(svc, jid, 1, expect=422, processed=[1], skipped=["1"])
        assert "more than once" in bad["detail"]

    async def test_a_finished_batch_takes_no_more_reports(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1])
        await report(svc, jid, 1, processed=[1])
        again = await report(svc, jid, 1, expect=409, processed=[1])
        assert again["batch_status"] == "finished"
        assert (
            await svc.client.post(f"/v1/jobs/{jid}/batches/1/abort", json={"error": "x"})
        ).status_code == 409

    async def test_an_empty_batch_is_finished_at_once(self, svc: Service, receiver: Receiver) -> None:
        jid = (await batch_job(svc, receiver))["id"]
        empty = await new_batch(svc, jid, [])
        assert (empty["index"], empty["status"], empty["finished_by"]) == (1, "finished", "created_empty")
        assert (await new_batch(svc, jid, [1]))["index"] == 2
        progress = (await get(svc, f"/v1/jobs/{jid}"))["batches"]
        assert progress["batches"] == {"total": 2, "open": 1, "finished": 1}
        await svc.settle()
        assert receiver.requests == []

    async def test_abort_errors_every_pending_id_with_the_reason(
        self, svc: Service, receiver: Receiver
    ) -> None:
        jid = (await batch_job(svc, receiver))["id"]
        await new_batch(svc, jid, [1, 2, 3, 4, 5])
        await report(svc, jid, 1, processed=[1], skipped=[2])
        r = await svc.client.post(f"/v1/jobs/{jid}/batches/1/abort", json={"error": "database down"})
        assert r.status_code == 200, r.text
        aborted = r.json()
        assert (aborted["status"], aborted["finished_by"], aborted["abort_error"]) == (
            "finished",
            "abort",
            "database down",
        )
        assert aborted["counts"]["errored"] == 3 and aborted["counts"]["processed"] == 1
        assert await all_items(svc, jid, 1, "errored") == [
            {"id": i, "error": "database down"} for i in ("3", "4", "5")
        ]
        await svc.settle()
        (event,) = events(receiver, "batch.finished")
        assert event["data"]["errored_ids"] == ["3", "4", "5"]
        assert event["data"]["finished_by"] == "abort"


class TestIndicesAndSets:
    async def test_indices_are_never_reused(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        assert (await new_batch(svc, jid, [1]))["index"] == 1
        assert (await new_batch(svc, jid, [2]))["index"] == 2
        assert (await svc.client.delete(f"/v1/jobs/{jid}/batches/1")).status_code == 204
        assert (await svc.client.get(f"/v1/jobs/{jid}/batches/1")).status_code == 404
        assert (await new_batch(svc, jid, [3]))["index"] == 3
        listed = await get(svc, f"/v1/jobs/{jid}/batches")
        assert [b["index"] for b in listed["items"]] == [2, 3]
        progress = (await get(svc, f"/v1/jobs/{jid}"))["batches"]
        assert progress["batches"]["total"] == 2
        assert progress["items"]["withdrawn"] == 1  # batch 1's pending id left with it

    async def test_any_job_can_have_batches(self, svc: Service) -> None:
        assert (await svc.client.put("/v1/jobs/etl%2F2026", json={"name": "etl"})).status_code == 201
        batch = await new_batch(svc, "etl%2F2026", ["x"])
        assert batch["job_id"] == "etl/2026"
        progress = (await get(svc, "/v1/jobs/etl%2F2026"))["batches"]
        assert not progress["batch_job"] and progress["items"]["pending"] == 1
        assert (await svc.client.post("/v1/jobs/nobody/batches", json={"items": [1]})).status_code == 404
        assert (await svc.client.get("/v1/jobs/nobody/batches")).status_code == 404

    async def test_duplicates_collapse_and_integers_become_strings(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        batch = await new_batch(svc, jid, [7, "7", "a", "a", 8])
        assert batch["counts"]["items"] == 3
        assert [i["id"] for i in await all_items(svc, jid, 1, "pending")] == ["7", "8", "a"]

    async def test_paging_a_set(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [f"id-{i:03}" for i in range(250)])
        page = await get(svc, f"/v1/jobs/{jid}/batches/1/sets/pending?limit=100")
        assert len(page["items"]) == 100 and page["items"][0] == {"id": "id-000", "error": None}
        assert len(await all_items(svc, jid, 1, "pending")) == 250
        assert await all_items(svc, jid, 1, "never-written") == []

    async def test_a_set_across_every_batch_of_the_job(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        for b in range(3):
            await new_batch(svc, jid, [f"{b}-{i}" for i in range(4)])
            errored = [{"id": f"{b}-{i}", "error": f"e{b}{i}"} for i in (2, 3)]
            await report(svc, jid, b + 1, processed=[f"{b}-0"], skipped=[f"{b}-1"], errored=errored)
        seen = await svc.every(f"/v1/jobs/{jid}/sets/errored", limit=4)
        assert [(i["batch_index"], i["id"], i["error"]) for i in seen] == [
            (b + 1, f"{b}-{i}", f"e{b}{i}") for b in range(3) for i in (2, 3)
        ]
        skipped = await get(svc, f"/v1/jobs/{jid}/sets/skipped")
        assert [i["id"] for i in skipped["items"]] == ["0-1", "1-1", "2-1"]
        assert (await svc.client.get(f"/v1/jobs/{jid}/sets/errored?cursor=bm9wZQ")).status_code == 422
        assert (await svc.client.get("/v1/jobs/nobody/sets/errored")).status_code == 404

    async def test_custom_sets_are_the_clients_own(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1, 2])
        put = await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/retry", json={"items": [5, 6, 6]})
        assert put.status_code == 200, put.text
        assert put.json()["sets"]["retry"] == 2 and put.json()["counts"]["items"] == 2
        await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/retry", json={"items": [9]})
        assert [i["id"] for i in await all_items(svc, jid, 1, "retry")] == ["9"]
        removed = await svc.client.delete(f"/v1/jobs/{jid}/batches/1/sets/retry")
        assert removed.status_code == 200 and "retry" not in removed.json()["sets"]

    async def test_report_sets_refuse_replacement(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1])
        for name in ("skipped", "errored"):
            r = await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/{name}", json={"items": [1]})
            assert r.status_code == 409, name

    async def test_replacing_pending_re_plans_the_batch(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1, 2, 3])
        await report(svc, jid, 1, processed=[1])
        r = await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/pending", json={"items": [3, 4, 5]})
        assert r.status_code == 200, r.text
        counts = r.json()["counts"]
        assert counts == {
            "items": 5, "pending": 3, "processed": 1, "skipped": 0, "errored": 0, "withdrawn": 1,
        }  # fmt: skip
        emptied = await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/pending", json={"items": []})
        assert (emptied.json()["status"], emptied.json()["finished_by"]) == ("finished", "pending_set")
        assert emptied.json()["counts"]["withdrawn"] == 4
        closed = await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/pending", json={"items": [1]})
        assert closed.status_code == 409

    async def test_removing_pending_finishes_the_batch(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1, 2])
        r = await svc.client.delete(f"/v1/jobs/{jid}/batches/1/sets/pending")
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["counts"]["withdrawn"]) == ("finished", 2)
        again = await svc.client.delete(f"/v1/jobs/{jid}/batches/1/sets/pending")
        assert again.status_code == 200 and again.json()["counts"]["withdrawn"] == 2


class TestSeal:
    async def test_seal_completes_the_job_and_a_gather_on_it_fires(
        self, svc: Service, receiver: Receiver
    ) -> None:
        jid = (await batch_job(svc, receiver))["id"]
        gather = {"id": "after-import", "job_ids": [jid], "callback": {"url": f"{receiver.url}/gather"}}
        assert (await svc.client.post("/v1/gathers", json=gather)).status_code == 201
        await new_batch(svc, jid, [1, 2])
        await new_batch(svc, jid, [3])
        await report(svc, jid, 1, processed=[1, 2])
        sealed = await svc.client.post(f"/v1/jobs/{jid}/seal")
        assert sealed.status_code == 200, sealed.text
        assert sealed.json()["status"] == "pending" and sealed.json()["batches"]["sealed"]
        assert (await svc.client.post(f"/v1/jobs/{jid}/batches", json={"items": [9]})).status_code == 409
        await report(svc, jid, 2, skipped=[3])
        job = await get(svc, f"/v1/jobs/{jid}")
        assert job["status"] == "succeeded"
        assert job["output"] == {"processed": 2, "skipped": 1, "errored": 0, "withdrawn": 0, "batches": 2}
        assert job["batches"]["completed_at"] is not None and job["batches"]["percent"] == 100.0
        assert (await get(svc, "/v1/gathers/after-import"))["status"] == "succeeded"
        await svc.settle()
        by_type = {e["type"]: e for e in events(receiver)}
        assert set(by_type) == {"job.succeeded", "gather.succeeded"}
        assert by_type["job.succeeded"]["data"]["job"]["output"]["processed"] == 2
        assert by_type["gather.succeeded"]["data"]["members"][0]["output"]["batches"] == 2

    async def test_fail_on_errors_fails_the_job(self, svc: Service, receiver: Receiver) -> None:
        jid = (await batch_job(svc, receiver, fail_on_errors=True))["id"]
        gather = {"id": "g", "job_ids": [jid], "callback": {"url": f"{receiver.url}/gather"}}
        await svc.client.post("/v1/gathers", json=gather)
        await new_batch(svc, jid, [1, 2])
        await svc.client.post(f"/v1/jobs/{jid}/seal")
        await report(svc, jid, 1, processed=[1], errored=[{"id": 2, "error": "bad row"}])
        job = await get(svc, f"/v1/jobs/{jid}")
        assert job["status"] == "failed"
        assert job["error"] == {"reason": "items_errored", "errored": 1}
        assert (await get(svc, "/v1/gathers/g"))["status"] == "completed"
        await svc.settle()
        # One transaction queued all three; the summary comes before the verdict it explains.
        queued = (await get(svc, "/v1/deliveries"))["items"]
        assert [d["event_type"] for d in queued] == ["batch.finished", "gather.completed", "job.failed"]
        assert len(receiver.requests) == 3

    async def test_errors_without_fail_on_errors_still_succeed(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1])
        await svc.client.post(f"/v1/jobs/{jid}/batches/1/abort", json={"error": "x"})
        job = (await svc.client.post(f"/v1/jobs/{jid}/seal")).json()
        assert (job["status"], job["output"]["errored"]) == ("succeeded", 1)

    async def test_deleting_the_last_open_batch_of_a_sealed_job_completes_it(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1])
        await svc.client.post(f"/v1/jobs/{jid}/seal")
        await svc.client.delete(f"/v1/jobs/{jid}/batches/1")
        job = await get(svc, f"/v1/jobs/{jid}")
        assert job["status"] == "succeeded" and job["output"]["withdrawn"] == 1

    async def test_deleting_an_open_batch_with_errors_summarises_them(
        self, svc: Service, receiver: Receiver
    ) -> None:
        jid = (await batch_job(svc, receiver))["id"]
        await new_batch(svc, jid, [1, 2, 3])
        await report(svc, jid, 1, errored=[{"id": 1, "error": "x"}])
        assert (await svc.client.delete(f"/v1/jobs/{jid}/batches/1")).status_code == 204
        await svc.settle()
        (event,) = events(receiver)
        assert (event["type"], event["data"]["finished_by"], event["data"]["errored_ids"]) == (
            "batch.finished",
            "deleted",
            ["1"],
        )
        assert event["data"]["counts"]["withdrawn"] == 2

    async def test_concurrent_seals_of_a_job_without_batches_complete_it_once(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        one: Service = await service_factory()
        two: Service = await service_factory()
        await one.client.put("/v1/jobs/solo", json={})
        gather = {"id": "g", "job_ids": ["solo"], "callback": {"url": f"{receiver.url}/gather"}}
        await one.client.post("/v1/gathers", json=gather)
        replies = await asyncio.gather(*(s.client.post("/v1/jobs/solo/seal") for s in (one, two) * 5))
        assert [r.status_code for r in replies] == [200] * 10
        assert {r.json()["status"] for r in replies} == {"succeeded"}
        await one.settle()
        await two.settle()
        assert [e["type"] for e in events(receiver)] == ["gather.succeeded"]

    async def test_seal_is_idempotent_and_works_for_any_job(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/plain", json={})
        first = await svc.client.post("/v1/jobs/plain/seal")
        assert first.status_code == 200 and first.json()["status"] == "succeeded"
        assert first.json()["output"] == {
            "processed": 0,
            "skipped": 0,
            "errored": 0,
            "withdrawn": 0,
            "batches": 0,
        }
        again = await svc.client.post("/v1/jobs/plain/seal")
        assert again.status_code == 200 and again.json() == first.json()
        assert (await svc.client.post("/v1/jobs/nobody/seal")).status_code == 404
        await svc.client.post("/v1/jobs/done/complete", json={"status": "failed"})
        assert (await svc.client.post("/v1/jobs/done/seal")).status_code == 409
        assert (await svc.client.post("/v1/jobs/done/batches", json={"items": [1]})).status_code == 409


class TestRetention:
    async def test_finished_sets_expire_counts_stay_open_batches_never(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1, 2, 3])
        await new_batch(svc, jid, [4, 5])
        await report(svc, jid, 1, processed=[1], skipped=[2], errored=[{"id": 3, "error": "e"}])
        await svc.tick(29 * DAY)
        assert len(await all_items(svc, jid, 1, "errored")) == 1
        await svc.tick(1 * DAY + 1)
        expired = await get(svc, f"/v1/jobs/{jid}/batches/1")
        assert expired["items_expired"] and expired["items_expire_at"] is None
        assert expired["sets"] == {"pending": 0, "skipped": 0, "errored": 0}
        assert expired["counts"]["skipped"] == 1 and expired["counts"]["errored"] == 1
        still_open = await get(svc, f"/v1/jobs/{jid}/batches/2")
        assert not still_open["items_expired"] and still_open["sets"]["pending"] == 2
        progress = (await get(svc, f"/v1/jobs/{jid}"))["batches"]
        assert progress["items"]["errored"] == 1 and progress["items"]["pending"] == 2
        r = await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/notes", json={"items": [1]})
        assert r.status_code == 409

    async def test_custom_sets_of_an_empty_batch_expire_too(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [])
        await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/notes", json={"items": ["n"]})
        await svc.tick(30 * DAY + 1)
        assert (await get(svc, f"/v1/jobs/{jid}/batches/1"))["items_expired"]
        assert await all_items(svc, jid, 1, "notes") == []

    async def test_the_retention_is_configurable(self, service_factory: Any) -> None:
        svc: Service = await service_factory(batch_item_retention_days=1)
        jid = (await batch_job(svc))["id"]
        await new_batch(svc, jid, [1])
        await report(svc, jid, 1, skipped=[1])
        await svc.tick(DAY + 1)
        assert (await get(svc, f"/v1/jobs/{jid}/batches/1"))["items_expired"]


class TestLimits:
    async def test_more_items_than_the_limit_is_422_with_the_limit(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        r = await svc.client.post(f"/v1/jobs/{jid}/batches", json={"items": list(range(10_001))})
        assert r.status_code == 422
        assert r.json()["errors"] == [
            {"field": "items", "in": "body", "reason": "at most 10000 ids, got 10001"}
        ]
        assert (await get(svc, f"/v1/jobs/{jid}"))["batches"]["batches"]["total"] == 0
        assert (await new_batch(svc, jid, list(range(10_000))))["counts"]["items"] == 10_000

    async def test_a_body_over_the_member_list_limit_is_413(self, service_factory: Any) -> None:
        svc: Service = await service_factory(max_member_list_body_bytes=4096)
        jid = (await batch_job(svc))["id"]
        r = await svc.client.post(
            f"/v1/jobs/{jid}/batches", json={"items": [f"item-{i}" for i in range(1000)]}
        )
        assert r.status_code == 413 and r.json()["limit_bytes"] == 4096

    async def test_batch_bodies_may_exceed_the_ordinary_limit(self, service_factory: Any) -> None:
        svc: Service = await service_factory(max_body_bytes=4096)
        jid = (await batch_job(svc))["id"]
        items = [f"item-{i:05}" for i in range(1000)]
        assert (await new_batch(svc, jid, items))["counts"]["items"] == 1000
        put = await svc.client.put(f"/v1/jobs/{jid}/batches/1/sets/copy", json={"items": items})
        assert put.status_code == 200
        assert (await report(svc, jid, 1, processed=items))["status"] == "finished"

    async def test_bad_items_and_paths_are_422(self, svc: Service) -> None:
        jid = (await batch_job(svc))["id"]
        for items in ([True], [1.5], [""], ["x" * 256], [None], ["a\x00b"], "abc"):
            r = await svc.client.post(f"/v1/jobs/{jid}/batches", json={"items": items})
            assert r.status_code == 422, items
            assert r.json()["errors"][0]["field"].startswith("items"), r.json()
        await new_batch(svc, jid, [1])
        assert (await svc.client.get(f"/v1/jobs/{jid}/batches/0")).status_code == 422
        assert (await svc.client.get(f"/v1/jobs/{jid}/batches/x")).status_code == 404  # job "…/batches/x"
        big = "WzIxNDc0ODM2NDhd"  # a cursor holding 2**31
        assert (await svc.client.get(f"/v1/jobs/{jid}/batches?cursor={big}")).status_code == 422
        odd = "WyJcdTAwYjJ8eCJd"  # a cursor holding "²|x"
        assert (await svc.client.get(f"/v1/jobs/{jid}/sets/errored?cursor={odd}")).status_code == 422
        assert (await svc.client.get(f"/v1/jobs/{jid}/batches/1/sets/-bad")).status_code == 422
        bad = await svc.client.post(f"/v1/jobs/{jid}/batches/1/report", json={"processed": -1})
        assert bad.status_code == 422
        bad = await svc.client.post(f"/v1/jobs/{jid}/batches/1/report", json={"errored": [{"id": 1}]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "errored.0.error"
        assert (await svc.client.post(f"/v1/jobs/{jid}/batches/1/abort", json={})).status_code == 422


class TestRaces:
    async def test_reports_racing_on_different_batches_leave_exact_counts(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        one: Service = await service_factory()
        two: Service = await service_factory()
        jid = (await batch_job(one, receiver, fail_on_errors=True))["id"]
        batches, size = 12, 40
        for b in range(batches):
            await new_batch(one, jid, [f"{b}-{i}" for i in range(size)])
        await one.client.post(f"/v1/jobs/{jid}/seal")

        async def work(b: int, part: int) -> None:
            ids = [f"{b}-{i}" for i in range(part * 10, part * 10 + 10)]
            body: dict[str, Any] = {"processed": ids[:7], "skipped": ids[7:9]}
            body["errored"] = [{"id": ids[9], "error": f"row {ids[9]}"}]
            client = (one, two)[(b + part) % 2].client
            r = await client.post(f"/v1/jobs/{jid}/batches/{b + 1}/report", json=body)
            assert r.status_code == 200, r.text

        await asyncio.gather(*(work(b, p) for b in range(batches) for p in range(size // 10)))
        job = await get(one, f"/v1/jobs/{jid}")
        expected = {"processed": 7 * 4 * batches, "skipped": 2 * 4 * batches, "errored": 4 * batches}
        assert job["status"] == "failed"
        assert job["output"] == {**expected, "withdrawn": 0, "batches": batches}
        assert job["batches"]["items"] == {**expected, "items": size * batches, "pending": 0, "withdrawn": 0}
        await one.settle()
        await two.settle()
        found = events(receiver)
        assert sum(e["type"] == "job.failed" for e in found) == 1
        assert sum(e["type"] == "batch.finished" for e in found) == batches
        assert sorted(e["data"]["batch_index"] for e in found if e["type"] == "batch.finished") == list(
            range(1, batches + 1)
        )
