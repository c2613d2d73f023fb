"""Input a hostile client sends: each is refused with a problem naming the field, stores nothing, and leaves
the namespace readable. Walked over every operation of openapi.json, not a hand-picked few.

- Strings that cannot be stored or rendered (a lone surrogate, U+0000) in any body value or key, path id
  or query value.
- JSON that is not standard JSON: NaN, Infinity, numbers that overflow a double, duplicate keys.
- Callback URLs the sender could never use.
- Two Authorization headers; a request without a valid key, whatever its body.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.core import strictjson
from app.models import metadata
from tests.conftest import Service

SPEC = json.loads((Path(__file__).resolve().parent.parent / "openapi.json").read_text())
CALLBACK = {"url": "http://127.0.0.1:9/hook"}
JSON = {"content-type": "application/json"}

# Raw JSON fragments a hostile client puts where a value goes: the first two are strings no database can
# store or response render, the rest numbers that are not standard JSON.
STRINGS = ['"\\udfff"', '"a\\ud800b"', '"\\u0000"']
NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400]
FRAGMENTS = STRINGS + NUMBERS
# Bytes a hostile client percent-encodes into a path or query: a surrogate in CESU-8, NUL, a stray byte,
# a truncated sequence.
ENCODED = ["%ED%B3%BF", "%00", "%FF", "a%F0%9F%98"]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def positions(schema: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every place in a body of ``schema`` a value can go: each property, nested properties, the first
    item of arrays and a key of free-form objects, as the path a 422 names."""
    schema = resolve(schema)
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from positions(option, path)
    for name, sub in schema.get("properties", {}).items():
        yield (*path, name)
        yield from positions(sub, (*path, name))
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        yield (*path, "0")
        yield from positions(schema["items"], (*path, "0"))
    if isinstance(schema.get("additionalProperties"), dict):
        yield (*path, "k")


def placed(path: tuple[str, ...], fragment: str) -> str:
    """The JSON text of a body that holds ``fragment`` at ``path`` (and nothing else)."""
    text = fragment
    for step in reversed(path):
        text = f"[{text}]" if step == "0" else f"{{{json.dumps(step)}: {text}}}"
    return text


def body_operations() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                found.append((method.upper(), path, op))
    return found


def concrete(template: str) -> str:
    values = {
        "index": "1",
        "set_name": "pending",
        "delivery_id": "dlv_x",
        "wait_id": "wai_x",
        "key_id": "key_x",
        "version": "1",
    }
    url = template
    while "{" in url:
        name = url[url.index("{") + 1 : url.index("}")]
        url = url.replace("{" + name + "}", values.get(name, "x"))
    return url


