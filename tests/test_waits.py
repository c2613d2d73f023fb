"""Waits (WaitForMe): quorum, the resettable timer, max_wait, cancel, refire, races and validation."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import datetime
from typing import Any
from unittest.mock import patch

import sqlalchemy as sa
from sqlalchemy import event

from app.core.clock import SystemClock
from app.gathers import service as gathers
from app.waits import service
from app.waits.models import wait_participants
from app.waits.schemas import ParticipantAdd
from tests.conftest import Service, is_postgres
from tests.receiver import Receiver
from tests.test_gather_flow import statements


def add_body(
    receiver: Receiver, key: str, expected: int = 3, wait: float = 10, **extra: Any
) -> dict[str, Any]:
    return {
        "participant_key": key,
        "expected_participants": expected,
        "wait_seconds": wait,
        "callback": {"url": f"{receiver.url}/waited", "payload": {"run": 1}},
        **extra,
    }


async def add(svc: Service, group: str, body: dict[str, Any], expect: int | None = None) -> dict[str, Any]:
    r = await svc.client.post(f"/v1/waits/{group}/participants", json=body)
    assert r.status_code in ((expect,) if expect else (200, 201)), r.text
    data: dict[str, Any] = r.json()
    return data


class TestQuorum:
    async def test_quorum_of_3_fires_once_on_the_third_distinct_add(
        self, svc: Service, receiver: Receiver
    ) -> None:
        first = await add(svc, "grp", add_body(receiver, "a"), expect=201)
        assert (first["status"], first["counted"], first["participant_count"]) == ("waiting", True, 1)
        await add(svc, "grp", add_body(receiver, "b"), expect=200)
        await svc.settle()
        assert receiver.requests == []
        third = await add(svc, "grp", add_body(receiver, "c"))
        assert (third["status"], third["reason"]) == ("resolved", "quorum")
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        event = req.json()
        assert event["type"] == "wait.resolved"
        assert event["data"] == {
            "group_key": "grp",
            "wait_id": first["id"],
            "reason": "quorum",
            "participants": ["a", "b", "c"],
            "participants_truncated": False,
            "expected": 3,
        }
        assert event["payload"] == {"run": 1}
        await svc.tick(3600)
        assert len(receiver.requests) == 1

    async def test_a_repeat_add_is_not_counted(self, svc: Service, receiver: Receiver) -> None:
        await add(svc, "grp", add_body(receiver, "a"))
        again = await add(svc, "grp", add_body(receiver, "a"))
        assert (again["counted"], again["participant_count"], again["participants"]) == (False, 1, ["a"])

    async def test_lowering_expected_to_the_current_count_fires_at_once(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await add(svc, "grp", add_body(receiver, "a", expected=5))
        await add(svc, "grp", add_body(receiver, "b", expected=5))
        lowered = await add(svc, "grp", add_body(receiver, "b", expected=2))
        assert (lowered["status"], lowered["reason"], lowered["expected"]) == ("resolved", "quorum", 2)
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert req.json()["data"]["participants"] == ["a", "b"]
        assert req.json()["data"]["expected"] == 2

    async def test_last_writer_wins_for_callback_and_settings(self, svc: Service, receiver: Receiver) -> None:
        await add(svc, "grp", add_body(receiver, "a", expected=2))
        body = add_body(receiver, "b", expected=2)
        body["callback"] = {"url": f"{receiver.url}/latest", "payload": {"run": 2}}
        await add(svc, "grp", body)
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert (req.path, req.json()["payload"]) == ("/latest", {"run": 2})

    async def test_the_key_starts_a_new_wait_after_quorum_and_old_ones_stay_readable(
        self, svc: Service, receiver: Receiver
    ) -> None:
        first = await add(svc, "grp", add_body(receiver, "a", expected=1))
        second = await add(svc, "grp", add_body(receiver, "a", expected=2), expect=201)
        assert second["id"] != first["id"] and second["status"] == "waiting"
        current = (await svc.client.get("/v1/waits/grp")).json()
        assert current["id"] == second["id"]
        old = (await svc.client.get(f"/v1/waits/-/{first['id']}")).json()
        assert (old["status"], old["reason"]) == ("resolved", "quorum")
        listed = (await svc.client.get("/v1/waits", params={"group_key": "grp"})).json()["items"]
        assert [w["id"] for w in listed] == [first["id"], second["id"]]
        waiting = (await svc.client.get("/v1/waits", params={"status": "waiting"})).json()["items"]
        assert [w["id"] for w in waiting] == [second["id"]]


class TestTimer:
    async def test_every_add_resets_the_timer(self, svc: Service, receiver: Receiver) -> None:
        await add(svc, "grp", add_body(receiver, "a", wait=10))
        await svc.tick(8)
        await add(svc, "grp", add_body(receiver, "b", wait=10))
        await svc.tick(2)  # t0+10: the first add's timer would have fired here
        assert receiver.requests == []
        await svc.tick(7.9)
        assert receiver.requests == []
        await svc.tick(0.1)  # t0+18
        (req,) = await receiver.wait_for(1)
        data = req.json()["data"]
        assert (data["reason"], data["participants"], data["expected"]) == ("timeout", ["a", "b"], 3)

    async def test_a_repeat_add_resets_the_timer_too(self, svc: Service, receiver: Receiver) -> None:
        await add(svc, "grp", add_body(receiver, "a", wait=10))
        await svc.tick(9)
        await add(svc, "grp", add_body(receiver, "a", wait=10))
        await svc.tick(9)
        assert receiver.requests == []
        await svc.tick(1)
        (req,) = await receiver.wait_for(1)
        assert req.json()["data"]["participants"] == ["a"]

    async def test_max_wait_caps_a_wait_kept_alive_by_repeated_adds(
        self, svc: Service, receiver: Receiver
    ) -> None:
        for _ in range(6):
            await add(svc, "grp", add_body(receiver, "a", wait=10, max_wait_seconds=25))
            await svc.tick(5)
        assert len(receiver.requests) == 1  # fired at t0+25 although the last add was at t0+25
        assert receiver.requests[0].json()["data"]["reason"] == "timeout"

    async def test_a_timed_out_wait_is_final_and_the_key_starts_afresh(
        self, svc: Service, receiver: Receiver
    ) -> None:
        first = await add(svc, "grp", add_body(receiver, "a", expected=2, wait=5))
        await svc.tick(5)
        await add(svc, "grp", add_body(receiver, "b", expected=2, wait=5))
        await svc.settle()
        assert len(receiver.requests) == 1
        old = (await svc.client.get(f"/v1/waits/-/{first['id']}")).json()
        assert (old["status"], old["reason"], old["participant_count"]) == ("resolved", "timeout", 1)

    async def test_refire_on_quorum_after_timeout_fires_once_more(
        self, svc: Service, receiver: Receiver
    ) -> None:
        body = add_body(receiver, "a", expected=2, wait=5, refire_on_quorum_after_timeout=True)
        first = await add(svc, "grp", body)
        await svc.tick(5)
        timed_out = (await svc.client.get("/v1/waits/grp")).json()
        assert (timed_out["status"], timed_out["reason"], timed_out["deadline_at"]) == (
            "waiting",
            "timeout",
            None,
        )
        done = await add(svc, "grp", {**body, "participant_key": "b"})
        assert done["id"] == first["id"]
        assert (done["status"], done["reason"]) == ("resolved", "quorum")
        await svc.tick(60)
        reqs = await receiver.wait_for(2)
        assert [r.json()["data"]["reason"] for r in reqs] == ["timeout", "quorum"]
        assert len({r.json()["id"] for r in reqs}) == 2


class TestTimeoutBatches:
    async def test_due_waits_fire_once_each_across_batches_with_their_own_callback_data(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory(scheduler_batch_size=3, inline_members_limit=2)
        ids: dict[str, str] = {}
        for i in range(8):
            body = add_body(
                receiver, "a", expected=5, wait=5 + i % 3, refire_on_quorum_after_timeout=i % 4 == 0
            )
            body["callback"] = {"url": f"{receiver.url}/w{i}", "payload": {"i": i}}
            ids[f"g{i}"] = (await add(svc, f"g{i}", body))["id"]
            for key in ("b", "c")[: i % 3]:
                await add(svc, f"g{i}", {**body, "participant_key": key})
        await svc.tick(7)
        reqs = await receiver.wait_for(8)
        await svc.settle()
        assert len(receiver.requests) == 8
        by_path = {r.path: r.json() for r in reqs}
        for i in range(8):
            event = by_path[f"/w{i}"]
            joined = ["a", "b", "c"][: 1 + i % 3]
            assert event["data"] == {
                "group_key": f"g{i}",
                "wait_id": ids[f"g{i}"],
                "reason": "timeout",
                "participants": joined[:2],
                "participants_truncated": len(joined) > 2,
                "expected": 5,
            }
            assert event["payload"] == {"i": i}
            read = (await svc.client.get(f"/v1/waits/-/{ids[f'g{i}']}")).json()
            status = "waiting" if i % 4 == 0 else "resolved"
            assert (read["status"], read["reason"], read["deadline_at"]) == (status, "timeout", None)
            assert (read["resolved_at"] is None) == (i % 4 == 0)
        await svc.tick(60)
        assert len(receiver.requests) == 8  # timed out once, and a refire-enabled wait only on quorum now
        await add(svc, "g4", add_body(receiver, "x", expected=2, refire_on_quorum_after_timeout=True))
        await svc.settle()
        refired = (await receiver.wait_for(9))[-1]
        assert (refired.json()["data"]["wait_id"], refired.json()["data"]["reason"]) == (ids["g4"], "quorum")

    async def test_only_waits_whose_timer_passed_fire(self, svc: Service, receiver: Receiver) -> None:
        await add(svc, "soon", add_body(receiver, "a", wait=5))
        later = await add(svc, "later", add_body(receiver, "a", wait=6))
        await svc.tick(5)
        (req,) = await receiver.wait_for(1)
        assert req.json()["data"]["group_key"] == "soon"
        assert (await svc.client.get(f"/v1/waits/-/{later['id']}")).json()["status"] == "waiting"

    async def test_a_quorum_in_a_transaction_the_expiry_races_is_never_also_a_timeout(
        self, svc: Service, receiver: Receiver
    ) -> None:
        opened = await add(svc, "grp", add_body(receiver, "a", expected=2, wait=5))
        svc.clock.advance(10)  # the timer has passed, no tick yet
        db = svc.runtime.db
        body = ParticipantAdd.model_validate(add_body(receiver, "b", expected=2, wait=5))
        async with db.transaction() as tx:
            added, _ = await service.add_participant(tx, namespace="default", group_key="grp", body=body)
            assert added.reason == "quorum"
            # the expiry runs while the quorum is uncommitted: PostgreSQL skips the locked row, SQLite waits
            expiry = asyncio.create_task(db.run(lambda t: service.expire_due(t, limit=10)))
            await asyncio.sleep(0.2)
        assert await expiry == 0
        await svc.tick(60)
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        assert (req.json()["data"]["wait_id"], req.json()["data"]["reason"]) == (opened["id"], "quorum")
        assert len(receiver.requests) == 1

    async def test_a_tick_times_out_a_batch_with_one_update_and_one_insert(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory()
        for i in range(5):
            await add(svc, f"g{i}", add_body(receiver, "a", wait=5))
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            statements.append(" ".join(sql.split()[:3]))

        engine = svc.runtime.db.engine.sync_engine
        svc.clock.advance(5)
        event.listen(engine, "before_cursor_execute", count)
        try:
            fired = await svc.runtime.db.run(lambda tx: service.expire_due(tx, limit=1000))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert fired == 5
        writes = [s for s in statements if not s.startswith(("SELECT pg_notify", "BEGIN", "COMMIT"))]
        participants = (
            [] if is_postgres() else ["SELECT wait_participants.wait_id, wait_participants.participant_key"]
        )
        assert writes == ["UPDATE waits SET", *participants, "INSERT INTO deliveries"]

    async def test_the_scheduler_fires_a_timer_at_its_deadline_not_at_the_next_tick(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory(
            clock=SystemClock(), scheduler_enabled=True, deadline_interval_seconds=2.0
        )
        opened = await add(svc, "grp", add_body(receiver, "a", expected=2, wait=2.5))
        (req,) = await receiver.wait_for(1, timeout=10)
        deadline = datetime.fromisoformat(opened["deadline_at"])
        late = (datetime.fromisoformat(req.json()["created_at"]) - deadline).total_seconds()
        assert 0 <= late < 0.9  # the next tick falls 1.5 s after the deadline; the timer job is on time
        assert svc.runtime.scheduler is not None
        svc.runtime.scheduler.pause()
        await asyncio.sleep(0.3)  # a run under way (the timer's next read) ends before the app stops

    async def test_the_timer_job_fires_each_due_wait_once_whatever_the_batches(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory(scheduler_batch_size=2)
        for i in range(7):
            await add(svc, f"g{i}", add_body(receiver, "a", wait=5 + i % 2))
        svc.clock.advance(5)
        assert await svc.runtime.ticks.expire_timers() == 4  # side by side on PostgreSQL, SKIP LOCKED
        svc.clock.advance(1)
        assert await svc.runtime.ticks.expire_timers() == 3
        await svc.settle()
        reqs = await receiver.wait_for(7)
        assert Counter(r.json()["data"]["group_key"] for r in reqs) == {f"g{i}": 1 for i in range(7)}
        assert await svc.runtime.ticks.next_timer() is None

    async def test_kinds_of_deadline_take_turns_a_batch_each(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory(scheduler_batch_size=2)
        for i in range(5):
            await add(svc, f"g{i}", add_body(receiver, "a", wait=5))
        for i in range(3):
            body = {
                "id": f"gt{i}",
                "job_ids": [f"j{i}"],
                "timeout_seconds": 5,
                "callback": {"url": receiver.url},
            }
            assert (await svc.client.post("/v1/gathers", json=body)).status_code == 201
        calls: list[tuple[str, int]] = []

        def spy(kind: str, expire: Any) -> Any:
            async def counted(tx: Any, *, limit: int) -> int:
                count: int = await expire(tx, limit=limit)
                calls.append((kind, count))
                return count

            return counted

        svc.clock.advance(5)
        with (
            patch.object(service, "expire_due", spy("waits", service.expire_due)),
            patch.object(gathers, "expire_due", spy("gathers", gathers.expire_due)),
        ):
            assert await svc.runtime.ticks.expire_deadlines() == 8
        assert calls == [("gathers", 2), ("waits", 2), ("gathers", 1), ("waits", 2), ("waits", 1)]
        assert await svc.runtime.ticks.next_timer() is None


class TestCancel:
    async def test_cancel_means_no_callback_even_when_the_timer_passes(
        self, svc: Service, receiver: Receiver
    ) -> None:
        first = await add(svc, "grp", add_body(receiver, "a", wait=5))
        r = await svc.client.delete("/v1/waits/grp")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        await svc.tick(60)
        assert receiver.requests == []
        fresh = await add(svc, "grp", add_body(receiver, "b"), expect=201)
        assert fresh["id"] != first["id"] and fresh["participants"] == ["b"]

    async def test_a_cancel_that_names_its_wait_takes_no_other(
        self, svc: Service, receiver: Receiver
    ) -> None:
        first = await add(svc, "grp", add_body(receiver, "a", expected=1))  # resolved at once by quorum
        second = await add(svc, "grp", add_body(receiver, "b", expected=2), expect=201)
        stale = await svc.client.delete("/v1/waits/grp", params={"wait_id": first["id"]})
        assert stale.status_code == 409, stale.text
        assert second["id"] in stale.json()["detail"]
        assert (await svc.client.get("/v1/waits/grp")).json()["status"] == "waiting"
        meant = await svc.client.delete("/v1/waits/grp", params={"wait_id": second["id"]})
        assert meant.status_code == 200 and meant.json()["id"] == second["id"]
        again = await svc.client.delete("/v1/waits/grp", params={"wait_id": second["id"]})
        assert again.status_code == 409 and "has ended" in again.json()["detail"]
        other = await add(svc, "other", add_body(receiver, "c", expected=2), expect=201)
        third = await add(svc, "grp", add_body(receiver, "d", expected=2), expect=201)
        wrong = await svc.client.delete("/v1/waits/grp", params={"wait_id": other["id"]})
        assert wrong.status_code == 404  # a wait of another group, whether or not this group has one open
        unknown = await svc.client.delete("/v1/waits/grp", params={"wait_id": "wt_" + "0" * 26})
        assert unknown.status_code == 404
        bad = await svc.client.delete("/v1/waits/grp", params={"wait_id": "x"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "wait_id"
        assert (await svc.client.get("/v1/waits/-/" + other["id"])).json()["status"] == "waiting"
        assert (await svc.client.get("/v1/waits/-/" + third["id"])).json()["status"] == "waiting"

    async def test_cancel_of_an_unknown_key_is_404_problem(self, svc: Service) -> None:
        r = await svc.client.delete("/v1/waits/nobody")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert (await svc.client.get("/v1/waits/nobody")).status_code == 404


class TestLongPoll:
    async def test_long_poll_is_woken_by_quorum(self, svc: Service, receiver: Receiver) -> None:
        await add(svc, "grp", add_body(receiver, "a", expected=2))
        poll = asyncio.create_task(svc.client.get("/v1/waits/grp", params={"wait": 30}))
        await asyncio.wait_for(svc.runtime.notifier.polling(("wait", "default", "grp")), 5)
        assert not poll.done()
        await add(svc, "grp", add_body(receiver, "b", expected=2))
        r = await asyncio.wait_for(poll, 5)
        assert (r.json()["status"], r.json()["reason"]) == ("resolved", "quorum")


class TestValidation:
    async def test_missing_fields_are_one_422_naming_each(self, svc: Service) -> None:
        r = await svc.client.post("/v1/waits/grp/participants", json={})
        assert r.status_code == 422
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {"participant_key", "expected_participants", "wait_seconds", "callback"}
        for name in fields:
            assert name in r.json()["detail"]
        assert (await svc.client.get("/v1/waits")).json()["items"] == []

    async def test_invalid_fields_name_their_reason(self, svc: Service, receiver: Receiver) -> None:
        body = add_body(receiver, "bad key", expected=0, wait=-1, max_wait_seconds=0)
        r = await svc.client.post("/v1/waits/grp/participants", json=body)
        assert r.status_code == 422
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {"participant_key", "expected_participants", "wait_seconds", "max_wait_seconds"}
        assert (await svc.client.get("/v1/waits")).json()["items"] == []

    async def test_bad_group_key_is_422(self, svc: Service, receiver: Receiver) -> None:
        r = await svc.client.post("/v1/waits/-bad/participants", json=add_body(receiver, "a"))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "group_key"


async def test_100_concurrent_adds_of_50_keys_fire_one_quorum_naming_50(
    service_factory: Any, receiver: Receiver
) -> None:
    replicas: list[Service] = [await service_factory(), await service_factory()]
    keys = [f"p{i}" for i in range(50)] * 2
    random.Random(5).shuffle(keys)

    async def join(i: int, key: str) -> int:
        body = add_body(receiver, key, expected=50, wait=30)
        r = await replicas[i % 2].client.post("/v1/waits/race/participants", json=body)
        return r.status_code

    codes = await asyncio.gather(*(join(i, k) for i, k in enumerate(keys)))
    assert set(codes) <= {200, 201}
    for svc in replicas:
        await svc.settle()
    await receiver.wait_for(1)
    quorum = [r.json() for r in receiver.requests if r.json()["data"]["reason"] == "quorum"]
    assert len(quorum) == 1
    assert sorted(quorum[0]["data"]["participants"]) == sorted(set(keys))
    waits = (await replicas[0].client.get("/v1/waits", params={"group_key": "race"})).json()["items"]
    resolved = [w for w in waits if w["status"] == "resolved"]
    assert len(resolved) == 1 and resolved[0]["participant_count"] == 50
    deliveries = (await replicas[0].client.get("/v1/deliveries")).json()["items"]
    assert Counter(d["subject_id"] for d in deliveries) == {resolved[0]["id"]: 1}
    async with replicas[0].runtime.db.read() as conn:
        rows = (
            await conn.execute(
                sa.select(wait_participants.c.participant_key).where(
                    wait_participants.c.wait_id == resolved[0]["id"]
                )
            )
        ).scalars()
        assert Counter(rows) == {k: 1 for k in set(keys)}


async def test_an_add_that_reaches_no_quorum_runs_two_statements_on_postgresql(
    svc: Service, receiver: Receiver
) -> None:
    """The wait is opened or taken by one upsert; the join, the counter and the preview are one more
    statement on PostgreSQL (SQLite, with no writes in CTEs, joins and saves separately)."""
    await add(svc, "few", add_body(receiver, "a", expected=5))
    with statements(svc) as seen:
        body = await add(svc, "few", add_body(receiver, "b", expected=5))
    assert body["participant_count"] == 2
    assert body["participants"] == ["a", "b"]
    assert seen[0].startswith("INSERT INTO waits")
    assert len(seen) == (2 if svc.runtime.db.engine.dialect.name == "postgresql" else 4)
    with statements(svc) as repeat:
        body = await add(svc, "few", add_body(receiver, "b", expected=5))
    assert (body["participant_count"], body["counted"]) == (2, False)
    assert len(repeat) == len(seen)
