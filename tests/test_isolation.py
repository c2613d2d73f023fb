"""Namespace isolation, checked for every operation of openapi.json (not a hand-picked few).

Namespace A holds a job, a batch job with a batch, gathers, a wait, a delivery and keys. An admin key of
namespace B then calls every /v1 operation with A's ids in the path and a valid body. B never sees A's
resources (a 404 for anything addressed by id, A's ids absent from lists and from what B's own writes
return), and A's view of all of it is the same afterwards, signing secret included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Service
from tests.receiver import Receiver

SPEC = json.loads((Path(__file__).resolve().parent.parent / "openapi.json").read_text())

# Filters that name A's resources, for the list operations.
QUERIES = {
    "listJobs": {"name": "a's"},
    "listBatchJobs": {"name": "a-import"},
    "listDeliveries": {"subject_id": "a-done"},
    "listWaits": {"group_key": "a-group"},
    "listKeys": {"namespace": "team-a"},
}

# Operations that address an id in the path and, in another namespace, make that namespace's own resource
# of the same name (upserts), instead of answering 404. A's resource must still be untouched.
UPSERTS = {"registerJob", "completeJob", "heartbeatJob", "addWaitParticipant", "putHandler", "putWorkflow"}
# Operations whose bodies name A's ids: they make B-owned namesakes, so they run last with the upserts.
NAMESAKES = UPSERTS | {"createGather", "completeJobs"}


B_WORKFLOW = {"tasks": {"b-task": {"handler": "b-handler"}}}


def bodies(receiver: Receiver) -> dict[str, Any]:
    callback = {"url": f"{receiver.url}/b"}
    return {
        "createBatchJob": {"name": "b-import"},
        "redeliverDelivery": None,
        "createGather": {"id": "b-gather", "job_ids": ["a-job"]},
        "addGatherJobs": {"job_ids": ["a-job"]},
        "sealGather": None,
        "createJob": {"name": "b"},
        "completeJobs": {"reports": [{"id": "a-job", "status": "failed"}]},
        "registerJob": {"name": "b's"},
        "createBatch": {"items": [1]},
        "abortBatch": {"error": "b"},
        "reportBatch": {"processed": 1},
        "replaceBatchSet": {"items": ["z"]},
        "completeJob": {"status": "failed"},
        "heartbeatJob": {},
        "sealJob": None,
        "createKey": {"role": "read"},
        "rotateSigningSecret": None,
        "createNamespace": {"name": "b-made"},
        "addWaitParticipant": {
            "participant_key": "b",
            "expected_participants": 5,
            "wait_seconds": 30,
            "callback": callback,
        },
        "putHandler": {"url": f"{receiver.url}/b-tasks"},
        "putWorkflow": B_WORKFLOW,
        "validateWorkflow": B_WORKFLOW,
        "createRun": {"id": "b-run", "input": {"b": 1}},
        "pauseRun": None,
        "resumeRun": None,
        "cancelRun": None,
        "redriveRun": None,
        "rerunRun": {"from_step": "a-task"},
    }


async def seed_a(svc: Service, a: dict[str, str], receiver: Receiver) -> dict[str, str]:
    """A's resources; returns the values to put in each path parameter."""
    c = svc.client
    callback = {"url": f"{receiver.url}/a"}
    assert (await c.put("/v1/jobs/a-job", json={"name": "a's"}, headers=a)).status_code == 201
    batch_job = (await c.post("/v1/batch-jobs", json={"name": "a-import"}, headers=a)).json()["id"]
    assert (
        await c.post(f"/v1/jobs/{batch_job}/batches", json={"items": [1, 2]}, headers=a)
    ).status_code == 201
    body = {"id": "a-gather", "job_ids": ["a-job"], "callback": callback, "sealed": False}
    assert (await c.post("/v1/gathers", json=body, headers=a)).status_code == 201
    done = {"id": "a-done", "job_ids": [], "callback": callback}
    assert (await c.post("/v1/gathers", json=done, headers=a)).status_code == 201
    add = {"participant_key": "a", "expected_participants": 3, "wait_seconds": 30, "callback": callback}
    wait = (await c.post("/v1/waits/a-group/participants", json=add, headers=a)).json()
    await svc.settle()
    delivery = (await c.get("/v1/deliveries", headers=a)).json()["items"][0]["id"]
    key = (await c.get("/v1/keys", headers=a)).json()["items"][0]["id"]
    handler = {"url": f"{receiver.url}/a-tasks", "headers": {"X-A": "a-secret"}}
    assert (await c.put("/v1/handlers/a-flow", json=handler, headers=a)).status_code == 201
    flow = {"tasks": {"a-task": {"handler": "a-flow", "throttle": {"key": "a-limit", "limit": 2}}}}
    assert (await c.put("/v1/workflows/a-flow", json=flow, headers=a)).status_code == 201
    run = {"id": "a-run", "input": {"a": 1}}
    assert (await c.post("/v1/workflows/a-flow/runs", json=run, headers=a)).status_code == 201
    await svc.settle()
    return {
        "job_id": batch_job,
        "gather_id": "a-gather",
        "group_key": "a-group",
        "wait_id": wait["id"],
        "delivery_id": delivery,
        "index": "1",
        "set_name": "pending",
        "key_id": key,
        "name": "a-flow",
        "version": "1",
        "run_id": "a-run",
        "step": "a-task",
        "key": "a-limit",
    }