def assert_problem(r: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.headers
    body: dict[str, Any] = r.json()
    if field is not None:
        named = [e["field"] for e in body["errors"]]
        assert field in named, (field, body["errors"])
    return body


async def table_counts(svc: Service) -> dict[str, int]:
    async with svc.runtime.db.engine.connect() as conn:
        return {
            t.name: (await conn.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
            if t.name != "api_keys"
        }


async def readable(svc: Service) -> None:
    """The namespace's lists and reads all answer 200."""
    for path in ["/v1/jobs", "/v1/waits", "/v1/batch-jobs", "/v1/deliveries", "/v1/jobs/kept", "/v1/keys"]:
        r = await svc.client.get(path)
        assert r.status_code == 200, (path, r.text)


@pytest.fixture
async def seeded(svc: Service) -> Service:
    """A namespace with a job, a gather, a wait and a batch job, so refusals can be checked to change none."""
    c = svc.client
    assert (await c.put("/v1/jobs/kept", json={"metadata": {"a": 1}})).status_code == 201
    assert (
        await c.post("/v1/gathers", json={"id": "x", "job_ids": ["kept"], "sealed": False})
    ).status_code == 201
    add = {"participant_key": "p", "expected_participants": 3, "wait_seconds": 30, "callback": CALLBACK}
    assert (await c.post("/v1/waits/x/participants", json=add)).status_code in (200, 201)
    assert (await c.post("/v1/batch-jobs", json={"name": "imp"})).status_code == 201
    return svc


class TestEveryBodyPosition:
    async def test_every_fragment_in_every_position_of_every_body_is_422_naming_it(
        self, seeded: Service
    ) -> None:
        svc = seeded
        before = await table_counts(svc)
        tried = 0
        for method, template, op in body_operations():
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            url = concrete(template)
            spots = list(dict.fromkeys(positions(schema)))
            assert spots, op["operationId"]
            for spot in spots:
                for fragment in FRAGMENTS:
                    r = await svc.client.request(method, url, content=placed(spot, fragment), headers=JSON)
                    assert_problem(r, 422, ".".join(spot))
                    tried += 1
                # The same place holding an object with a duplicated key, or a key that is no string.
                dup = placed(spot, '{"d": 1, "d": 2}')
                assert_problem(
                    await svc.client.request(method, url, content=dup, headers=JSON),
                    422,
                    ".".join((*spot, "d")),
                )
                bad_key = placed(spot, '{"\\udfff": 1}')
                r = await svc.client.request(method, url, content=bad_key, headers=JSON)
                assert_problem(r, 422, ".".join((*spot, "\\udfff")))
        assert tried > 500
        assert await table_counts(svc) == before
        await readable(svc)

    async def test_a_top_level_key_given_twice_is_422_naming_it(self, seeded: Service) -> None:
        r = await seeded.client.post(
            "/v1/gathers", content=b'{"id": "a", "id": "b", "job_ids": []}', headers=JSON
        )
        body = assert_problem(r, 422, "id")
        assert "more than once" in body["errors"][0]["reason"]
        r = await seeded.client.post(
            "/v1/jobs/kept/complete", content=b'{"status": "succeeded", "status": "failed"}', headers=JSON
        )
        assert_problem(r, 422, "status")
        job = (await seeded.client.get("/v1/jobs/kept")).json()
        assert job["status"] != "failed" and job["status"] != "succeeded"
        assert (await seeded.client.get("/v1/gathers/a")).status_code == 404
        assert (await seeded.client.get("/v1/gathers/b")).status_code == 404

    async def test_a_body_that_is_not_utf8_is_422(self, seeded: Service) -> None:
        r = await seeded.client.put("/v1/jobs/y", content=b'{"name": "\xff"}', headers=JSON)
        assert_problem(r, 422, "body")
        assert (await seeded.client.get("/v1/jobs/y")).status_code == 404

    async def test_paired_surrogates_and_large_finite_numbers_are_fine(self, seeded: Service) -> None:
        body = (
            '{"metadata": {"emoji": "\\ud83d\\ude00", "big": 1.7976931348623157e308, "int": %s, '
            '"nan": "NaN"}}'
        )
        r = await seeded.client.put("/v1/jobs/ok", content=body % ("9" * 300), headers=JSON)
        assert r.status_code == 201, r.text
        meta = r.json()["metadata"]
        assert (
            meta["emoji"] == "\U0001f600" and meta["big"] == 1.7976931348623157e308 and meta["nan"] == "NaN"
        )
        assert meta["int"] == int("9" * 300)
        stored = (await seeded.client.get("/v1/jobs/ok")).json()["metadata"]
        # jsonb keeps numbers as decimals: the double may come back written as an integer, the same number.
        assert float(stored.pop("big")) == meta.pop("big") and stored == meta


class TestTheIssuesCases:
    """The inputs first reported, each where it was found, and the namespace afterwards."""

    @pytest.mark.parametrize("fragment", FRAGMENTS)
    @pytest.mark.parametrize(
        ("method", "path", "template", "field"),
        [
            ("PUT", "/v1/jobs/j", '{"metadata": {"k": %s}}', "metadata.k"),
            ("POST", "/v1/jobs/j/complete", '{"status": "succeeded", "output": [%s]}', "output.0"),
            ("POST", "/v1/jobs/j/complete", '{"status": "failed", "error": {"why": %s}}', "error.why"),
            (
                "POST",
                "/v1/waits/w/participants",
                '{"participant_key": "p", "expected_participants": 2, "wait_seconds": 5, '
                '"callback": {"url": "http://127.0.0.1:9/", "payload": %s}}',
                "callback.payload",
            ),
            (
                "POST",
                "/v1/gathers",
                '{"id": "g", "job_ids": [], "callback": {"url": "http://127.0.0.1:9/", '
                '"payload": {"p": %s}}}',
                "callback.payload.p",
            ),
        ],
        ids=["job-metadata", "job-output", "job-error", "wait-payload", "gather-payload"],
    )
    async def test_refused_and_the_namespace_still_reads(
        self, seeded: Service, fragment: str, method: str, path: str, template: str, field: str
    ) -> None:
        before = await table_counts(seeded)
        r = await seeded.client.request(method, path, content=template % fragment, headers=JSON)
        assert_problem(r, 422, field)
        assert await table_counts(seeded) == before
        await readable(seeded)

    async def test_a_lone_surrogate_in_a_gather_payload_key_or_batch_items_is_422(
        self, seeded: Service
    ) -> None:
        body = (
            '{"id": "g", "job_ids": [], '
            '"callback": {"url": "http://127.0.0.1:9/", "payload": {"\\udfff": 1}}}'
        )
        assert_problem(
            await seeded.client.post("/v1/gathers", content=body, headers=JSON),
            422,
            "callback.payload.\\udfff",
        )
        job = (await seeded.client.get("/v1/batch-jobs")).json()["items"][0]["id"]
        r = await seeded.client.post(
            f"/v1/jobs/{job}/batches", content='{"items": ["a", "\\udfff"]}', headers=JSON
        )
        assert_problem(r, 422, "items.1")
        await readable(seeded)

    async def test_the_service_itself_refuses_a_surrogate_in_free_form_json(self) -> None:
        """A second line behind the edge: the schemas' own validator refuses the same values."""
        from app.jobs.schemas import JobRegister

        for bad in ["\udfff", float("nan"), float("inf")]:
            with pytest.raises(ValueError):
                JobRegister.model_validate({"metadata": {"k": bad}})


class TestPathAndQuery:
    async def test_every_path_parameter_refuses_bytes_that_are_not_a_storable_string(
        self, seeded: Service
    ) -> None:
        """Servers decode a path's invalid UTF-8 to U+FFFD; no id may hold that, or U+0000, so each is a 422
        naming the parameter (an integer index that does not parse matches no route: 404)."""
        before = await table_counts(seeded)
        tried = 0
        for path, ops in SPEC["paths"].items():
            for method, op in ops.items():
                names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
                for name in names:
                    for encoded in ENCODED:
                        url = concrete(path.replace("{" + name + "}", "x" + encoded))
                        body = b"{}" if method in ("post", "put") else None
                        r = await seeded.client.request(method.upper(), url, content=body, headers=JSON)
                        if name == "index":
                            assert_problem(r, 404)
                        else:
                            problem = assert_problem(r, 422, name)
                            assert all(e["in"] == "path" for e in problem["errors"] if e["field"] == name)
                        tried += 1
        assert tried > 50
        assert await table_counts(seeded) == before
        await readable(seeded)

    async def test_every_query_parameter_refuses_bytes_that_are_not_a_storable_string(
        self, seeded: Service
    ) -> None:
        tried = 0
        for path, ops in SPEC["paths"].items():
            for method, op in ops.items():
                names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
                for name in names:
                    for encoded in ENCODED:
                        url = f"{concrete(path)}?{name}={encoded}"
                        body = b"{}" if method in ("post", "put") else None
                        r = await seeded.client.request(method.upper(), url, content=body, headers=JSON)
                        body_ = assert_problem(r, 422, name)
                        assert body_["errors"][0]["in"] == "query"
                        tried += 1
        assert tried > 20
        await readable(seeded)

    async def test_a_forged_cursor_holding_a_surrogate_is_422(self, seeded: Service) -> None:
        import base64

        for raw in [b'["\\udfff"]', b'["\\u0000"]', b"[NaN]", b'["a", "a"]']:
            cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
            r = await seeded.client.get("/v1/jobs", params={"cursor": cursor})
            assert_problem(r, 422, "cursor")


class TestCallbackUrls:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:65536/hook",
            "http://127.0.0.1:99999/hook",
            "http://127.0.0.1:0/hook",
            "http://1.2.3.4.5/hook",
            "http://0x7f.1/hook",
            "http://host.123/hook",
            "http://exa mple.com/hook",
            "http://a..b/hook",
            "http://[::1/hook",
        ],
    )
    async def test_a_url_the_sender_cannot_use_is_422_on_every_route_with_a_callback(
        self, seeded: Service, url: str
    ) -> None:
        c = seeded.client
        callback = {"url": url}
        wait = {"participant_key": "p", "expected_participants": 2, "wait_seconds": 5, "callback": callback}
        attempts = [
            ("POST", "/v1/gathers", {"id": "g", "job_ids": [], "callback": callback}, "callback.url"),
            (
                "POST",
                "/v1/gathers",
                {"id": "g", "job_ids": [], "failure_callback": callback},
                "failure_callback.url",
            ),
            ("POST", "/v1/batch-jobs", {"name": "b", "callback": callback}, "callback.url"),
            ("POST", "/v1/waits/w2/participants", wait, "callback.url"),
        ]
        before = await table_counts(seeded)
        for method, path, body, field in attempts:
            assert_problem(await c.request(method, path, json=body), 422, field)
        assert await table_counts(seeded) == before

    async def test_the_highest_port_is_accepted(self, seeded: Service) -> None:
        body = {"id": "g", "job_ids": [], "callback": {"url": "http://127.0.0.1:65535/hook"}}
        assert (await seeded.client.post("/v1/gathers", json=body)).status_code == 201


