"""Gathers end to end, with a real receiver: the scatter_gather flow and its edges."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event

from tests.conftest import Service
from tests.receiver import Receiver


def gather_body(receiver: Receiver, gid: str, job_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": gid,
        "job_ids": job_ids,
        "callback": {"url": f"{receiver.url}/hooks/notify", "payload": {"email_id": 123}},
        **extra,
    }


async def create(svc: Service, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
    r = await svc.client.post("/v1/gathers", json=body)
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


async def report(svc: Service, job_id: str, status: str = "succeeded", **extra: Any) -> None:
    r = await svc.client.post(f"/v1/jobs/{job_id}/complete", json={"status": status, **extra})
    assert r.status_code == 200, r.text


async def gather(svc: Service, gid: str) -> dict[str, Any]:
    r = await svc.client.get(f"/v1/gathers/{gid}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


class TestScatterGather:
    async def test_callback_arrives_once_after_last_report_with_members_in_order(
        self, svc: Service, receiver: Receiver
    ) -> None:
        jobs = ["parse-123", "attach-123", "ai-123"]
        await create(svc, gather_body(receiver, "notify-123", jobs))
        for i, job in enumerate(reversed(jobs)):
            await report(svc, job, output={"n": i})
            await svc.settle()
            if i < 2:
                assert receiver.requests == []
        (req,) = await receiver.wait_for(1)
        event = req.json()
        assert event["type"] == "gather.succeeded"
        assert event["payload"] == {"email_id": 123}
        assert req.path == "/hooks/notify"
        assert [m["id"] for m in event["data"]["members"]] == jobs
        assert [m["output"] for m in event["data"]["members"]] == [{"n": 2}, {"n": 1}, {"n": 0}]
        assert event["data"]["gather"]["status"] == "succeeded"
        assert event["data"]["members_truncated"] is False
        assert req.headers["webhook-id"] == event["id"]
        await svc.tick(3600)
        assert len(receiver.requests) == 1
        assert (await gather(svc, "notify-123"))["status"] == "succeeded"

    async def test_report_before_the_gather_exists_counts(self, svc: Service, receiver: Receiver) -> None:
        await report(svc, "early", output="first")
        body = await create(svc, gather_body(receiver, "g", ["early", "late"]))
        assert (body["done"], body["pending_job_ids"]) == (1, ["late"])
        await report(svc, "late")
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert [m["output"] for m in req.json()["data"]["members"]] == ["first", None]

    async def test_zero_job_gather_fires_at_once(self, svc: Service, receiver: Receiver) -> None:
        body = await create(svc, gather_body(receiver, "empty", []))
        assert body["status"] == "succeeded"
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert req.json()["type"] == "gather.succeeded"
        assert req.json()["data"]["members"] == []

    async def test_two_gathers_on_one_job_both_fire(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "g1", ["shared", "a"]))
        await create(svc, gather_body(receiver, "g2", ["shared"]))
        await report(svc, "shared")
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert req.json()["data"]["gather"]["id"] == "g2"
        await report(svc, "a")
        await svc.settle()
        reqs = await receiver.wait_for(2)
        assert [r.json()["data"]["gather"]["id"] for r in reqs] == ["g2", "g1"]

    async def test_fail_fast_fires_failed_on_first_failure(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "ff", ["x", "y", "z"], on_failure="fail_fast"))
        await report(svc, "x")
        await report(svc, "y", status="failed", error={"reason": "boom"})
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        event = req.json()
        assert event["type"] == "gather.failed"
        assert [m["status"] for m in event["data"]["members"]] == ["succeeded", "failed", "pending"]
        assert event["data"]["members"][1]["error"] == {"reason": "boom"}
        await report(svc, "z")
        await svc.settle()
        assert len(receiver.requests) == 1

    async def test_wait_all_with_a_failure_completes(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "wa", ["x", "y"]))
        await report(svc, "x", status="failed")
        await svc.settle()
        assert receiver.requests == []
        await report(svc, "y", status="cancelled")
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert req.json()["type"] == "gather.completed"
        assert req.json()["data"]["gather"]["failed"] == 2

    async def test_deadline_sends_timed_out_to_failure_callback(
        self, svc: Service, receiver: Receiver
    ) -> None:
        body = gather_body(receiver, "slow", ["never"], timeout_seconds=30)
        body["failure_callback"] = {"url": f"{receiver.url}/hooks/failed"}
        await create(svc, body)
        await svc.tick(29)
        assert receiver.requests == []
        await svc.tick(2)
        (req,) = await receiver.wait_for(1)
        assert req.path == "/hooks/failed"
        assert req.json()["type"] == "gather.timed_out"
        assert req.json()["data"]["gather"]["pending_job_ids"] == ["never"]
        await report(svc, "never")
        await svc.tick(60)
        assert len(receiver.requests) == 1

    async def test_default_deadline_is_poll_interval_times_max_attempts(
        self, svc: Service, receiver: Receiver
    ) -> None:
        body = await create(svc, gather_body(receiver, "seed", ["j"]))
        created = svc.clock.now()
        assert body["poll_interval_seconds"] == 2 and body["max_attempts"] == 10
        await svc.tick(19)
        assert receiver.requests == []
        await svc.tick(1)
        (req,) = await receiver.wait_for(1)
        assert req.json()["type"] == "gather.timed_out"
        assert datetime.fromisoformat(body["deadline_at"]) == created + timedelta(seconds=20)

    async def test_no_deadline_when_interval_and_attempts_are_null(
        self, svc: Service, receiver: Receiver
    ) -> None:
        body = gather_body(receiver, "forever", ["j"], poll_interval_seconds=None, max_attempts=None)
        assert (await create(svc, body))["deadline_at"] is None
        await svc.tick(86400 * 30)
        assert (await gather(svc, "forever"))["status"] == "waiting"

    async def test_cancel_means_no_callback_ever(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "c", ["a"], timeout_seconds=5))
        r = await svc.client.delete("/v1/gathers/c")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        assert (await svc.client.delete("/v1/gathers/c")).status_code == 200
        await report(svc, "a")
        await svc.tick(60)
        assert receiver.requests == []
        deliveries = (await svc.client.get("/v1/deliveries")).json()
        assert deliveries["items"] == []

    async def test_cancel_after_resolution_is_409(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "done", []))
        r = await svc.client.delete("/v1/gathers/done")
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"

    async def test_unknown_gather_is_404(self, svc: Service) -> None:
        for r in (
            await svc.client.get("/v1/gathers/nope"),
            await svc.client.delete("/v1/gathers/nope"),
            await svc.client.post("/v1/gathers/nope/seal"),
            await svc.client.get("/v1/gathers/nope/explain"),
        ):
            assert r.status_code == 404, r.text
            assert r.json()["status"] == 404


class TestCreateIdempotency:
    async def test_same_id_and_body_answers_200_with_the_same_gather(
        self, svc: Service, receiver: Receiver
    ) -> None:
        body = gather_body(receiver, "same", ["a"])
        first = await create(svc, body)
        again = await create(svc, body, expect=200)
        assert again["created_at"] == first["created_at"]

    async def test_same_id_with_another_body_is_409(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "same", ["a"]))
        r = await svc.client.post("/v1/gathers", json=gather_body(receiver, "same", ["b"]))
        assert r.status_code == 409

    async def test_server_picks_an_id(self, svc: Service, receiver: Receiver) -> None:
        body = gather_body(receiver, "x", [])
        del body["id"]
        assert (await create(svc, body))["id"].startswith("gth_")


class TestDynamicMembers:
    async def test_unsealed_gather_waits_for_seal(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "dyn", ["a"], sealed=False))
        await report(svc, "a")
        r = await svc.client.post("/v1/gathers/dyn/jobs", json={"job_ids": ["b", "a", "c"]})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 3
        await report(svc, "b")
        await report(svc, "c")
        await svc.settle()
        assert receiver.requests == []
        r = await svc.client.post("/v1/gathers/dyn/seal")
        assert r.json()["status"] == "succeeded"
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert [m["id"] for m in req.json()["data"]["members"]] == ["a", "b", "c"]

    async def test_adding_to_a_sealed_gather_is_409(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "s", ["a"]))
        r = await svc.client.post("/v1/gathers/s/jobs", json={"job_ids": ["b"]})
        assert r.status_code == 409

    async def test_members_page_in_the_order_given(self, svc: Service, receiver: Receiver) -> None:
        ids = [f"m{i}" for i in range(7)][::-1]
        await create(svc, gather_body(receiver, "p", ids))
        assert [m["id"] for m in await svc.every("/v1/gathers/p/members", limit=3)] == ids

    async def test_large_gathers_truncate_inline_members(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory(inline_members_limit=2)
        await create(svc, gather_body(receiver, "big", ["a", "b", "c"]))
        r = await svc.client.post(
            "/v1/jobs/complete", json={"reports": [{"id": i, "status": "succeeded"} for i in "abc"]}
        )
        assert r.status_code == 200
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        data = req.json()["data"]
        assert [m["id"] for m in data["members"]] == ["a", "b"]
        assert data["members_truncated"] is True

    async def test_outputs_left_out_when_include_outputs_is_false(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await create(svc, gather_body(receiver, "quiet", ["a"], include_outputs=False))
        await report(svc, "a", output={"secret": 1})
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert req.json()["data"]["members"] == [
            {"id": "a", "status": "succeeded", "output": None, "error": None}
        ]


class TestReading:
    async def test_progress_and_explain(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "e", ["a", "b", "c"], timeout_seconds=100))
        await report(svc, "a")
        await report(svc, "b", status="failed")
        body = await gather(svc, "e")
        assert (body["total"], body["done"], body["succeeded"], body["failed"], body["pending"]) == (
            3,
            2,
            1,
            1,
            1,
        )
        assert body["pending_job_ids"] == ["c"]
        svc.clock.advance(40)
        explain = (await svc.client.get("/v1/gathers/e/explain")).json()
        assert explain["resolved"] is False
        assert explain["missing_job_ids"] == ["c"]
        assert explain["failed_job_ids"] == ["b"]
        assert explain["seconds_to_deadline"] == 60
        assert any("waiting for 1 of 3" in reason for reason in explain["reasons"])

    async def test_long_poll_is_woken_by_the_resolution(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "lp", ["a"]))
        poll = asyncio.create_task(svc.client.get("/v1/gathers/lp", params={"wait": 30}))
        await asyncio.wait_for(svc.runtime.notifier.polling(("gather", "default", "lp")), 5)
        assert not poll.done()
        started = asyncio.get_running_loop().time()
        await report(svc, "a")
        r = await asyncio.wait_for(poll, 5)
        assert r.json()["status"] == "succeeded"
        assert asyncio.get_running_loop().time() - started < 2

    async def test_long_poll_returns_at_once_when_resolved(self, svc: Service, receiver: Receiver) -> None:
        await create(svc, gather_body(receiver, "now", []))
        r = await asyncio.wait_for(svc.client.get("/v1/gathers/now", params={"wait": 60}), 2)
        assert r.json()["status"] == "succeeded"

    async def test_the_list_pages_gathers_in_id_order_by_status(
        self, svc: Service, receiver: Receiver
    ) -> None:
        for n in range(5):
            await create(svc, gather_body(receiver, f"g{n}", [f"g{n}-a"]))
        assert (await svc.client.post("/v1/jobs/g1-a/complete", json={})).status_code == 200
        assert (await svc.client.post("/v1/jobs/g3-a/complete", json={})).status_code == 200
        seen = await svc.every("/v1/gathers", status="waiting", limit=2)
        assert [g["id"] for g in seen] == ["g0", "g2", "g4"]
        assert all(g["pending"] == 1 and "pending_job_ids" not in g for g in seen)
        done = (await svc.client.get("/v1/gathers?status=succeeded")).json()
        assert [(g["id"], g["done"]) for g in done["items"]] == [("g1", 1), ("g3", 1)]
        every = (await svc.client.get("/v1/gathers")).json()
        assert [g["id"] for g in every["items"]] == [f"g{n}" for n in range(5)]
        bad = await svc.client.get("/v1/gathers?status=open")
        assert bad.status_code == 422 and "status" in bad.text

    async def test_the_latest_ended_come_first_and_page_by_when_they_ended(
        self, svc: Service, receiver: Receiver
    ) -> None:
        for n in range(5):
            await create(svc, gather_body(receiver, f"g{n}", [f"g{n}-a"], on_failure="fail_fast"))
        # g3 fails first, then g0, then g4 and g1 in the same instant (ties go by id, the greater first).
        for job_id in ("g3-a", "g0-a"):
            await report(svc, job_id, status="failed")
            svc.clock.advance(1)
        await report(svc, "g4-a", status="failed")
        await report(svc, "g1-a", status="failed")
        seen = await svc.every("/v1/gathers", status="failed", order="-resolved_at", limit=2)
        assert [g["id"] for g in seen] == ["g4", "g1", "g0", "g3"]
        for query in ("order=-resolved_at", "status=waiting&order=-resolved_at", "order=newest"):
            bad = await svc.client.get(f"/v1/gathers?{query}")
            assert bad.status_code == 422, query
            assert bad.json()["errors"][0]["field"] == ("order" if "newest" in query else "status")
        forged = await svc.client.get("/v1/gathers?status=failed&order=-resolved_at&cursor=WyJ4IiwieSJd")
        assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "cursor"


class TestCostPerReport:
    async def test_a_report_runs_the_same_statements_in_a_gather_of_2000_as_of_10(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await create(svc, gather_body(receiver, "small", [f"s{i}" for i in range(10)]))
        await create(svc, gather_body(receiver, "big", [f"b{i}" for i in range(2000)]))
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements.append(sql)

        engine = svc.runtime.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            await report(svc, "s3")
            small = list(statements)
            statements.clear()
            await report(svc, "b1500")
            big = list(statements)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert small == big
        assert not any("gather_members" in sql and "position" in sql for sql in big)  # no member scan

    async def test_a_report_that_resolves_nothing_runs_two_statements(
        self, svc: Service, receiver: Receiver
    ) -> None:
        """One statement finishes the job, one counts it into its gathers; a repeat reads the job instead
        of counting. A report that resolves a gather adds its resolution and its outbox row."""
        await create(svc, gather_body(receiver, "two", ["t1", "t2"]))
        with statements(svc) as first:
            await report(svc, "t1")
        assert [kind(sql) for sql in first] == ["INSERT INTO jobs", "UPDATE gathers"]
        with statements(svc) as again:
            await report(svc, "t1")
        assert [kind(sql) for sql in again] == ["INSERT INTO jobs", "SELECT"]
        with statements(svc) as last:
            await report(svc, "t2")
        assert [kind(sql) for sql in last][:2] == ["INSERT INTO jobs", "UPDATE gathers"]
        assert "INSERT INTO deliveries" in [kind(sql) for sql in last]

    async def test_a_bulk_report_counts_every_gather_at_once_and_resolves_them_together(
        self, svc: Service, receiver: Receiver
    ) -> None:
        """Jobs held by several gathers, several jobs per gather: each gather counts each of its jobs once,
        the ones completed resolve (one callback each), and the statements do not grow with the gathers."""
        await create(svc, gather_body(receiver, "g-all", ["a", "b", "c", "d"]))
        await create(svc, gather_body(receiver, "g-ab", ["a", "b"]))
        await create(svc, gather_body(receiver, "g-cx", ["c", "x"], on_failure="fail_fast"))
        for i in range(20):
            await create(svc, gather_body(receiver, f"one-{i}", [f"o{i}"]))
        reports = [{"id": j, "status": "succeeded"} for j in ("a", "b", "d")]
        reports += [{"id": "c", "status": "failed"}] + [
            {"id": f"o{i}", "status": "succeeded"} for i in range(20)
        ]
        with statements(svc) as seen:
            r = await svc.client.post("/v1/jobs/complete", json={"reports": reports})
        assert r.status_code == 200, r.text
        g = {gid: await gather(svc, gid) for gid in ("g-all", "g-ab", "g-cx", "one-7")}
        assert (g["g-all"]["status"], g["g-all"]["done"], g["g-all"]["failed"]) == ("completed", 4, 1)
        assert (g["g-ab"]["status"], g["g-ab"]["succeeded"]) == ("succeeded", 2)
        assert (g["g-cx"]["status"], g["g-cx"]["done"], g["g-cx"]["pending"]) == ("failed", 1, 1)
        assert g["one-7"]["status"] == "succeeded"
        await svc.settle()
        got = await receiver.wait_for(23)
        assert sorted(e.json()["data"]["gather"]["id"] for e in got) == sorted(
            ["g-all", "g-ab", "g-cx", *(f"one-{i}" for i in range(20))]
        )
        writes = [kind(sql) for sql in seen if not sql.startswith("SELECT")]
        if svc.runtime.db.engine.dialect.name == "postgresql":
            # finish the jobs, count every gather, one status move per outcome, one outbox insert
            assert writes.count("UPDATE gathers") == 1 + 3
            assert writes.count("INSERT INTO deliveries") == 1


def kind(sql: str) -> str:
    """A statement's verb and table (``SELECT`` alone for reads; the main statement's after a WITH)."""
    if sql.startswith("WITH"):
        main = re.findall(r"\)\s+(UPDATE \w+|INSERT INTO \w+|DELETE FROM \w+)", sql)
        return main[-1] if main else "WITH"
    words = sql.split()
    if words[0] == "SELECT":
        return "SELECT"
    return " ".join(words[:3] if words[0] in ("INSERT", "DELETE") else words[:2])


@contextlib.contextmanager
def statements(svc: Service) -> Iterator[list[str]]:
    """The SQL statements this task runs while the block runs (transaction control left out; the
    scheduler's ticks run in tasks of their own)."""
    seen: list[str] = []
    task = asyncio.current_task()

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if asyncio.current_task() is not task:
            return
        if not sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(sql.strip())

    engine = svc.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