async def snapshot(svc: Service, a: dict[str, str], ids: dict[str, str]) -> dict[str, Any]:
    """Everything A can see of its resources."""
    paths = [
        "/v1/jobs/a-job",
        f"/v1/jobs/{ids['job_id']}",
        f"/v1/jobs/{ids['job_id']}/batches/1",
        f"/v1/jobs/{ids['job_id']}/batches/1/sets/pending",
        "/v1/gathers/a-gather",
        "/v1/gathers/a-gather/members",
        "/v1/gathers/a-done",
        "/v1/waits/a-group",
        f"/v1/deliveries/{ids['delivery_id']}",
        "/v1/namespace",
        "/v1/keys",
        "/v1/jobs",
        "/v1/gathers/a-gather/explain",
        "/v1/handlers/a-flow",
        "/v1/handlers",
        "/v1/workflows/a-flow",
        "/v1/workflows/a-flow/versions/1",
        "/v1/workflows",
        "/v1/runs/a-run",
        "/v1/runs/a-run/steps/a-task/items",
        "/v1/runs/a-run/explain",
        "/v1/runs",
        "/v1/throttles/a-limit",
    ]
    seen = {}
    for path in paths:
        r = await svc.client.get(path, headers=a)
        assert r.status_code == 200, (path, r.text)
        seen[path] = r.json()
    return seen


def shown(text: str, content_type: str) -> str:
    """What a response tells beyond echoing the request: a problem's ``detail`` repeats the path's id."""
    if content_type.startswith("application/problem+json"):
        problem = json.loads(text)
        problem.pop("detail", None)
        return json.dumps(problem)
    return text


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, ops in SPEC["paths"].items():
        if path.startswith("/v1/"):
            for method, op in ops.items():
                found.append((method.upper(), path, op))
    return found


async def test_a_key_of_b_never_reads_or_changes_as_resources(
    service_factory: Any, receiver: Receiver
) -> None:
    svc: Service = await service_factory(dev=False)
    a = {"Authorization": f"Bearer {await svc.key('team-a', 'admin')}"}
    b_keys = {
        role: {"Authorization": f"Bearer {await svc.key('team-b', role)}"}
        for role in ("read", "write", "admin")
    }
    ids = await seed_a(svc, a, receiver)
    before = await snapshot(svc, a, ids)
    a_secret = before["/v1/namespace"]["signing_secret"]
    # Names B may reuse for its own resources (upserts) versus values only A's resources carry.
    names = {
        ids["job_id"],
        ids["gather_id"],
        ids["group_key"],
        "a-job",
        "a-done",
        "team-a",
        "a-flow",
        "a-run",
        "a-limit",
    }
    server_made = {ids["wait_id"], ids["delivery_id"], ids["key_id"], a_secret, "a-task", "a-secret"}
    samples = bodies(receiver)
    calls = [(role, *op) for op in operations() for role in b_keys]
    # Everything that must be 404 runs first, before B's upserts make B-owned namesakes of A's ids.
    calls.sort(key=lambda c: c[3]["operationId"] in NAMESAKES)
    for role, method, template, op in calls:
        op_id = op["operationId"]
        params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        url = template
        for name in params:
            url = url.replace("{" + name + "}", ids[name].replace("/", "%2F"))
        kwargs: dict[str, Any] = {"headers": b_keys[role], "params": QUERIES.get(op_id)}
        if method in ("POST", "PUT"):
            assert op_id in samples, f"no sample body for {op_id}: add one to bodies()"
            if samples[op_id] is not None:
                kwargs["json"] = samples[op_id]
        r = await svc.client.request(method, url, **kwargs)
        refused = r.status_code == 403 and role != "admin"  # the role may not do this at all
        if op_id == "listKeys" and role == "admin":
            assert r.status_code == 404, r.text  # naming A's namespace
        elif params and op_id not in UPSERTS:
            assert r.status_code == 404 or refused, (role, op_id, url, r.status_code, r.text)
        else:
            assert r.status_code < 500 and r.status_code != 404, (role, op_id, url, r.status_code, r.text)
        watched = server_made if op_id in NAMESAKES else server_made | names
        leaked = [value for value in watched if value in shown(r.text, r.headers.get("content-type", ""))]
        assert not leaked, (role, op_id, url, leaked)
    await svc.settle()
    assert len(calls) >= 40 * 3
    assert await snapshot(svc, a, ids) == before
