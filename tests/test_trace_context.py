"""W3C trace context: the ``traceparent`` and ``tracestate`` of the request that causes a callback travel with
its event and arrive on the callback and on task messages, so a caller's trace continues into its receiver."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from app.core.requestctx import trace_context
from tests.conftest import Service
from tests.receiver import Receiver

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
OTHER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _headers(**values: str) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in values.items()]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ({"traceparent": PARENT}, {"traceparent": PARENT}),
        ({"traceparent": PARENT, "tracestate": "a=1,b=2"}, {"traceparent": PARENT, "tracestate": "a=1,b=2"}),
        ({"traceparent": PARENT.upper()}, None),  # lowercase hex only
        ({"traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01"}, None),  # an all-zero trace id
        ({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01"}, None),
        ({"traceparent": "ff" + PARENT[2:]}, None),  # version ff is invalid
        ({"traceparent": PARENT + "-extra"}, None),  # version 00 has exactly four fields
        ({"traceparent": "01" + PARENT[2:] + "-more"}, {"traceparent": PARENT}),  # a later version, as 00
        ({"traceparent": PARENT, "tracestate": "garbage"}, {"traceparent": PARENT}),  # tracestate dropped
        ({"tracestate": "a=1"}, None),
    ],
)
def test_only_a_valid_traceparent_is_kept(given: dict[str, str], kept: dict[str, str] | None) -> None:
    assert trace_context(_headers(**given)) == kept


def test_tracestate_members_are_kept_in_order_within_the_limits() -> None:
    def state(*values: str) -> str | None:
        states = [(b"tracestate", v.encode()) for v in values]
        found = trace_context([(b"traceparent", PARENT.encode()), *states])
        assert found is not None
        return found.get("tracestate")

    assert state("", "a=1, b=2", "c=3") == "a=1,b=2,c=3"  # empty headers and spaces skipped
    assert state("a=1,a=2") is None  # a key twice
    assert state(",".join(f"k{n}=v" for n in range(33))) is None  # more than 32 members
    assert state("Upper=1") is None
    long = "z=" + "v" * 200
    many = [f"k{n}=" + "v" * 40 for n in range(12)]
    kept = state(",".join([long, *many]))  # past 512: the long member goes first, then from the end
    assert kept is not None and long not in kept and kept.startswith("k0=") and len(kept) <= 512


def test_a_later_version_is_sent_as_00_with_the_sampled_bit_only() -> None:
    found = trace_context([(b"traceparent", ("cc" + PARENT[2:-2] + "09-more").encode())])
    assert found == {"traceparent": PARENT[:-2] + "01"}


def test_a_repeated_traceparent_is_dropped() -> None:
    assert trace_context([(b"traceparent", PARENT.encode()), (b"traceparent", OTHER.encode())]) is None


async def test_a_report_s_trace_reaches_the_gather_callback_it_causes(
    svc: Service, receiver: Receiver
) -> None:
    body = {"id": "g", "job_ids": ["a", "b"], "callback": {"url": f"{receiver.url}/cb"}}
    created = await svc.client.post("/v1/gathers", json=body, headers={"traceparent": OTHER})
    assert created.status_code == 201
    assert (await svc.client.post("/v1/jobs/a/complete", json={})).status_code == 200
    headers = {"traceparent": PARENT, "tracestate": "vendor=1"}
    assert (await svc.client.post("/v1/jobs/b/complete", json={}, headers=headers)).status_code == 200
    await svc.settle()
    (callback,) = receiver.requests
    assert callback.headers["traceparent"] == PARENT  # the report that completed it, not the creation
    assert callback.headers["tracestate"] == "vendor=1"


async def test_without_a_trace_nothing_is_made_up(svc: Service, receiver: Receiver) -> None:
    body = {"id": "g", "job_ids": [], "callback": {"url": f"{receiver.url}/cb"}}
    bad = {"traceparent": "not-a-trace"}
    assert (await svc.client.post("/v1/gathers", json=body, headers=bad)).status_code == 201
    await svc.settle()
    (callback,) = receiver.requests
    assert "traceparent" not in callback.headers and "tracestate" not in callback.headers


async def test_a_callback_s_own_traceparent_header_wins(svc: Service, receiver: Receiver) -> None:
    callback = {"url": f"{receiver.url}/cb", "headers": {"TraceParent": OTHER}}
    body = {"id": "g", "job_ids": [], "callback": callback}
    headers = {"traceparent": PARENT}
    assert (await svc.client.post("/v1/gathers", json=body, headers=headers)).status_code == 201
    await svc.settle()
    (received,) = receiver.requests
    assert received.headers["traceparent"] == OTHER


async def test_task_messages_carry_the_trace_of_the_start_then_of_each_report(
    svc: Service, receiver: Receiver
) -> None:
    handler = {"url": f"{receiver.url}/W", "timeout_seconds": 600}
    assert (await svc.client.put("/v1/handlers/W", json=handler)).status_code == 201
    chain: dict[str, Any] = {
        "tasks": {"a": {"handler": "W"}, "b": {"handler": "W", "depends_on": ["a"]}},
    }
    assert (await svc.client.put("/v1/workflows/chain", json=chain)).status_code == 201
    headers = {"traceparent": PARENT}
    start = await svc.client.post("/v1/workflows/chain/runs", json={"id": "r"}, headers=headers)
    assert start.status_code == 201
    await svc.settle()
    (first,) = receiver.requests
    assert first.headers["traceparent"] == PARENT
    job_id = first.json()["data"]["task"]["job_id"]
    path = f"/v1/jobs/{quote(job_id, safe='')}/complete"
    assert (await svc.client.post(path, json={}, headers={"traceparent": OTHER})).status_code == 200
    await svc.settle()
    second = receiver.requests[1]
    assert second.json()["data"]["task"]["step"] == "b"
    assert second.headers["traceparent"] == OTHER


async def test_the_add_that_completes_a_wait_hands_it_its_trace(svc: Service, receiver: Receiver) -> None:
    body = {
        "participant_key": "p1",
        "expected_participants": 1,
        "wait_seconds": 600,
        "callback": {"url": f"{receiver.url}/waited"},
    }
    headers = {"traceparent": PARENT}
    added = await svc.client.post("/v1/waits/group/participants", json=body, headers=headers)
    assert added.status_code == 201
    await svc.settle()
    (callback,) = receiver.requests
    assert callback.headers["traceparent"] == PARENT


async def test_a_slot_freed_for_another_run_sends_its_task_without_the_request_s_trace(
    svc: Service, receiver: Receiver
) -> None:
    """Runs share a throttle key of limit 1: the report that frees the slot is traced, the run served next
    is another's work, not the request's."""
    handler = {"url": f"{receiver.url}/W", "timeout_seconds": 600}
    assert (await svc.client.put("/v1/handlers/W", json=handler)).status_code == 201
    one = {"tasks": {"t": {"handler": "W", "throttle": {"key": "shared", "limit": 1}}}}
    assert (await svc.client.put("/v1/workflows/one", json=one)).status_code == 201
    for run_id in ("first", "second"):
        started = await svc.client.post("/v1/workflows/one/runs", json={"id": run_id})
        assert started.status_code == 201
    await svc.settle()
    (first,) = receiver.requests
    assert first.json()["data"]["task"]["run_id"] == "first"
    path = f"/v1/jobs/{quote(first.json()['data']['task']['job_id'], safe='')}/complete"
    assert (await svc.client.post(path, json={}, headers={"traceparent": PARENT})).status_code == 200
    await svc.settle()
    (second,) = [r for r in receiver.requests[1:] if r.json()["type"] == "task.requested"]
    assert second.json()["data"]["task"]["run_id"] == "second"
    assert "traceparent" not in second.headers
