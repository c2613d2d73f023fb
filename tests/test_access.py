"""API keys: 401/403/404 rules, the admin API and CLI, signing-secret rotation, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from app.cli import main
from tests.conftest import Service
from tests.receiver import Receiver

HOUR = 3600.0


@pytest.fixture
async def locked(service_factory: Any) -> Service:
    """A service outside dev mode: every /v1 route needs a key."""
    svc: Service = await service_factory(dev=False)
    return svc


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class TestAuthentication:
    async def test_no_key_is_401_with_a_challenge(self, locked: Service) -> None:
        for method, path in [("GET", "/v1/jobs"), ("POST", "/v1/gathers"), ("GET", "/v1/namespace")]:
            r = await locked.client.request(method, path, json={} if method == "POST" else None)
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"] == 'Bearer realm="rendezvous"'
            assert r.headers["content-type"] == "application/problem+json"

    async def test_a_bad_or_unknown_key_is_401_invalid_token(self, locked: Service) -> None:
        for header in ["Bearer rdv_nope", "Basic abc", "Bearer", "Bearer " + "rdv_" + "x" * 300]:
            r = await locked.client.get("/v1/jobs", headers={"Authorization": header})
            assert r.status_code == 401, header
            assert 'error="invalid_token"' in r.headers["www-authenticate"]

    async def test_health_needs_no_key(self, locked: Service) -> None:
        assert (await locked.client.get("/healthz")).status_code == 200

    async def test_a_valid_key_works_and_a_revoked_one_stops_at_once(self, locked: Service) -> None:
        admin = await locked.key(role="admin")
        writer = await locked.key()
        assert (await locked.client.put("/v1/jobs/a", json={}, headers=bearer(writer))).status_code == 201
        listed = (await locked.client.get("/v1/keys", headers=bearer(admin))).json()["items"]
        writer_id = next(k["id"] for k in listed if writer.startswith(k["prefix"]) and k["role"] == "write")
        revoked = await locked.client.delete(f"/v1/keys/{writer_id}", headers=bearer(admin))
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert (await locked.client.get("/v1/jobs/a", headers=bearer(writer))).status_code == 401

    async def test_dev_mode_needs_no_key_but_honours_one(self, svc: Service) -> None:
        assert (await svc.client.put("/v1/jobs/a", json={})).status_code == 201
        other = await svc.key(namespace="other")
        assert (await svc.client.get("/v1/jobs/a", headers=bearer(other))).status_code == 404


class TestRoles:
    async def test_a_read_key_reads_but_never_writes(self, locked: Service) -> None:
        writer, reader = await locked.key(), await locked.key(role="read")
        await locked.client.put("/v1/jobs/a", json={}, headers=bearer(writer))
        assert (await locked.client.get("/v1/jobs/a", headers=bearer(reader))).status_code == 200
        for method, path in [
            ("PUT", "/v1/jobs/b"),
            ("POST", "/v1/jobs/a/complete"),
            ("POST", "/v1/gathers"),
            ("DELETE", "/v1/waits/grp"),
        ]:
            r = await locked.client.request(method, path, json={}, headers=bearer(reader))
            assert r.status_code == 403, (method, path)
        assert (await locked.client.get("/v1/jobs/b", headers=bearer(writer))).status_code == 404

    async def test_the_secret_needs_write_and_its_rotation_admin(self, locked: Service) -> None:
        reader, writer = await locked.key(role="read"), await locked.key()
        assert (await locked.client.get("/v1/namespace", headers=bearer(reader))).status_code == 403
        assert (await locked.client.get("/v1/namespace", headers=bearer(writer))).status_code == 200
        rotate = "/v1/namespace/rotate-signing-secret"
        assert (await locked.client.post(rotate, headers=bearer(writer))).status_code == 403
        assert (await locked.client.get("/v1/keys", headers=bearer(writer))).status_code == 403

    async def test_another_namespaces_resources_are_404(self, locked: Service) -> None:
        a, b = await locked.key("team-a"), await locked.key("team-b")
        await locked.client.put("/v1/jobs/shared-name", json={"name": "a's"}, headers=bearer(a))
        await locked.client.post("/v1/gathers", json={"id": "g", "job_ids": ["x"]}, headers=bearer(a))
        assert (await locked.client.get("/v1/jobs/shared-name", headers=bearer(b))).status_code == 404
        assert (await locked.client.get("/v1/gathers/g", headers=bearer(b))).status_code == 404
        assert (await locked.client.delete("/v1/gathers/g", headers=bearer(b))).status_code == 404
        assert (await locked.client.get("/v1/jobs", headers=bearer(b))).json()["items"] == []
        secret_a = (await locked.client.get("/v1/namespace", headers=bearer(a))).json()
        secret_b = (await locked.client.get("/v1/namespace", headers=bearer(b))).json()
        assert secret_a["name"] == "team-a" and secret_b["name"] == "team-b"
        assert secret_a["signing_secret"] != secret_b["signing_secret"]


class TestAdmin:
    async def test_an_admin_manages_its_own_namespaces_keys_only(self, locked: Service) -> None:
        admin_a, admin_b = await locked.key("team-a", "admin"), await locked.key("team-b", "admin")
        created = await locked.client.post(
            "/v1/keys", json={"role": "read", "name": "ci"}, headers=bearer(admin_a)
        )
        assert created.status_code == 201
        body = created.json()
        assert body["key"].startswith("rdv_") and body["namespace"] == "team-a" and body["name"] == "ci"
        listed = (await locked.client.get("/v1/keys", headers=bearer(admin_a))).json()["items"]
        assert {k["namespace"] for k in listed} == {"team-a"} and all("key" not in k for k in listed)
        assert (
            await locked.client.get("/v1/keys?namespace=team-a", headers=bearer(admin_b))
        ).status_code == 404
        stolen = await locked.client.delete(f"/v1/keys/{body['id']}", headers=bearer(admin_b))
        assert stolen.status_code == 404
        other = await locked.client.post(
            "/v1/keys", json={"role": "admin", "namespace": "team-a"}, headers=bearer(admin_b)
        )
        assert other.status_code == 404
        assert (
            await locked.client.post("/v1/namespaces", json={"name": "x"}, headers=bearer(admin_b))
        ).status_code == 403
        mine = (await locked.client.get("/v1/namespaces", headers=bearer(admin_b))).json()["items"]
        assert [n["name"] for n in mine] == ["team-b"]
        assert (await locked.client.get("/v1/jobs", headers=bearer(body["key"]))).status_code == 200

    async def test_the_operator_manages_every_namespace(self, locked: Service) -> None:
        operator = await locked.key("admin", "admin")
        made = await locked.client.post("/v1/namespaces", json={"name": "team-c"}, headers=bearer(operator))
        assert made.status_code == 201
        again = await locked.client.post("/v1/namespaces", json={"name": "team-c"}, headers=bearer(operator))
        assert again.status_code == 200
        key = await locked.client.post(
            "/v1/keys", json={"role": "write", "namespace": "team-c"}, headers=bearer(operator)
        )
        assert key.status_code == 201 and key.json()["namespace"] == "team-c"
        names = (await locked.client.get("/v1/namespaces", headers=bearer(operator))).json()["items"]
        assert {"admin", "team-c"} <= {n["name"] for n in names}
        bad = await locked.client.post("/v1/namespaces", json={"name": "Bad Name"}, headers=bearer(operator))
        assert bad.status_code == 422


class TestCli:
    def test_keys_create_prints_the_key_once_list_and_revoke(
        self,
        locked: Service,
        database_url: str,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        monkeypatch.setenv("RENDEZVOUS_DATABASE_URL", database_url)
        assert main(["keys", "create", "--namespace", "team-a", "--role", "write", "--name", "etl"]) == 0
        out = capsys.readouterr()
        key = out.out.strip()
        assert key.startswith("rdv_") and "created key_" in out.err
        assert main(["keys", "list", "--namespace", "team-a"]) == 0
        listing = capsys.readouterr().out
        assert key not in listing and key[:12] in listing and "etl" in listing
        key_id = listing.split()[0]
        assert main(["keys", "revoke", key_id]) == 0
        assert main(["keys", "revoke", "key_missing"]) == 1
        with pytest.raises(SystemExit):
            main(["keys", "create", "--namespace", "Not Valid", "--role", "write"])


class TestSecretRotation:
    async def test_both_secrets_sign_during_the_grace_period(
        self, locked: Service, receiver: Receiver
    ) -> None:
        admin = await locked.key(role="admin")
        old = (await locked.client.get("/v1/namespace", headers=bearer(admin))).json()["signing_secret"]
        rotated = (
            await locked.client.post("/v1/namespace/rotate-signing-secret", headers=bearer(admin))
        ).json()
        new = rotated["signing_secret"]
        assert new != old and rotated["previous_signing_secret"] == old
        body = {"id": "g1", "job_ids": [], "callback": {"url": f"{receiver.url}/hook"}}
        await locked.client.post("/v1/gathers", json=body, headers=bearer(admin))
        await locked.settle()
        (first,) = await receiver.wait_for(1)
        assert len(first.headers["webhook-signature"].split()) == 2
        for secret in (old, new):
            assert Webhook(secret).verify(first.body, first.headers)["type"] == "gather.succeeded"
        locked.clock.advance(24 * HOUR + 1)
        await locked.client.post("/v1/gathers", json={**body, "id": "g2"}, headers=bearer(admin))
        await locked.settle()
        second = (await receiver.wait_for(2))[1]
        # The clock moved a day, so check the signature itself rather than the timestamp window.
        stamp = datetime.fromtimestamp(int(second.headers["webhook-timestamp"]), UTC)
        expected = Webhook(new).sign(second.headers["webhook-id"], stamp, second.body.decode())
        assert second.headers["webhook-signature"] == expected


class TestRateLimit:
    async def test_a_key_over_its_rate_gets_429_with_retry_after(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False, rate_limit_per_second=0.5, rate_limit_burst=2)
        key, other = await svc.key(), await svc.key()
        statuses = [(await svc.client.get("/v1/jobs", headers=bearer(key))).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await svc.client.get("/v1/jobs", headers=bearer(key))
        assert limited.headers["retry-after"] == "2"
        assert (await svc.client.get("/v1/jobs", headers=bearer(other))).status_code == 200


async def test_an_unauthenticated_client_cannot_reach_v1(locked: Service) -> None:
    async with httpx.AsyncClient(transport=locked.client._transport, base_url="http://x") as anon:
        assert (await anon.get("/v1/deliveries")).status_code == 401


class TestLogs:
    async def test_keys_and_secrets_never_reach_the_logs(
        self, service_factory: Any, receiver: Receiver, capsys: pytest.CaptureFixture[str]
    ) -> None:
        svc: Service = await service_factory(dev=False, log_level="DEBUG")
        admin = await svc.key(role="admin")
        made = (await svc.client.post("/v1/keys", json={"role": "write"}, headers=bearer(admin))).json()
        writer = made["key"]
        secret = (await svc.client.get("/v1/namespace", headers=bearer(writer))).json()["signing_secret"]
        rotated = (await svc.client.post("/v1/namespace/rotate-signing-secret", headers=bearer(admin))).json()
        body = {"id": "g", "job_ids": [], "callback": {"url": f"{receiver.url}/hook"}}
        await svc.client.post("/v1/gathers", json=body, headers=bearer(writer))
        await svc.client.get("/v1/jobs", headers=bearer("rdv_" + "wrong" * 8))
        await svc.settle()
        await receiver.wait_for(1)
        logs = capsys.readouterr().err
        assert '"logger": "rendezvous.access"' in logs and '"namespace": "default"' in logs
        assert made["id"] in logs  # the key's id identifies the caller
        for value in (admin, writer, secret, rotated["signing_secret"], "wrong" * 8):
            assert value not in logs
        signature = receiver.requests[0].headers["webhook-signature"]
        assert signature.split(",", 1)[1].split()[0] not in logs
