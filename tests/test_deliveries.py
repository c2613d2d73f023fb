"""Deliveries: retries with a stable webhook-id, 410, dead letters, redelivery, leases, signatures."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.config import Settings
from app.core import replicas
from app.deliveries import service as outbox
from app.deliveries.models import deliveries
from app.deliveries.sender import SendResult
from app.main import create_app
from tests.conftest import Service, make_settings
from tests.receiver import Receiver, Reply


async def fire(svc: Service, receiver: Receiver, gid: str = "g", **callback: Any) -> None:
    """Create a zero-job gather: it resolves at once and enqueues one delivery."""
    body = {"id": gid, "job_ids": [], "callback": {"url": f"{receiver.url}/cb", **callback}}
    r = await svc.client.post("/v1/gathers", json=body)
    assert r.status_code == 201, r.text


async def only_delivery(svc: Service) -> dict[str, Any]:
    (item,) = (await svc.client.get("/v1/deliveries")).json()["items"]
    detail: dict[str, Any] = (await svc.client.get(f"/v1/deliveries/{item['id']}")).json()
    return detail


class TestRetries:
    async def test_500_twice_then_200_is_three_attempts_with_one_webhook_id(
        self, svc: Service, receiver: Receiver
    ) -> None:
        receiver.reply_with(Reply(500), Reply(500))
        await fire(svc, receiver)
        await svc.settle()
        assert len(receiver.requests) == 1
        await svc.tick(3)  # the second attempt is due 5 s ± 20 % later
        assert len(receiver.requests) == 1
        await svc.tick(4)
        assert len(receiver.requests) == 2
        await svc.tick(5 * 60 * 1.2)
        reqs = await receiver.wait_for(3)
        assert len({r.headers["webhook-id"] for r in reqs}) == 1
        assert len({r.body for r in reqs}) == 1
        delivery = await only_delivery(svc)
        assert delivery["status"] == "succeeded"
        assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 200]
        assert delivery["attempts"] == 3
        assert all(a["duration_ms"] >= 0 for a in delivery["attempt_log"])

    async def test_410_stops_at_once(self, svc: Service, receiver: Receiver) -> None:
        receiver.reply_with(Reply(410))
        await fire(svc, receiver)
        await svc.settle()
        await svc.tick(86400)
        assert len(receiver.requests) == 1
        dead = (await svc.client.get("/v1/deliveries", params={"status": "dead"})).json()["items"]
        assert [d["last_status_code"] for d in dead] == [410]

    async def test_exhausted_schedule_is_dead_and_redeliver_sends_again(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory(delivery_retry_schedule=[0, 10])
        receiver.reply_with(Reply(503), Reply(503))
        await fire(svc, receiver)
        await svc.settle()
        await svc.tick(13)
        delivery = await only_delivery(svc)
        assert delivery["status"] == "dead"
        assert delivery["last_error"] == "HTTP 503"
        r = await svc.client.post(f"/v1/deliveries/{delivery['id']}/redeliver")
        assert r.status_code == 200 and r.json()["status"] == "pending"
        await svc.settle()
        reqs = await receiver.wait_for(3)
        assert len({r.headers["webhook-id"] for r in reqs}) == 1
        delivery = await only_delivery(svc)
        assert (delivery["status"], delivery["attempts"]) == ("succeeded", 3)

    async def test_redeliver_while_pending_is_409(self, service_factory: Any, receiver: Receiver) -> None:
        svc = await service_factory()
        receiver.reply_with(Reply(500))
        await fire(svc, receiver)
        await svc.settle()
        delivery = await only_delivery(svc)
        r = await svc.client.post(f"/v1/deliveries/{delivery['id']}/redeliver")
        assert r.status_code == 409

    async def test_retry_after_is_honoured(self, svc: Service, receiver: Receiver) -> None:
        receiver.reply_with(Reply(429, headers={"retry-after": "120"}))
        await fire(svc, receiver)
        await svc.settle()
        await svc.tick(100)
        assert len(receiver.requests) == 1
        await svc.tick(21)
        assert len(receiver.requests) == 2

    async def test_retry_after_as_an_http_date_is_honoured(self, svc: Service, receiver: Receiver) -> None:
        later = format_datetime(svc.clock.now() + timedelta(seconds=600), usegmt=True)
        receiver.reply_with(Reply(503, headers={"retry-after": later}))
        await fire(svc, receiver)
        await svc.settle()
        await svc.tick(590)
        assert len(receiver.requests) == 1
        await svc.tick(11)
        assert len(receiver.requests) == 2

    async def test_the_response_read_is_capped(self, service_factory: Any, receiver: Receiver) -> None:
        svc = await service_factory(delivery_response_cap_bytes=10)
        receiver.reply_with(Reply(200, body=b"x" * 200_000))
        await fire(svc, receiver)
        await svc.settle()
        delivery = await only_delivery(svc)
        assert delivery["status"] == "succeeded"
        assert delivery["attempt_log"][0]["response_body"] == "x" * 10

    async def test_a_dripping_receiver_is_cut_off_at_the_timeout(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc = await service_factory(delivery_timeout_seconds=0.5)
        receiver.reply_with(Reply(200, body=b"y" * 100, drip_seconds=0.1))  # 10 s in all, 0.1 s per read
        await fire(svc, receiver)
        started = time.perf_counter()
        await svc.settle()
        assert time.perf_counter() - started < 3
        delivery = await only_delivery(svc)
        assert delivery["status"] == "pending"
        assert delivery["last_error"] == "timed out after 0.5 s"

    async def test_unknown_delivery_is_404(self, svc: Service) -> None:
        unknown = "dlv_" + "0" * 26
        assert (await svc.client.get(f"/v1/deliveries/{unknown}")).status_code == 404
        assert (await svc.client.post(f"/v1/deliveries/{unknown}/redeliver")).status_code == 404

    async def test_malformed_delivery_id_is_422(self, svc: Service) -> None:
        r = await svc.client.get("/v1/deliveries/nope")
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "delivery_id"


class TestLeases:
    async def test_delivery_claimed_by_a_stuck_worker_is_retried_after_its_lease(
        self, svc: Service, receiver: Receiver
    ) -> None:
        """A replica that keeps beating but never answers: its lease decides."""
        await svc.runtime.deliverer.idle()  # a drain begun at start-up claims nothing later
        svc.runtime.db.listeners.pop("delivery")  # keep the live deliverer from taking it first
        await fire(svc, receiver)
        async with svc.runtime.db.transaction() as tx:
            (claimed,) = await outbox.claim_due(tx, worker="wrk_stuck", limit=10, lease_seconds=30)
        await svc.tick(4, alive=["wrk_stuck"])
        await svc.tick(4, alive=["wrk_stuck"])
        await svc.tick(2, alive=["wrk_stuck"])
        assert receiver.requests == []
        await svc.tick(25, alive=["wrk_stuck"])  # the lease ran out: a failed attempt, retried in 5 s ± 20 %
        assert receiver.requests == []
        await svc.tick(7)
        (req,) = await receiver.wait_for(1)
        assert req.headers["webhook-id"] == claimed.event_id
        delivery = await only_delivery(svc)
        assert delivery["status"] == "succeeded"
        assert "lease expired" in delivery["attempt_log"][0]["error"]

    async def test_a_late_worker_cannot_overwrite_the_new_owner(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await svc.runtime.deliverer.idle()  # a drain begun at start-up claims nothing later
        svc.runtime.db.listeners.pop("delivery")
        await fire(svc, receiver)
        async with svc.runtime.db.transaction() as tx:
            (claimed,) = await outbox.claim_due(tx, worker="wrk_slow", limit=10, lease_seconds=30)
        await svc.tick(31)
        async with svc.runtime.db.transaction() as tx:
            status = await outbox.record(
                tx,
                claimed,
                SendResult(False, 500, 1.0, error="HTTP 500"),
                worker="wrk_slow",
                started_at=svc.clock.now(),
                schedule=[0, 5],
                jitter=0,
                max_retry_after=60,
            )
        assert status == "lost"
        await svc.tick(7)
        assert (await only_delivery(svc))["status"] == "succeeded"

    async def test_a_stale_result_from_an_earlier_claim_by_the_same_worker_is_lost(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await svc.runtime.deliverer.idle()  # a drain begun at start-up claims nothing later
        svc.runtime.db.listeners.pop("delivery")
        await fire(svc, receiver)
        async with svc.runtime.db.transaction() as tx:
            (first,) = await outbox.claim_due(tx, worker="wrk_a", limit=10, lease_seconds=30)
        svc.clock.advance(31)
        await svc.runtime.ticks.reclaim_leases()
        svc.clock.advance(7)
        async with svc.runtime.db.transaction() as tx:
            (second,) = await outbox.claim_due(tx, worker="wrk_a", limit=10, lease_seconds=30)
        assert second.attempt == first.attempt + 1

        async def record(claimed: outbox.Claimed, result: SendResult) -> str:
            async with svc.runtime.db.transaction() as tx:
                return await outbox.record(
                    tx,
                    claimed,
                    result,
                    worker="wrk_a",
                    started_at=svc.clock.now(),
                    schedule=[0, 5],
                    jitter=0,
                    max_retry_after=60,
                )

        assert await record(first, SendResult(False, 500, 1.0, error="HTTP 500")) == "lost"
        assert await record(second, SendResult(True, 200, 1.0)) == "succeeded"
        delivery = await only_delivery(svc)
        assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)


class TestSignature:
    async def test_signature_verifies_with_standardwebhooks(self, svc: Service, receiver: Receiver) -> None:
        await fire(svc, receiver, headers={"X-Tenant": "7"})
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        secret = (await svc.client.get("/v1/namespace")).json()["signing_secret"]
        assert secret.startswith("whsec_")
        payload = Webhook(secret).verify(req.body, req.headers)
        assert payload["type"] == "gather.succeeded"
        assert req.headers["x-tenant"] == "7"
        assert req.headers["content-type"] == "application/json"

    async def test_tampered_body_does_not_verify(self, svc: Service, receiver: Receiver) -> None:
        await fire(svc, receiver)
        await svc.settle()
        (req,) = await receiver.wait_for(1)
        secret = (await svc.client.get("/v1/namespace")).json()["signing_secret"]
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(req.body.replace(b"succeeded", b"failed"), req.headers)


async def test_a_claim_never_takes_more_than_its_limit(svc: Service, receiver: Receiver) -> None:
    """Also on a fresh PostgreSQL table, whose missing statistics once let a LIMIT subquery run per row."""
    await svc.runtime.deliverer.idle()  # a drain begun at start-up claims nothing later
    svc.runtime.db.listeners.pop("delivery")
    for i in range(60):
        await fire(svc, receiver, gid=f"g{i}")
    async with svc.runtime.db.transaction() as tx:
        claimed = await outbox.claim_due(tx, worker="wrk_x", limit=7, lease_seconds=30)
    assert len(claimed) == 7
    pending = (await svc.client.get("/v1/deliveries", params={"status": "pending", "limit": 100})).json()
    assert len(pending["items"]) == 53


class TestWrittenHere:
    """Deliveries this process writes leave straight after their commit, already claimed by it."""

    async def test_rows_left_for_a_claim_go_before_new_writes(self, service_factory: Any) -> None:
        """Once a transaction wrote rows pending for want of room, new writes get no room until a claim
        finds fewer due rows than it could take: a steady stream of new callbacks cannot hold them back."""
        svc: Service = await service_factory(delivery_concurrency=4)
        deliverer = svc.runtime.deliverer
        await deliverer.idle()
        assert deliverer.reserve(6) == 4  # two rows written pending
        deliverer.take(4, [], committed=False)  # rolled back: the room comes back
        assert deliverer.reserve(1) == 0  # the rows left pending are first
        await deliverer.drain()  # a claim that finds fewer due rows than its room ends the backlog
        assert deliverer.reserve(1) == 1
        deliverer.take(1, [], committed=False)

    async def test_a_callback_written_here_is_sent_without_a_claim(
        self, svc: Service, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        claims: list[int] = []
        real_claim = outbox.claim_due

        async def counted(tx: Any, **kwargs: Any) -> list[outbox.Claimed]:
            claims.append(kwargs["limit"])
            return await real_claim(tx, **kwargs)

        await svc.runtime.deliverer.idle()  # the drain every start runs
        monkeypatch.setattr(outbox, "claim_due", counted)
        await fire(svc, receiver)
        (req,) = await receiver.wait_for(1)
        await svc.runtime.deliverer.idle()
        assert claims == []
        delivery = await only_delivery(svc)
        assert (delivery["status"], delivery["attempts"]) == ("succeeded", 1)
        assert req.headers["webhook-id"] == delivery["event_id"]
        secret = (await svc.client.get("/v1/namespace")).json()["signing_secret"]
        assert Webhook(secret).verify(req.body, req.headers)["type"] == "gather.succeeded"

    async def test_only_as_many_as_there_is_room_for_are_written_claimed(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(delivery_concurrency=2)
        deliverer = svc.runtime.deliverer
        events = [
            outbox.Event(
                "default", "gather.succeeded", ("gather", f"g{i}"), {"url": f"{receiver.url}/cb"}, {}
            )
            for i in range(5)
        ]
        async with svc.runtime.db.transaction() as tx:
            await outbox.enqueue_many(tx, events)
            assert deliverer.room() == 0
            written = await tx.conn.execute(sa.select(deliveries.c.status, deliveries.c.locked_by))
            assert sorted(written) == [("delivering", deliverer.worker_id)] * 2 + [("pending", None)] * 3
        await svc.settle()
        await receiver.wait_for(5)
        rows = (await svc.client.get("/v1/deliveries", params={"limit": 10})).json()["items"]
        assert [r["status"] for r in rows] == ["succeeded"] * 5
        assert deliverer.room() == 2

    async def test_a_rolled_back_write_gives_its_room_back(self, svc: Service, receiver: Receiver) -> None:
        deliverer = svc.runtime.deliverer
        room = deliverer.room()
        with pytest.raises(RuntimeError):
            async with svc.runtime.db.transaction() as tx:
                event = outbox.Event(
                    "default", "gather.succeeded", ("gather", "g"), {"url": receiver.url}, {}
                )
                await outbox.enqueue_many(tx, [event])
                assert deliverer.room() == room - 1
                raise RuntimeError("rolled back")
        assert deliverer.room() == room
        await svc.settle()
        assert receiver.requests == []
        assert (await svc.client.get("/v1/deliveries")).json()["items"] == []

    async def test_one_written_claimed_can_be_withdrawn_in_the_same_transaction(
        self, svc: Service, receiver: Receiver
    ) -> None:
        deliverer = svc.runtime.deliverer
        room = deliverer.room()
        async with svc.runtime.db.transaction() as tx:
            events = [
                outbox.Event("default", "task.requested", ("job", j), {"url": receiver.url}, {})
                for j in ("a", "b")
            ]
            await outbox.enqueue_many(tx, events)
            withdrawn = await outbox.withdraw(
                tx, namespace="default", event_type="task.requested", subject_kind="job", subject_ids=["a"]
            )
            assert withdrawn == {"a"}
        await svc.settle()
        assert [r.json()["data"] for r in await receiver.wait_for(1)] == [{}]
        (left,) = (await svc.client.get("/v1/deliveries")).json()["items"]
        assert (left["subject_id"], left["status"]) == ("b", "succeeded")
        assert deliverer.room() == room

    async def test_a_row_written_claimed_by_a_process_that_died_is_retried_after_its_lease(
        self, svc: Service, receiver: Receiver
    ) -> None:
        class Dead:
            """A deliverer that takes the rows and dies before sending them."""

            worker_id = "wrk_dead"
            lease_seconds = 30.0

            def __call__(self, payloads: list[Any]) -> None:
                pass

            def reserve(self, wanted: int) -> int:
                return wanted

            def take(self, reserved: int, items: list[outbox.Claimed], committed: bool) -> None:
                pass

        live = svc.runtime.db.listeners["delivery"]
        svc.runtime.db.listeners["delivery"] = Dead()
        await fire(svc, receiver)
        svc.runtime.db.listeners["delivery"] = live
        delivery = await only_delivery(svc)
        assert (delivery["status"], delivery["attempts"]) == ("delivering", 1)
        await svc.tick(1)  # its replica has no heartbeat: taken over at once, not after its lease
        (req,) = await receiver.wait_for(1)
        delivery = await only_delivery(svc)
        assert req.headers["webhook-id"] == delivery["event_id"]
        assert (delivery["status"], delivery["attempts"], delivery["interrupted"]) == ("succeeded", 2, 1)
        assert delivery["attempt_log"][0]["error"].startswith("interrupted")


class TestReplicas:
    """Replicas beat; the claims of one that went silent are taken over within seconds, not counted."""

    async def test_the_claims_of_a_replica_that_stopped_beating_are_released_at_once(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await svc.runtime.deliverer.idle()
        svc.runtime.db.listeners.pop("delivery")
        await fire(svc, receiver)
        async with svc.runtime.db.transaction() as tx:
            (claimed,) = await outbox.claim_due(tx, worker="wrk_other", limit=10, lease_seconds=30)
        for _ in range(3):  # beating: kept, whatever the clock says
            await svc.tick(4, alive=["wrk_other"])
        assert receiver.requests == []
        await svc.tick(4)  # its last beat was 4 s ago: still alive
        assert receiver.requests == []
        await svc.tick(2)  # 6 s of silence, more than replica_stale_seconds (5)
        (req,) = await receiver.wait_for(1)
        assert req.headers["webhook-id"] == claimed.event_id
        delivery = await only_delivery(svc)
        assert (delivery["status"], delivery["attempts"], delivery["interrupted"]) == ("succeeded", 2, 1)
        first, second = delivery["attempt_log"]
        assert first["error"].startswith("interrupted") and first["status_code"] is None
        assert second["status_code"] == 200
        # The stopped replica's answer, should it come after all, cannot overwrite the new outcome.
        async with svc.runtime.db.transaction() as tx:
            late = await outbox.record(
                tx,
                claimed,
                SendResult(False, 500, 1.0, error="HTTP 500"),
                worker="wrk_other",
                started_at=svc.clock.now(),
                schedule=[0, 5],
                jitter=0,
                max_retry_after=60,
            )
        assert late == "lost"
        assert (await only_delivery(svc))["status"] == "succeeded"

    async def test_claims_lost_to_crashes_never_spend_the_retry_schedule(
        self, service_factory: Any, receiver: Receiver
    ) -> None:
        svc: Service = await service_factory(delivery_retry_schedule=[0], delivery_jitter=0)
        await svc.runtime.deliverer.idle()
        svc.runtime.db.listeners.pop("delivery")
        await fire(svc, receiver)
        for n in range(5):  # five replicas in a row die holding it
            async with svc.runtime.db.transaction() as tx:
                (claimed,) = await outbox.claim_due(tx, worker=f"wrk_crash{n}", limit=10, lease_seconds=30)
            assert claimed.attempt == n + 1
            svc.clock.advance(1)
            await svc.runtime.ticks.heartbeat()
            delivery = await only_delivery(svc)
            assert (delivery["status"], delivery["interrupted"]) == ("pending", n + 1)
        await svc.tick(0)
        await receiver.wait_for(1)
        delivery = await only_delivery(svc)
        assert (delivery["status"], delivery["attempts"], delivery["interrupted"]) == ("succeeded", 6, 5)

    async def test_a_replica_beats_from_its_start_and_leaves_when_it_stops(
        self, svc: Service, database_url: str
    ) -> None:
        async def ids() -> set[str]:
            async with svc.runtime.db.read() as conn:
                return set((await conn.execute(sa.select(replicas.replicas.c.id))).scalars())

        other = create_app(make_settings(database_url), clock=svc.clock)
        lifespan = other.router.lifespan_context(other)
        await lifespan.__aenter__()
        me, them = svc.runtime.deliverer.worker_id, other.state.runtime.deliverer.worker_id
        assert {me, them} <= await ids()
        await lifespan.__aexit__(None, None, None)
        assert me in await ids() and them not in await ids()

    async def test_its_own_claims_are_never_orphans_to_a_replica(
        self, svc: Service, receiver: Receiver
    ) -> None:
        await svc.runtime.deliverer.idle()
        svc.runtime.db.listeners.pop("delivery")
        await fire(svc, receiver)
        me = svc.runtime.deliverer.worker_id
        async with svc.runtime.db.transaction() as tx:
            await outbox.claim_due(tx, worker=me, limit=10, lease_seconds=30)
        svc.clock.advance(20)  # its own heartbeat is stale by now
        async with svc.runtime.db.transaction() as tx:
            assert await outbox.release_orphans(tx, me=me, stale_after=5, limit=10) == 0
        assert (await only_delivery(svc))["status"] == "delivering"

    def test_stale_must_be_at_least_two_heartbeats(self) -> None:
        with pytest.raises(ValueError, match="replica_stale_seconds"):
            Settings(replica_heartbeat_seconds=3, replica_stale_seconds=5)


async def test_outcomes_recorded_together_keep_each_claims_guard(svc: Service, receiver: Receiver) -> None:
    """One transaction for many outcomes: a stale claim is lost, each other delivery moves as it would alone,
    and the dead ones are published in the transaction that marks them."""
    await svc.runtime.deliverer.idle()  # a drain begun at start-up claims nothing later
    svc.runtime.db.listeners.pop("delivery")
    for i in range(4):
        await fire(svc, receiver, gid=f"g{i}")
    async with svc.runtime.db.transaction() as tx:
        claimed = await outbox.claim_due(tx, worker="wrk_b", limit=10, lease_seconds=30)
    by_subject = {c.subject_id: c for c in claimed}
    seen: list[tuple[str, list[str]]] = []

    async def on_dead(tx: Any, event: outbox.DeliveriesDead) -> None:
        ids = [by_subject[d.subject_id].id for d in event.dead]
        rows = await tx.conn.execute(
            sa.select(deliveries.c.status).where(deliveries.c.id.in_(ids)).order_by(deliveries.c.id)
        )
        seen.append((event.namespace, [s for (s,) in rows]))
        assert [d.last_status for d in event.dead] == [410]

    svc.runtime.db.subscribe(outbox.DeliveriesDead, on_dead)
    now = svc.clock.now()
    outcomes = [
        outbox.Outcome(by_subject["g0"], SendResult(True, 200, 1.0), now),
        outbox.Outcome(by_subject["g1"], SendResult(False, 410, 1.0, error="HTTP 410"), now),
        outbox.Outcome(by_subject["g2"], SendResult(False, 500, 1.0, error="HTTP 500"), now),
        # an outcome of an earlier claim of the same row: the guard on its attempt keeps it out
        outbox.Outcome(dataclasses.replace(by_subject["g3"], attempt=0), SendResult(True, 200, 1.0), now),
    ]
    async with svc.runtime.db.transaction() as tx:
        statuses = await outbox.record_many(
            tx, outcomes, worker="wrk_b", schedule=[0, 5], jitter=0, max_retry_after=60
        )
    assert statuses == ["succeeded", "dead", "pending", "lost"]
    assert seen == [("default", ["dead"])]
    async with svc.runtime.db.transaction() as tx:  # another worker's outcome never moves a row
        late = outbox.Outcome(by_subject["g3"], SendResult(True, 200, 1.0), now)
        assert await outbox.record_many(
            tx, [late], worker="wrk_other", schedule=[0, 5], jitter=0, max_retry_after=60
        ) == ["lost"]
    rows = {r["subject_id"]: r for r in (await svc.client.get("/v1/deliveries")).json()["items"]}
    assert {g: rows[g]["status"] for g in rows} == {
        "g0": "succeeded",
        "g1": "dead",
        "g2": "pending",
        "g3": "delivering",
    }
    g2 = (await svc.client.get(f"/v1/deliveries/{by_subject['g2'].id}")).json()
    assert g2["next_attempt_at"] is not None and g2["last_status_code"] == 500


async def test_a_subject_s_callbacks_are_listed_by_its_kind_and_id(svc: Service, receiver: Receiver) -> None:
    await fire(svc, receiver, "shared-id")
    await svc.settle()
    found = (await svc.client.get("/v1/deliveries?subject_kind=gather&subject_id=shared-id")).json()
    assert [(d["subject_kind"], d["subject_id"]) for d in found["items"]] == [("gather", "shared-id")]
    other = await svc.client.get("/v1/deliveries?subject_kind=run&subject_id=shared-id")
    assert other.json()["items"] == []
