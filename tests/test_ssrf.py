"""The SSRF guard: forbidden addresses are never connected to, and the delivery says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.deliveries.sender import make_client
from app.deliveries.transport import WebhookClient
from app.deliveries.urlguard import (
    AddressPolicy,
    BlockedDestination,
    blocked_reason,
    system_resolver,
)
from tests.conftest import Service
from tests.receiver import Receiver, Reply

FAKE_DNS = {"internal.example": ["10.1.2.3"], "sneaky.example": ["127.0.0.1"]}


async def fake_resolver(host: str, port: int) -> list[str]:
    if host in FAKE_DNS:
        return FAKE_DNS[host]
    return await system_resolver(host, port)


@pytest.fixture
async def trap() -> AsyncIterator[Receiver]:
    """A listener on 127.0.0.1, outside the allow list: it must never see a connection."""
    rcv = await Receiver("127.0.0.1").start()
    yield rcv
    await rcv.stop()


@pytest.fixture
async def allowed() -> AsyncIterator[Receiver]:
    """A receiver on 127.0.0.2, the only loopback address the allow list admits."""
    rcv = await Receiver("127.0.0.2").start()
    yield rcv
    await rcv.stop()


@pytest.fixture
async def guarded(service_factory: Any) -> Service:
    svc: Service = await service_factory(
        dev=False, callback_allow_cidrs=["127.0.0.2/32"], resolver=fake_resolver
    )
    await svc.authorize()
    return svc


async def deliver_to(svc: Service, url: str) -> dict[str, Any]:
    r = await svc.client.post("/v1/gathers", json={"id": "g", "job_ids": [], "callback": {"url": url}})
    assert r.status_code == 201, r.text
    await svc.settle()
    (item,) = (await svc.client.get("/v1/deliveries")).json()["items"]
    detail: dict[str, Any] = (await svc.client.get(f"/v1/deliveries/{item['id']}")).json()
    return detail


class TestBlockedDestinations:
    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("http://10.0.0.1/hook", "not a global unicast"),
            ("http://169.254.169.254/latest/meta-data", "link-local"),
            ("http://[::1]:9/hook", "loopback"),
            ("http://[::ffff:127.0.0.1]:9/hook", "loopback"),
            ("http://100.64.0.1/hook", "blocked range"),
            ("http://internal.example/hook", "not a global unicast"),
        ],
    )
    async def test_forbidden_address_is_dead_with_the_reason(
        self, guarded: Service, url: str, reason: str
    ) -> None:
        delivery = await deliver_to(guarded, url)
        assert delivery["status"] == "dead"
        assert delivery["last_error"].startswith("blocked:")
        assert reason in delivery["last_error"]
        assert delivery["attempt_log"][0]["status_code"] is None

    @pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "sneaky.example"])
    async def test_loopback_outside_the_allow_list_is_never_connected(
        self, guarded: Service, trap: Receiver, host: str
    ) -> None:
        delivery = await deliver_to(guarded, f"http://{host}:{trap.port}/hook")
        assert delivery["status"] == "dead"
        assert "loopback" in delivery["last_error"]
        assert trap.connections == 0

    async def test_ipv6_loopback_is_never_connected(self, guarded: Service) -> None:
        trap6 = await Receiver("::1").start()
        try:
            delivery = await deliver_to(guarded, f"http://[::1]:{trap6.port}/hook")
        finally:
            await trap6.stop()
        assert delivery["status"] == "dead" and "loopback" in delivery["last_error"]
        assert trap6.connections == 0

    async def test_redirect_to_loopback_is_not_followed(
        self, guarded: Service, trap: Receiver, allowed: Receiver
    ) -> None:
        allowed.reply_with(Reply(302, headers={"location": f"http://127.0.0.1:{trap.port}/steal"}))
        delivery = await deliver_to(guarded, f"{allowed.url}/hook")
        assert len(allowed.requests) == 1
        assert trap.connections == 0
        assert delivery["status"] == "pending"  # a 3xx is a failed attempt, retried later
        assert "redirect" in delivery["last_error"] and "not followed" in delivery["last_error"]

    async def test_allowed_cidr_is_delivered(self, guarded: Service, allowed: Receiver) -> None:
        delivery = await deliver_to(guarded, f"{allowed.url}/hook")
        assert delivery["status"] == "succeeded"
        assert len(allowed.requests) == 1


class TestSharedClient:
    def test_the_runtime_client_carries_the_policy(self, guarded: Service) -> None:
        client = guarded.runtime.deliverer.client
        assert isinstance(client, WebhookClient)
        assert client.policy.reason_blocked("127.0.0.2") is None
        assert client.policy.reason_blocked("127.0.0.1") is not None

    async def test_a_request_to_loopback_is_refused_by_the_guard(self, trap: Receiver) -> None:
        client = make_client(AddressPolicy([]), resolver=system_resolver)
        try:
            with pytest.raises(httpx.ConnectError) as caught:
                await client.post(f"{trap.url}/hook", {}, b"{}", 1024)
        finally:
            await client.aclose()
        assert isinstance(caught.value, BlockedDestination)
        reason = blocked_reason(caught.value)
        assert reason is not None and "loopback" in reason
        assert trap.connections == 0


class TestAddressPolicy:
    @pytest.mark.parametrize(
        "address",
        [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "224.0.0.1",
            "::7f00:1",
            "::a00:1",
            "::ffff:0:a00:1",
            "fec0::1",
            "192.88.99.1",
        ],
    )
    def test_non_global_addresses_are_blocked(self, address: str) -> None:
        assert AddressPolicy([]).reason_blocked(address) is not None

    @pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "1.1.1.1"])
    def test_global_unicast_is_allowed(self, address: str) -> None:
        assert AddressPolicy([]).reason_blocked(address) is None

    def test_allow_list_admits_a_private_range(self) -> None:
        policy = AddressPolicy(["10.0.0.0/8"])
        assert policy.reason_blocked("10.2.3.4") is None
        assert policy.reason_blocked("192.168.0.1") is not None
