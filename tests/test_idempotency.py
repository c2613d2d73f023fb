"""Idempotency-Key on POST: replay byte for byte, 422 on another body, 409 while running, per namespace."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.access import idempotency
from app.access.models import idempotency_keys
from app.core import replicas
from tests.conftest import Service

HOUR = 3600.0


def idem(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


async def claim(svc: Service, key: str, body: bytes, *, owner: str, replica: str | None = None) -> None:
    """Claim a key as a request of another process would (and then, say, die)."""
    print_ = idempotency.fingerprint("POST", "/v1/jobs", b"", body)
    lease, ttl = timedelta(seconds=120), timedelta(hours=24)
    outcome = await svc.runtime.db.run(
        lambda tx: idempotency.claim(
            tx,
            namespace="default",
            key=key,
            fingerprint=print_,
            owner=owner,
            lease=lease,
            ttl=ttl,
            replica=replica,
        )
    )
    assert outcome.action == "run"


class TestReplay:
    async def test_50_concurrent_identical_posts_make_one_resource(self, svc: Service) -> None:
        replies = await asyncio.gather(
            *(svc.client.post("/v1/jobs", json={"name": "once"}, headers=idem("k-50")) for _ in range(50))
        )
        assert {r.status_code for r in replies} == {201}
        assert len({r.content for r in replies}) == 1
        assert sum(r.headers.get("idempotent-replayed") == "true" for r in replies) == 49
        jobs = (await svc.client.get("/v1/jobs?name=once")).json()["items"]
        assert len(jobs) == 1 and jobs[0]["id"] == replies[0].json()["id"]

    async def test_the_replay_is_byte_for_byte_for_24_hours(self, svc: Service) -> None:
        first = await svc.client.post("/v1/jobs", json={}, headers=idem("k1"))
        svc.clock.advance(23 * HOUR)
        again = await svc.client.post("/v1/jobs", json={}, headers=idem("k1"))
        assert (again.status_code, again.content) == (first.status_code, first.content)
        assert again.headers["content-type"] == first.headers["content-type"]
        svc.clock.advance(HOUR + 1)
        later = await svc.client.post("/v1/jobs", json={}, headers=idem("k1"))
        assert later.status_code == 201 and later.json()["id"] != first.json()["id"]

    async def test_errors_are_replayed_too(self, svc: Service) -> None:
        await svc.client.put("/v1/jobs/j", json={"name": "a"})
        first = await svc.client.put("/v1/jobs/j", json={"name": "b"})
        assert first.status_code == 409
        conflict = await svc.client.post("/v1/jobs", json={"id": "j", "name": "b"}, headers=idem("k409"))
        await svc.client.put("/v1/jobs/other", json={})
        replay = await svc.client.post("/v1/jobs", json={"id": "j", "name": "b"}, headers=idem("k409"))
        assert conflict.status_code == replay.status_code == 409 and replay.content == conflict.content

    async def test_without_the_header_nothing_is_recorded(self, svc: Service) -> None:
        a = await svc.client.post("/v1/jobs", json={})
        b = await svc.client.post("/v1/jobs", json={})
        assert a.json()["id"] != b.json()["id"]


class TestRefusals:
    async def test_the_same_key_with_another_body_is_422(self, svc: Service) -> None:
        await svc.client.post("/v1/jobs", json={"name": "a"}, headers=idem("k2"))
        r = await svc.client.post("/v1/jobs", json={"name": "b"}, headers=idem("k2"))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "Idempotency-Key"
        other_path = await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": []}, headers=idem("k2"))
        assert other_path.status_code == 422

    async def test_while_the_first_runs_a_repeat_is_409(self, service_factory: Any) -> None:
        svc: Service = await service_factory(idempotency_wait_seconds=0)
        body = b'{"name":"slow"}'
        await claim(svc, "k3", body, owner="idm_first")
        headers = idem("k3", **{"content-type": "application/json"})
        r = await svc.client.post("/v1/jobs", content=body, headers=headers)
        assert r.status_code == 409 and "in progress" in r.json()["detail"]
        svc.clock.advance(121)  # the first request's process died before committing: its lease ran out
        taken = await svc.client.post("/v1/jobs", content=body, headers=headers)
        assert taken.status_code == 201
        # The first request, late, cannot overwrite the answer of the one that took over.
        await svc.runtime.db.run(
            lambda tx: idempotency.finish(
                tx,
                namespace="default",
                key="k3",
                owner="idm_first",
                status=500,
                content_type=None,
                body=b"late",
            )
        )
        again = await svc.client.post("/v1/jobs", content=body, headers=headers)
        assert again.status_code == 201 and again.content == taken.content

    async def test_a_request_that_committed_then_died_is_never_run_twice(self, service_factory: Any) -> None:
        svc: Service = await service_factory(idempotency_wait_seconds=0)
        body = b'{"name":"once"}'
        await claim(svc, "k7", body, owner="idm_dead")
        await svc.runtime.db.run(
            lambda tx: idempotency.mark_committed(tx, namespace="default", key="k7", owner="idm_dead")
        )
        svc.clock.advance(121)
        headers = idem("k7", **{"content-type": "application/json"})
        r = await svc.client.post("/v1/jobs", content=body, headers=headers)
        assert r.status_code == 409 and "lost" in r.json()["detail"]
        assert (await svc.client.get("/v1/jobs?name=once")).json()["items"] == []

    async def test_a_claim_of_a_replica_that_stopped_is_taken_over_at_once(
        self, service_factory: Any
    ) -> None:
        svc: Service = await service_factory(idempotency_wait_seconds=0)
        body = b'{"name":"orphan"}'
        headers = idem("k8", **{"content-type": "application/json"})
        async with svc.runtime.db.transaction() as tx:
            await replicas.beat(tx, "wrk_other", svc.clock.now())
        await claim(svc, "k8", body, owner="idm_other", replica="wrk_other")
        r = await svc.client.post("/v1/jobs", content=body, headers=headers)
        assert r.status_code == 409 and "in progress" in r.json()["detail"]  # its replica beats: wait
        svc.clock.advance(6)  # 6 s without a heartbeat: that replica stopped, far before the 120 s lease
        taken = await svc.client.post("/v1/jobs", content=body, headers=headers)
        assert taken.status_code == 201
        committed = b'{"name":"orphan-committed"}'
        await claim(svc, "k9", committed, owner="idm_gone", replica="wrk_gone")  # never beat at all
        await svc.runtime.db.run(
            lambda tx: idempotency.mark_committed(tx, namespace="default", key="k9", owner="idm_gone")
        )
        lost = await svc.client.post("/v1/jobs", content=committed, headers=idem("k9"))
        assert lost.status_code == 409 and "lost" in lost.json()["detail"]

    async def test_a_request_that_committed_then_failed_is_replayed_as_it_answered(
        self, svc: Service, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        db = svc.runtime.db
        dispatch = db.dispatch

        def broken(signals: dict[str, list[Any]]) -> None:
            if "resolved" in signals:  # the gather's own commit (it resolves at once), no other transaction
                raise RuntimeError("the work after the commit failed")
            dispatch(signals)

        monkeypatch.setattr(db, "dispatch", broken)
        body = {"id": "g-after", "job_ids": []}
        first = await svc.client.post("/v1/gathers", json=body, headers=idem("k8"))
        assert first.status_code == 500
        monkeypatch.undo()
        again = await svc.client.post("/v1/gathers", json=body, headers=idem("k8"))
        assert again.status_code == 500 and again.content == first.content
        assert (await svc.client.get("/v1/gathers/g-after")).status_code == 200  # created once

    async def test_a_request_that_failed_before_committing_runs_again(
        self, svc: Service, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("the database went away")

        monkeypatch.setattr("app.gathers.routes.service.create", broken)
        body = {"id": "g-retry", "job_ids": []}
        assert (await svc.client.post("/v1/gathers", json=body, headers=idem("k9"))).status_code == 500
        monkeypatch.undo()
        retried = await svc.client.post("/v1/gathers", json=body, headers=idem("k9"))
        assert retried.status_code == 201

    async def test_a_read_key_is_refused_even_with_a_stored_answer(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        writer, reader = await svc.key(), await svc.key(role="read")
        first = await svc.client.post(
            "/v1/jobs", json={}, headers=idem("k10", Authorization=f"Bearer {writer}")
        )
        assert first.status_code == 201
        r = await svc.client.post("/v1/jobs", json={}, headers=idem("k10", Authorization=f"Bearer {reader}"))
        assert r.status_code == 403

    async def test_a_bad_key_is_422(self, svc: Service) -> None:
        for key in ["", "a b", "x" * 256, "tab\there"]:
            r = await svc.client.post("/v1/jobs", json={}, headers={"Idempotency-Key": key})
            assert r.status_code == 422, key

    async def test_server_errors_and_refused_callers_leave_no_record(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        reader = await svc.key(role="read")
        r = await svc.client.post("/v1/jobs", json={}, headers=idem("k4", Authorization=f"Bearer {reader}"))
        assert r.status_code == 403
        async with svc.runtime.db.read() as conn:
            count = (await conn.execute(sa.select(sa.func.count()).select_from(idempotency_keys))).scalar()
        assert count == 0
        writer = await svc.key()
        ok = await svc.client.post("/v1/jobs", json={}, headers=idem("k4", Authorization=f"Bearer {writer}"))
        assert ok.status_code == 201


class TestScope:
    async def test_keys_are_scoped_per_namespace(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        a, b = await svc.key("team-a"), await svc.key("team-b")
        ra = await svc.client.post("/v1/jobs", json={}, headers=idem("same", Authorization=f"Bearer {a}"))
        rb = await svc.client.post("/v1/jobs", json={}, headers=idem("same", Authorization=f"Bearer {b}"))
        assert ra.status_code == rb.status_code == 201 and ra.json()["id"] != rb.json()["id"]

    async def test_a_new_key_is_never_replayed(self, svc: Service) -> None:
        first = await svc.client.post("/v1/keys", json={"role": "read"}, headers=idem("k5"))
        assert first.status_code == 201
        again = await svc.client.post("/v1/keys", json={"role": "read"}, headers=idem("k5"))
        assert again.status_code == 409 and first.json()["key"] not in again.text
        async with svc.runtime.db.read() as conn:
            stored = (await conn.execute(sa.select(idempotency_keys.c.response_body))).scalars().all()
        assert stored == [None]

    async def test_expired_records_are_deleted_by_housekeeping(self, svc: Service) -> None:
        await svc.client.post("/v1/jobs", json={}, headers=idem("k6"))
        await svc.tick(24 * HOUR + 1)
        async with svc.runtime.db.read() as conn:
            count = (await conn.execute(sa.select(sa.func.count()).select_from(idempotency_keys))).scalar()
        assert count == 0