def all_operations() -> list[tuple[str, str]]:
    return [(m.upper(), p) for p, ops in SPEC["paths"].items() for m in ops if p.startswith("/v1/")]


class TestAuthentication:
    async def test_two_authorization_headers_are_401_and_leave_no_record(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        a1, a2 = await svc.key("team-a"), await svc.key("team-a")
        b = await svc.key("team-b")
        pairs = {"one-namespace": (a1, a2), "two-namespaces": (b, a1), "one-key-twice": (a1, a1)}
        for label, (first, second) in pairs.items():
            for idem in (None, f"idem-{label}"):
                headers = [("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {second}")]
                if idem:
                    headers.append(("Idempotency-Key", idem))
                r = await svc.client.post("/v1/jobs", json={"name": "n"}, headers=headers)
                body = assert_problem(r, 401)
                assert "exactly one Authorization header" in body["detail"], label
                assert 'error="invalid_request"' in r.headers["www-authenticate"]
        counts = await table_counts(svc)
        assert counts["idempotency_keys"] == 0 and counts["jobs"] == 0
        # A's key alone, with the idempotency key the refused request carried, runs anew in A.
        r = await svc.client.post(
            "/v1/jobs",
            json={"name": "n"},
            headers={"Authorization": f"Bearer {a1}", "Idempotency-Key": "idem-two-namespaces"},
        )
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        assert (
            await svc.client.get(f"/v1/jobs/{r.json()['id']}", headers={"Authorization": f"Bearer {b}"})
        ).status_code == 404

    async def test_two_headers_are_refused_on_reads_too(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        key = await svc.key()
        headers = [("Authorization", f"Bearer {key}"), ("Authorization", f"Bearer {key}")]
        assert_problem(await svc.client.get("/v1/jobs", headers=headers), 401)

    async def test_two_idempotency_keys_are_422(self, svc: Service) -> None:
        headers = [("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
        r = await svc.client.post("/v1/jobs", json={}, headers=headers)
        assert_problem(r, 422, "Idempotency-Key")
        assert (await table_counts(svc))["idempotency_keys"] == 0

    @pytest.mark.parametrize(
        "body",
        [b"{", b'{"metadata": NaN}', b'{"a": 1, "a": 2}', b'"\\udfff"', b"x" * (3 << 20)],
        ids=["unparsable", "nan", "duplicate", "surrogate", "oversize"],
    )
    async def test_without_a_valid_key_every_route_is_401_whatever_the_body(
        self, service_factory: Any, body: bytes
    ) -> None:
        svc: Service = await service_factory(dev=False)
        for auth in (None, "Bearer rdv_unknown", "Basic abc"):
            for method, path in all_operations():
                headers = {**JSON, **({"Authorization": auth} if auth else {})}
                content = body if method in ("POST", "PUT", "PATCH") else None
                r = await svc.client.request(method, concrete(path), content=content, headers=headers)
                assert_problem(r, 401)
                assert "errors" not in r.json()
                assert r.headers["www-authenticate"].startswith('Bearer realm="rendezvous"')

    async def test_a_read_key_writing_is_403_whatever_the_body(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        reader = {"Authorization": f"Bearer {await svc.key(role='read')}", **JSON}
        for method, path in all_operations():
            if method in ("POST", "PUT", "DELETE"):
                r = await svc.client.request(method, concrete(path), content=b"{", headers=reader)
                assert_problem(r, 403)


class TestTheParser:
    """The edge's parser alone, at the boundaries."""

    @pytest.mark.parametrize(
        "text",
        [
            "[" + str(int(sys.float_info.max)) + "]",  # the largest double, written as an integer
            "[-" + "9" * 308 + "]",
            "[1e308, 5e-324, 0e-400, -0.0, 0.0, 1E+2]",
            '["\\ud83d\\ude00", "\\\\udfff"]',  # a paired surrogate; an escaped backslash before "udfff"
            '{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}',  # equal keys in different objects
        ],
    )
    def test_standard_json_passes(self, text: str) -> None:
        assert strictjson.parse(text.encode()) == json.loads(text)

    @pytest.mark.parametrize(
        ("text", "field"),
        [
            ("[" + str(int(sys.float_info.max) + 10**300) + "]", "0"),
            ("[-" + "9" * 309 + "]", "0"),
            ('{"n": -' + "9" * 5000 + "}", "n"),
            ('{"x": [1, {"y": 1e999}]}', "x.1.y"),
            ('{"x": [1e-400]}', "x.0"),
            ('{"x": -0.0001e-400}', "x"),
            ('{"x": {"y": 1, "z": 2, "y": 3}}', "x.y"),
            ('{"x": ["ok", "\\uDC00"]}', "x.1"),
            ('{"x": {"\\u0000": 1}}', "x.\\u0000"),
            ('"\\ud800"', "body"),
        ],
    )
    def test_what_is_refused_is_named(self, text: str, field: str) -> None:
        with pytest.raises(strictjson.JsonRejected) as refused:
            strictjson.parse(text.encode())
        assert refused.value.status == 422
        assert [e["field"] for e in refused.value.errors] == [field]

    def test_every_problem_is_listed_up_to_the_limit(self) -> None:
        text = json.dumps({f"k{i}": "\udfff" for i in range(80)})
        with pytest.raises(strictjson.JsonRejected) as refused:
            strictjson.parse(text.encode())
        assert len(refused.value.errors) == 50


async def test_behind_a_root_path_the_caller_is_still_resolved_first(service_factory: Any) -> None:
    """Mounted under a prefix (uvicorn --root-path), /v1 is still recognised: 401 before the body, and a key
    works."""
    svc: Service = await service_factory(dev=False)
    key = await svc.key()
    transport = httpx.ASGITransport(app=svc.client._transport.app, root_path="/api")  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://rendezvous.test") as client:
        assert_problem(await client.post("/api/v1/jobs", content=b"{", headers=JSON), 401)
        ok = await client.post("/api/v1/jobs", json={}, headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 201, ok.text


class TestContentTypes:
    """The edge and the routes never disagree about what the body is: every /v1 body is JSON to the edge."""

    BODY = b'{"metadata": {"d": 1, "d": 2, "big": 1' + b"0" * 400 + b"}}"

    @pytest.mark.parametrize(
        "headers",
        [
            [(b"content-type", b"application/json"), (b"content-type", b"text/plain")],
            [(b"content-type", b"text/plain"), (b"content-type", b"application/json")],
            [(b"content-type", b"application/json\xa0")],
            [(b"content-type", b"\x85application/json")],
            [(b"content-type", b"text/plain")],
            [(b"content-type", b"application/x-www-form-urlencoded")],
            [],
        ],
        ids=["json-then-text", "text-then-json", "nbsp", "nel", "text", "form", "none"],
    )
    async def test_a_hostile_body_is_refused_whatever_its_content_type(
        self, seeded: Service, headers: list[tuple[bytes, bytes]]
    ) -> None:
        before = await table_counts(seeded)
        r = await seeded.client.put("/v1/jobs/ct", content=self.BODY, headers=headers)
        assert_problem(r, 422, "metadata.d")
        assert await table_counts(seeded) == before

    async def test_a_big_body_is_judged_the_same(self, seeded: Service) -> None:
        job_ids = [f"job-{i}" for i in range(20_000)] + ["\udfff"]
        body = json.dumps({"id": "big", "job_ids": job_ids}).encode()
        assert len(body) > 64 << 10
        assert_problem(
            await seeded.client.post("/v1/gathers", content=body, headers=JSON), 422, "job_ids.20000"
        )

    async def test_outside_v1_a_body_is_not_parsed(self, service_factory: Any) -> None:
        svc: Service = await service_factory(dev=False)
        r = await svc.client.post("/healthz", content=b'{"a": NaN', headers=JSON)
        assert_problem(r, 405)


async def test_a_root_path_is_removed_only_as_whole_segments(service_factory: Any) -> None:
    """As the router does: with root_path "/v", "/v1/jobs" is still the API (not "1/jobs")."""
    svc: Service = await service_factory(dev=False)
    key = await svc.key()
    transport = httpx.ASGITransport(app=svc.client._transport.app, root_path="/v")  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://rendezvous.test") as client:
        assert_problem(await client.post("/v1/jobs", content=b"{", headers=JSON), 401)
        ok = await client.post("/v1/jobs", json={}, headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 201, ok.text
