"""The console's files as the service serves them (the browser tests are in test_console.py)."""

from __future__ import annotations

from app.main import create_app
from tests.conftest import PG_URL, Service, make_settings
from tests.receiver import Receiver, Reply


async def test_every_console_path_is_the_shell_with_a_strict_policy(svc: Service) -> None:
    for path in ("/ui", "/ui/", "/ui/gathers/a%2Fb", "/ui/deliveries?status=dead&utm_source=x"):
        response = await svc.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/ui/assets/app.js">' in response.text
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    script = await svc.client.get("/ui/assets/app.js?v=2")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in script.text  # everything drawn is set as text
    assert (await svc.client.get("/ui/assets/app.css")).headers["content-type"].startswith("text/css")
    assert (await svc.client.get("/ui/assets/openapi.json")).status_code == 404


async def test_the_caller_endpoint_names_the_key_s_namespace_and_role(svc: Service) -> None:
    assert (await svc.client.get("/v1/caller")).json() == {
        "namespace": "default",
        "role": "admin",
        "key_id": None,
        "dev": True,
    }
    key = (await svc.client.post("/v1/keys", json={"role": "read"})).json()
    read = await svc.client.get("/v1/caller", headers={"Authorization": f"Bearer {key['key']}"})
    assert read.json() == {"namespace": "default", "role": "read", "key_id": key["id"], "dev": True}


async def test_head_of_a_console_page_answers_like_its_get(svc: Service) -> None:
    head = await svc.client.head("/ui/gathers/x")
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/html")


def test_swagger_ui_is_served_in_dev_mode_or_when_turned_on() -> None:
    """Swagger UI and ReDoc run a CDN's scripts on the console's origin, where a tab holds its key."""
    for dev, docs, served in (
        (True, None, True),
        (False, None, False),
        (False, True, True),
        (True, False, False),
    ):
        settings = make_settings(PG_URL or "sqlite+aiosqlite:///:memory:", dev=dev, api_docs=docs)
        paths = {getattr(r, "path", None) for r in create_app(settings).routes}
        assert ("/docs" in paths, "/redoc" in paths) == (served, served), (dev, docs)
        assert "/openapi.json" in paths


async def test_the_overview_is_the_first_page_of_each_list_it_names(svc: Service, receiver: Receiver) -> None:
    callback = {"url": f"{receiver.url}/cb"}
    receiver.reply_with(*[Reply(status=500)] * 20)
    for n in range(3):
        body = {"id": f"g{n}", "job_ids": [f"g{n}-a"], "callback": callback, "on_failure": "fail_fast"}
        assert (await svc.client.post("/v1/gathers", json=body)).status_code == 201
    assert (await svc.client.post("/v1/jobs/g1-a/complete", json={"status": "failed"})).status_code == 200
    assert (await svc.client.post("/v1/batch-jobs", json={"name": "export"})).status_code == 201
    wait = {"participant_key": "p", "expected_participants": 2, "wait_seconds": 60, "callback": callback}
    assert (await svc.client.post("/v1/waits/w/participants", json=wait)).status_code == 201
    await svc.settle()
    overview = (await svc.client.get("/v1/overview")).json()
    assert overview["namespace"] == "default"
    lists = {
        ("gathers", "open"): "/v1/gathers?status=waiting&limit=50",
        ("gathers", "timed_out"): "/v1/gathers?status=timed_out&order=-resolved_at&limit=20",
        ("gathers", "failed"): "/v1/gathers?status=failed&order=-resolved_at&limit=20",
        ("runs", "running"): "/v1/runs?status=running&limit=50",
        ("runs", "paused"): "/v1/runs?status=paused&limit=20",
        ("runs", "failed"): "/v1/runs?status=failed&order=-finished_at&limit=20",
        ("batch_jobs", "pending"): "/v1/batch-jobs?status=pending&limit=50",
        ("batch_jobs", "running"): "/v1/batch-jobs?status=running&limit=50",
    }
    for (section, name), path in lists.items():
        assert overview[section][name] == (await svc.client.get(path)).json(), path
    assert overview["waits"] == (await svc.client.get("/v1/waits?status=waiting&limit=50")).json()
    assert [g["id"] for g in overview["gathers"]["open"]["items"]] == ["g0", "g2"]
    assert [g["id"] for g in overview["gathers"]["failed"]["items"]] == ["g1"]
    assert len(overview["batch_jobs"]["pending"]["items"]) == 1
    pending = len((await svc.client.get("/v1/deliveries?status=pending")).json()["items"])
    assert overview["deliveries"] == {
        "dead": {"count": 0, "more": False},
        "pending": {"count": pending, "more": False},
    }
    assert pending >= 1  # g1's callback, refused and scheduled again
