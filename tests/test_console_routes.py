"""The console's files as the service serves them (the browser tests are in test_console.py)."""

from __future__ import annotations

from app.main import create_app
from tests.conftest import PG_URL, Service, make_settings


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
