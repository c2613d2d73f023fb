"""Handlers and versioned workflow definitions: registration, every refusal, versions, validation, deletion
and namespace isolation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa

from app.models import metadata
from app.workflows.graph import compile_definition
from tests.conftest import Service
from tests.test_workflow_graph import ETL

HANDLER = {"url": "https://w.example/tasks", "headers": {"X-Team": "etl"}, "timeout_seconds": 3600}
SEARCH: dict[str, Any] = {
    "phases": {
        "pending": {"is_initial": True, "transitions_to": "searching", "on_error_transition_to": "error"},
        "searching": {
            "transitions_to": "fetching-pages",
            "on_error_transition_to": "error",
            "handlers": ["GoogleSearcher"],
            "retry": {"count": 3, "strategy": "exponential", "base_delay": 2},
        },
        "fetching-pages": {
            "transitions_to": "finished",
            "on_error_transition_to": "error",
            "handlers": ["PageDownloader"],
        },
        "error": {"is_final": True, "handlers": ["ErrorEmailer"]},
        "finished": {"is_final": True, "handlers": ["JobFinisher"]},
    }
}
FAULTY: dict[str, Any] = {
    "phases": {
        "a": {"is_initial": True, "transitions_to": "nowhere", "handlers": ["H", "H"]},
        "b": {"is_initial": True, "is_final": True, "transitions_to": "a", "retry": {"count": 99}},
    }
}


JSON = {"content-type": "application/json"}


async def counts(svc: Service) -> dict[str, int]:
    async with svc.runtime.db.engine.connect() as conn:
        names = ("handlers", "workflows", "workflow_versions")
        return {
            n: (await conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[n]))).scalar_one()
            for n in names
        }


def named(r: Any) -> list[str]:
    return [e["field"] for e in r.json()["errors"]]


class TestPutHandler:
    async def test_new_is_201_replaced_200_identical_200(self, svc: Service) -> None:
        r = await svc.client.put("/v1/handlers/Extractor", json=HANDLER)
        assert r.status_code == 201, r.text
        first = r.json()
        assert first == {
            **first,
            **HANDLER,
            "name": "Extractor",
            "heartbeat_seconds": None,
            "max_in_flight": None,
            "in_flight": 0,
        }
        svc.clock.advance(5)
        same = await svc.client.put("/v1/handlers/Extractor", json=HANDLER)
        assert same.status_code == 200 and same.json() == first
        svc.clock.advance(5)
        changed = {**HANDLER, "heartbeat_seconds": 60, "max_in_flight": 5}
        r = await svc.client.put("/v1/handlers/Extractor", json=changed)
        assert r.status_code == 200
        assert (r.json()["heartbeat_seconds"], r.json()["max_in_flight"]) == (60, 5)
        assert r.json()["updated_at"] > first["updated_at"] and r.json()["created_at"] == first["created_at"]
        assert (await svc.client.get("/v1/handlers/Extractor")).json() == r.json()

    async def test_defaults(self, svc: Service) -> None:
        r = await svc.client.put("/v1/handlers/h", json={"url": "https://w.example/"})
        assert r.status_code == 201
        assert (r.json()["headers"], r.json()["timeout_seconds"]) == ({}, 3600)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"url": "https://w.example:99999/"}, "url"),
            ({"url": "https://user:pw@w.example/"}, "url"),
            ({"url": "ftp://w.example/"}, "url"),
            ({"headers": {"Content-Type": "text/plain"}}, "headers"),
            ({"headers": {"webhook-id": "x"}}, "headers"),
            ({"timeout_seconds": 0}, "timeout_seconds"),
            ({"timeout_seconds": 366 * 86400 + 1}, "timeout_seconds"),
            ({"heartbeat_seconds": 0}, "heartbeat_seconds"),
            ({"heartbeat_seconds": 3601}, "heartbeat_seconds"),
            ({"timeout_seconds": 10, "heartbeat_seconds": 11}, "heartbeat_seconds"),
            ({"max_in_flight": 0}, "max_in_flight"),
            ({"max_in_flight": 100_001}, "max_in_flight"),
            ({"retries": 3}, "retries"),
        ],
    )
    async def test_refusals_are_422_naming_the_field(
        self, svc: Service, change: dict[str, Any], field: str
    ) -> None:
        r = await svc.client.put("/v1/handlers/h", json={**HANDLER, **change})
        assert r.status_code == 422, r.text
        assert field in named(r)
        assert (await counts(svc))["handlers"] == 0

    @pytest.mark.parametrize("name", ["-x", "a" * 101, "a b", "é"])
    async def test_a_bad_name_is_422_naming_it_in_the_path(self, svc: Service, name: str) -> None:
        r = await svc.client.put(f"/v1/handlers/{name}", json=HANDLER)
        assert r.status_code == 422 and r.json()["errors"][0] == {
            **r.json()["errors"][0],
            "field": "name",
            "in": "path",
        }


class TestListGetDeleteHandler:
    async def test_list_is_paged_by_name(self, svc: Service) -> None:
        for name in ["c", "a", "b"]:
            assert (await svc.client.put(f"/v1/handlers/{name}", json=HANDLER)).status_code == 201
        page = (await svc.client.get("/v1/handlers", params={"limit": 2})).json()
        assert [h["name"] for h in page["items"]] == ["a", "b"]
        rest = (await svc.client.get("/v1/handlers", params={"cursor": page["next_cursor"]})).json()
        assert [h["name"] for h in rest["items"]] == ["c"] and rest["next_cursor"] is None

    async def test_delete_is_204_then_404(self, svc: Service) -> None:
        await svc.client.put("/v1/handlers/h", json=HANDLER)
        assert (await svc.client.delete("/v1/handlers/h")).status_code == 204
        assert (await svc.client.get("/v1/handlers/h")).status_code == 404
        assert (await svc.client.delete("/v1/handlers/h")).status_code == 404


class TestPutWorkflow:
    async def test_versions_1_same_body_200_changed_body_2(self, svc: Service) -> None:
        r = await svc.client.put("/v1/workflows/etl", json=ETL)
        assert r.status_code == 201, r.text
        v1 = r.json()
        assert (v1["name"], v1["version"], v1["definition"]) == ("etl", 1, ETL)
        assert list(v1["definition"]["tasks"]) == list(ETL["tasks"])
        assert [s["name"] for s in v1["graph"]["steps"]] == ["extract_data", "transform_data", "load_data"]
        assert v1["graph"]["steps"][0]["kind"] == "map"
        reordered = {"output": ETL["output"], "tasks": ETL["tasks"]}
        again = await svc.client.put("/v1/workflows/etl", json=reordered)
        assert again.status_code == 200 and again.json()["version"] == 1
        changed = copy.deepcopy(ETL)
        changed["tasks"]["extract_data"]["concurrency"] = 2
        r = await svc.client.put("/v1/workflows/etl", json=changed)
        assert r.status_code == 201 and r.json()["version"] == 2
        assert (await svc.client.get("/v1/workflows/etl")).json()["definition"] == changed
        old = await svc.client.get("/v1/workflows/etl/versions/1")
        assert old.status_code == 200 and old.json()["definition"] == ETL
        assert (await svc.client.get("/v1/workflows/etl/versions/3")).status_code == 404
        assert (await counts(svc))["workflow_versions"] == 2

    async def test_reordering_tasks_is_a_new_version(self, svc: Service) -> None:
        await svc.client.put("/v1/workflows/etl", json=ETL)
        tasks = dict(reversed(list(ETL["tasks"].items())))
        r = await svc.client.put("/v1/workflows/etl", json={**ETL, "tasks": tasks})
        assert r.status_code == 201 and r.json()["version"] == 2
        stored = (await svc.client.get("/v1/workflows/etl")).json()
        assert list(stored["definition"]["tasks"]) == list(tasks)  # key order kept (plain JSON, not JSONB)
        assert [s["name"] for s in stored["graph"]["steps"]] == list(tasks)

    async def test_the_search_example_stores_and_warns_of_unregistered_handlers(self, svc: Service) -> None:
        await svc.client.put("/v1/handlers/GoogleSearcher", json=HANDLER)
        r = await svc.client.put("/v1/workflows/search", json=SEARCH)
        assert r.status_code == 201, r.text
        warned = {(w["code"], w["loc"]) for w in r.json()["warnings"]}
        assert warned == {
            ("handler_not_registered", "/phases/fetching-pages/handlers/0"),
            ("handler_not_registered", "/phases/error/handlers/0"),
            ("handler_not_registered", "/phases/finished/handlers/0"),
        }
        assert r.json()["graph"]["entry"] == ["pending"]
        for name in ["PageDownloader", "ErrorEmailer", "JobFinisher"]:
            await svc.client.put(f"/v1/handlers/{name}", json=HANDLER)
        assert (await svc.client.get("/v1/workflows/search")).json()["warnings"] == []

    async def test_faults_are_one_422_listing_every_one_and_nothing_is_stored(self, svc: Service) -> None:
        r = await svc.client.put("/v1/workflows/bad", json=FAULTY)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        expected = compile_definition(FAULTY, name="bad", registered_handlers=[])
        assert r.json()["errors"] == [p.as_json() for p in expected.errors]
        codes = {e["code"] for e in r.json()["errors"]}
        assert codes >= {"unknown_target", "duplicate_handler", "final_with_transition", "bad_retry"}
        several = next(e for e in r.json()["errors"] if e["code"] == "several_initial")
        assert (several["loc"], several["steps"]) == ("/phases", ["a", "b"])
        assert await counts(svc) == {"handlers": 0, "workflows": 0, "workflow_versions": 0}
        assert (await svc.client.get("/v1/workflows/bad")).status_code == 404

    async def test_a_definition_nested_too_deep_to_render_is_422_and_nothing_is_stored(
        self, svc: Service
    ) -> None:
        deep = '{"tasks": {"a": {"handler": "h", "params": ' + "[" * 253 + "0" + "]" * 253 + "}}}"
        for url in ("/v1/workflows/deep", "/v1/workflows/validate"):
            r = await svc.client.request(
                "PUT" if url.endswith("deep") else "POST", url, content=deep, headers=JSON
            )
            assert r.status_code == (422 if url.endswith("deep") else 200), r.text
            problems = r.json()["errors"]
            assert [p["code"] for p in problems] == ["too_deep"]
        assert await counts(svc) == {"handlers": 0, "workflows": 0, "workflow_versions": 0}
        assert (await svc.client.get("/v1/workflows/deep")).status_code == 404

    async def test_a_name_key_must_match_the_path(self, svc: Service) -> None:
        r = await svc.client.put("/v1/workflows/etl", json={**ETL, "name": "other"})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "name_mismatch"

    async def test_a_definition_over_256_kib_is_413_naming_the_limit(self, svc: Service) -> None:
        big = {
            **ETL,
            "tasks": {
                **ETL["tasks"],
                "load_data": {**ETL["tasks"]["load_data"], "params": {"p": "x" * (256 << 10)}},
            },
        }
        r = await svc.client.put("/v1/workflows/etl", json=big)
        assert r.status_code == 413 and r.json()["limit_bytes"] == 256 << 10
        assert (await svc.client.post("/v1/workflows/validate", json=big)).status_code == 413
        assert (await counts(svc))["workflows"] == 0

    async def test_a_bad_workflow_name_is_422_naming_it_in_the_path(self, svc: Service) -> None:
        r = await svc.client.put("/v1/workflows/_x", json=ETL)
        assert r.status_code == 422 and "name" in named(r)


class TestValidate:
    async def test_the_same_list_with_200_and_nothing_stored(self, svc: Service) -> None:
        r = await svc.client.post("/v1/workflows/validate", json=FAULTY)
        assert r.status_code == 200
        put = await svc.client.put("/v1/workflows/bad", json=FAULTY)
        assert r.json() == {
            "valid": False,
            "errors": put.json()["errors"],
            "warnings": put.json()["warnings"],
            "graph": None,
        }
        ok = (await svc.client.post("/v1/workflows/validate", json=ETL)).json()
        assert ok["valid"] and ok["errors"] == [] and len(ok["warnings"]) == 3
        assert ok["graph"] == (await svc.client.put("/v1/workflows/etl", json=ETL)).json()["graph"]
        await svc.client.delete("/v1/workflows/etl")
        assert await counts(svc) == {"handlers": 0, "workflows": 1, "workflow_versions": 1}

    async def test_name_adds_the_name_check(self, svc: Service) -> None:
        body = {**ETL, "workflow": "etl"}
        assert (await svc.client.post("/v1/workflows/validate", json=body)).json()["valid"]
        r = await svc.client.post("/v1/workflows/validate", params={"name": "other"}, json=body)
        assert [e["code"] for e in r.json()["errors"]] == ["name_mismatch"]


class TestListAndDelete:
    async def test_delete_hides_the_latest_keeps_versions_and_a_put_brings_it_back(
        self, svc: Service
    ) -> None:
        await svc.client.put("/v1/workflows/etl", json=ETL)
        svc.clock.advance(1)
        r = await svc.client.delete("/v1/workflows/etl")
        assert r.status_code == 200 and r.json()["name"] == "etl" and r.json()["deleted_at"]
        assert (await svc.client.get("/v1/workflows/etl")).status_code == 404
        assert (await svc.client.delete("/v1/workflows/etl")).status_code == 404
        assert (await svc.client.get("/v1/workflows/etl/versions/1")).status_code == 200
        (item,) = (await svc.client.get("/v1/workflows")).json()["items"]
        assert (item["name"], item["latest_version"], item["deleted"]) == ("etl", 1, True)
        back = await svc.client.put("/v1/workflows/etl", json=ETL)
        assert back.status_code == 201 and back.json()["version"] == 2
        (item,) = (await svc.client.get("/v1/workflows")).json()["items"]
        assert (item["latest_version"], item["deleted"], item["deleted_at"]) == (2, False, None)

    async def test_unknown_workflow_is_404(self, svc: Service) -> None:
        for path in ["/v1/workflows/nope", "/v1/workflows/nope/versions/1"]:
            assert (await svc.client.get(path)).status_code == 404
        assert (await svc.client.delete("/v1/workflows/nope")).status_code == 404

    async def test_list_is_paged(self, svc: Service) -> None:
        for name in ["b", "a", "c"]:
            await svc.client.put(f"/v1/workflows/{name}", json=ETL)
        page = (await svc.client.get("/v1/workflows", params={"limit": 2})).json()
        assert [w["name"] for w in page["items"]] == ["a", "b"] and page["next_cursor"]


class TestIsolation:
    async def test_another_namespace_gets_404_and_a_read_key_403(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        a = {"Authorization": f"Bearer {await svc.key('team-a')}"}
        b = {"Authorization": f"Bearer {await svc.key('team-b')}"}
        reader = {"Authorization": f"Bearer {await svc.key('team-a', 'read')}"}
        assert (await svc.client.put("/v1/handlers/h", json=HANDLER, headers=a)).status_code == 201
        assert (await svc.client.put("/v1/workflows/etl", json=ETL, headers=a)).status_code == 201
        for path in ["/v1/handlers/h", "/v1/workflows/etl", "/v1/workflows/etl/versions/1"]:
            assert (await svc.client.get(path, headers=b)).status_code == 404
            assert (await svc.client.get(path, headers=reader)).status_code == 200
            assert (await svc.client.delete(path, headers=reader)).status_code in (403, 405)
        for path in ["/v1/handlers", "/v1/workflows"]:
            assert (await svc.client.get(path, headers=b)).json()["items"] == []
        assert (await svc.client.delete("/v1/handlers/h", headers=b)).status_code == 404
        assert (await svc.client.delete("/v1/workflows/etl", headers=b)).status_code == 404
        assert (await svc.client.put("/v1/handlers/h", json=HANDLER, headers=reader)).status_code == 403
        # B's own handler of the same name does not count as A's: A's workflow still warns.
        await svc.client.put("/v1/handlers/Loader", json=HANDLER, headers=b)
        warned = (await svc.client.get("/v1/workflows/etl", headers=a)).json()["warnings"]
        assert "handler 'Loader' is not registered" in [w["message"] for w in warned]
