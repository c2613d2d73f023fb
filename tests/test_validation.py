"""Bad input gets an RFC 9457 problem+json naming each field, with the right status, and writes nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

import app.jobs.reads
from app.core.requestctx import JsonFormatter
from tests.conftest import Service

MiB = 1 << 20
CALLBACK = {"url": "http://127.0.0.1:9/hook"}


def assert_problem(r: httpx.Response, status: int, *fields: str) -> dict[str, Any]:
    """Check an RFC 9457 problem: media type, members, the request id, and (for 422) the fields named."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys(), body
    assert body["status"] == status
    assert body["detail"]
    request_id = r.headers["x-request-id"]
    assert request_id in body["instance"]
    assert body["request_id"] == request_id
    if fields:
        named = {e["field"] for e in body["errors"]}
        for err in body["errors"]:
            assert {"field", "in", "reason"} <= err.keys(), err
        assert set(fields) <= named, body["errors"]
    return body


def gather(**fields: Any) -> dict[str, Any]:
    return {"id": "g1", "job_ids": ["a", "b"], **fields}


async def assert_nothing_written(svc: Service) -> None:
    r = await svc.client.get("/v1/jobs")
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []
    assert_problem(await svc.client.get("/v1/gathers/g1"), 404)


class TestWrongTypes:
    @pytest.mark.parametrize(
        ("fields", "named"),
        [
            ({"job_ids": "a"}, "job_ids"),
            ({"timeout_seconds": "abc"}, "timeout_seconds"),
            ({"on_failure": "sometimes"}, "on_failure"),
            ({"job_ids": ["a", 7]}, "job_ids.1"),
        ],
    )
    async def test_gather_field_of_wrong_type_is_422_naming_it(
        self, svc: Service, fields: dict[str, Any], named: str
    ) -> None:
        r = await svc.client.post("/v1/gathers", json=gather(**fields))
        body = assert_problem(r, 422, named)
        assert body["errors"][0]["in"] == "body"
        await assert_nothing_written(svc)

    async def test_report_with_unknown_status_is_422_naming_status(self, svc: Service) -> None:
        r = await svc.client.post("/v1/jobs/x/complete", json={"status": "bogus"})
        assert_problem(r, 422, "status")
        await assert_nothing_written(svc)

    async def test_report_with_timed_out_status_is_422_because_only_the_service_times_out(
        self, svc: Service
    ) -> None:
        r = await svc.client.post("/v1/jobs/x/complete", json={"status": "timed_out"})
        assert_problem(r, 422, "status")

    async def test_register_with_text_timeout_is_422(self, svc: Service) -> None:
        assert_problem(
            await svc.client.put("/v1/jobs/x", json={"timeout_seconds": "abc"}), 422, "timeout_seconds"
        )
        await assert_nothing_written(svc)

    async def test_body_that_is_not_an_object_is_422(self, svc: Service) -> None:
        assert_problem(await svc.client.post("/v1/gathers", json=["a", "b"]), 422)
        await assert_nothing_written(svc)

    async def test_list_filter_with_unknown_status_is_422_naming_status_in_query(self, svc: Service) -> None:
        body = assert_problem(await svc.client.get("/v1/jobs", params={"status": "bogus"}), 422, "status")
        assert body["errors"][0]["in"] == "query"


class TestUnknownFields:
    async def test_extra_key_in_gather_create_is_422_naming_it(self, svc: Service) -> None:
        assert_problem(await svc.client.post("/v1/gathers", json=gather(jobs=["a"])), 422, "jobs")
        await assert_nothing_written(svc)

    async def test_extra_key_in_report_is_422_naming_it(self, svc: Service) -> None:
        r = await svc.client.post("/v1/jobs/x/complete", json={"status": "succeeded", "result": 1})
        assert_problem(r, 422, "result")
        await assert_nothing_written(svc)

    async def test_extra_key_in_nested_callback_is_422_naming_its_path(self, svc: Service) -> None:
        r = await svc.client.post("/v1/gathers", json=gather(callback={**CALLBACK, "method": "PUT"}))
        assert_problem(r, 422, "callback.method")
        await assert_nothing_written(svc)

    async def test_extra_key_in_bulk_item_is_422_naming_its_position(self, svc: Service) -> None:
        reports = [{"id": "a"}, {"id": "b", "state": "done"}]
        assert_problem(
            await svc.client.post("/v1/jobs/complete", json={"reports": reports}), 422, "reports.1.state"
        )
        await assert_nothing_written(svc)


async def chunked(total: int, chunk: int = 64 << 10) -> AsyncIterator[bytes]:
    """A body streamed without content-length (transfer-encoding: chunked)."""
    sent = 0
    while sent < total:
        part = min(chunk, total - sent)
        sent += part
        yield b" " * part


class TestNulCharacters:
    """PostgreSQL cannot store U+0000 in text or jsonb; SQLite can. The API must answer the same on both."""

    @pytest.mark.parametrize(
        ("method", "path", "body", "field"),
        [
            ("POST", "/v1/jobs/x/complete", {"output": {"text": "a\u0000b"}}, "output"),
            ("PUT", "/v1/jobs/x", {"name": "a\u0000b"}, "name"),
            ("PUT", "/v1/jobs/x", {"metadata": {"k\u0000": 1}}, "metadata"),
        ],
        ids=["output", "name", "metadata-key"],
    )
    async def test_nul_in_a_string_is_422_on_every_database(
        self, svc: Service, method: str, path: str, body: dict[str, Any], field: str
    ) -> None:
        problem = assert_problem(await svc.client.request(method, path, json=body), 422)
        assert any(e["field"].startswith(field) for e in problem["errors"]), problem["errors"]
        assert_problem(await svc.client.get("/v1/jobs/x"), 404)


class TestBodyLimits:
    async def test_two_mib_report_is_413(self, svc: Service) -> None:
        body = json.dumps({"output": "x" * (2 * MiB)}).encode()
        r = await svc.client.post(
            "/v1/jobs/x/complete", content=body, headers={"content-type": "application/json"}
        )
        problem = assert_problem(r, 413)
        assert problem["limit_bytes"] == MiB
        await assert_nothing_written(svc)

    async def test_gather_over_sixteen_mib_is_413(self, svc: Service) -> None:
        ids = [f"job-{i:020d}" for i in range(16 * MiB // 26 + 1000)]
        body = json.dumps({"id": "g1", "job_ids": ids}).encode()
        assert len(body) > 16 * MiB
        r = await svc.client.post("/v1/gathers", content=body, headers={"content-type": "application/json"})
        assert assert_problem(r, 413)["limit_bytes"] == 16 * MiB
        await assert_nothing_written(svc)

    async def test_gather_body_between_the_limits_is_accepted(self, svc: Service) -> None:
        body = json.dumps({"id": "g1", "job_ids": ["a"], "callback": CALLBACK}).encode()
        padded = body[:-1] + b" " * (2 * MiB) + b"}"
        r = await svc.client.post("/v1/gathers", content=padded, headers={"content-type": "application/json"})
        assert r.status_code == 201, r.text

    @pytest.mark.parametrize(
        ("path", "limit"), [("/v1/jobs/x/complete", MiB), ("/v1/gathers", 16 * MiB)], ids=["report", "gather"]
    )
    async def test_chunked_body_without_content_length_over_the_limit_is_413(
        self, svc: Service, path: str, limit: int
    ) -> None:
        r = await svc.client.post(
            path, content=chunked(limit + 1), headers={"content-type": "application/json"}
        )
        assert "content-length" not in r.request.headers
        assert r.request.headers["transfer-encoding"] == "chunked"
        assert assert_problem(r, 413)["limit_bytes"] == limit
        await assert_nothing_written(svc)

    async def test_chunked_body_under_the_limit_is_accepted(self, svc: Service) -> None:
        async def parts() -> AsyncIterator[bytes]:
            yield b'{"status": '
            yield b'"failed"}'

        r = await svc.client.post(
            "/v1/jobs/x/complete", content=parts(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "failed"

    async def test_limit_is_configurable(self, service_factory: Callable[..., Any]) -> None:
        svc: Service = await service_factory(max_body_bytes=2048)
        r = await svc.client.post("/v1/jobs/x/complete", json={"output": "x" * 3000})
        assert assert_problem(r, 413)["limit_bytes"] == 2048


class TestUnknownQueryParameters:
    async def test_a_misspelt_filter_is_422_naming_it(self, svc: Service) -> None:
        body = assert_problem(await svc.client.get("/v1/jobs", params={"statuss": "failed"}), 422, "statuss")
        assert body["errors"] == [
            {"field": "statuss", "in": "query", "reason": "this route takes no such parameter"}
        ]
        assert (await svc.client.get("/v1/jobs", params={"status": "failed", "limit": 5})).status_code == 200

    async def test_each_route_is_checked_against_its_own_parameters(self, svc: Service) -> None:
        r = await svc.client.post("/v1/jobs/q/complete", params={"limit": "5"}, json={})
        assert assert_problem(r, 422, "limit")["errors"][0]["in"] == "query"
        await assert_nothing_written(svc)
        assert (await svc.client.get("/v1/jobs/q", params={"cursor": "x"})).status_code == 422
        assert (await svc.client.post("/v1/jobs/q/complete", json={})).status_code == 200
        # A path no route takes is the router's to answer, whatever its query.
        assert (await svc.client.get("/v1/nothing-here", params={"x": "1"})).status_code == 404


class TestJsonDepth:
    async def test_json_nested_deeper_than_32_is_422_naming_the_field(self, svc: Service) -> None:
        ok = {"metadata": json.loads("[" * 32 + "]" * 32)}
        assert (await svc.client.put("/v1/jobs/shallow", json=ok)).status_code == 201
        deep = '{"output": ' + "[" * 33 + "]" * 33 + "}"
        r = await svc.client.post(
            "/v1/jobs/deep/complete", content=deep, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "output" and "32 deep" in r.json()["errors"][0]["reason"]
        assert (await svc.client.get("/v1/jobs/deep")).status_code == 404

    async def test_json_too_deep_to_parse_is_400(self, svc: Service) -> None:
        deep = '{"output": ' + "[" * 100_000 + "]" * 100_000 + "}"
        r = await svc.client.post(
            "/v1/jobs/x/complete", content=deep, headers={"content-type": "application/json"}
        )
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"


class TestBadIds:
    @pytest.mark.parametrize("path", ["/v1/jobs/%20bad/complete", "/v1/jobs/-leading-dash/complete"])
    async def test_report_to_bad_path_id_is_422_naming_job_id(self, svc: Service, path: str) -> None:
        body = assert_problem(await svc.client.post(path, json={}), 422, "job_id")
        assert body["errors"][0]["in"] == "path"
        await assert_nothing_written(svc)

    async def test_register_with_leading_dash_is_422(self, svc: Service) -> None:
        assert_problem(await svc.client.put("/v1/jobs/-leading-dash", json={}), 422, "job_id")
        assert_problem(await svc.client.get("/v1/jobs/-leading-dash"), 422, "job_id")
        await assert_nothing_written(svc)

    async def test_path_id_of_201_chars_is_422(self, svc: Service) -> None:
        assert_problem(await svc.client.post(f"/v1/jobs/{'a' * 201}/complete", json={}), 422, "job_id")

    @pytest.mark.parametrize(
        "bad", ["a b", "", "a" * 201, "-a", "a?b"], ids=["space", "empty", "201", "dash", "q"]
    )
    async def test_gather_with_bad_job_id_is_422_naming_its_position(self, svc: Service, bad: str) -> None:
        assert_problem(
            await svc.client.post("/v1/gathers", json=gather(job_ids=["ok", bad])), 422, "job_ids.1"
        )
        await assert_nothing_written(svc)

    async def test_gather_with_bad_own_id_is_422_naming_id(self, svc: Service) -> None:
        assert_problem(await svc.client.post("/v1/gathers", json=gather(id="a b")), 422, "id")

    async def test_id_of_200_chars_is_accepted(self, svc: Service) -> None:
        job_id = "a" * 200
        r = await svc.client.post(f"/v1/jobs/{job_id}/complete", json={})
        assert r.status_code == 200, r.text
        assert r.json()["id"] == job_id


class TestGatherSize:
    async def test_more_than_100000_job_ids_is_422_naming_job_ids(self, svc: Service) -> None:
        ids = [f"j{i}" for i in range(100_001)]
        body = json.dumps({"id": "g1", "job_ids": ids}).encode()
        assert len(body) < 16 * MiB
        r = await svc.client.post("/v1/gathers", content=body, headers={"content-type": "application/json"})
        assert_problem(r, 422, "job_ids")
        await assert_nothing_written(svc)

    async def test_configured_max_gather_jobs_is_422_naming_job_ids(
        self, service_factory: Callable[..., Any]
    ) -> None:
        svc: Service = await service_factory(max_gather_jobs=3)
        r = await svc.client.post("/v1/gathers", json=gather(job_ids=["a", "b", "c", "d"]))
        assert_problem(r, 422, "job_ids")
        await assert_nothing_written(svc)

    async def test_configured_max_gather_jobs_counts_members_added_later(
        self, service_factory: Callable[..., Any]
    ) -> None:
        svc: Service = await service_factory(max_gather_jobs=3)
        r = await svc.client.post("/v1/gathers", json=gather(job_ids=["a", "b"], sealed=False))
        assert r.status_code == 201, r.text
        assert_problem(
            await svc.client.post("/v1/gathers/g1/jobs", json={"job_ids": ["c", "d"]}), 422, "job_ids"
        )
        assert_problem(
            await svc.client.post("/v1/gathers/g1/jobs", json={"job_ids": ["a", "b", "c", "d"]}),
            422,
            "job_ids",
        )
        jobs = (await svc.client.get("/v1/jobs")).json()["items"]
        assert sorted(j["id"] for j in jobs) == ["a", "b"]  # a refused addition registers nothing
        r = await svc.client.post("/v1/gathers/g1/jobs", json={"job_ids": ["a", "c"]})  # a is in it already
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 3

    async def test_duplicate_job_ids_are_422_naming_job_ids(self, svc: Service) -> None:
        body = assert_problem(await svc.client.post("/v1/gathers", json=gather(job_ids=["a", "b", "a"])), 422)
        assert [e["field"] for e in body["errors"]] == ["job_ids"]
        assert "a" in body["errors"][0]["reason"]
        await assert_nothing_written(svc)


class TestDurations:
    async def test_non_positive_durations_are_422_naming_each_field(self, svc: Service) -> None:
        body = gather(timeout_seconds=-1, poll_interval_seconds=0, max_attempts=0)
        r = await svc.client.post("/v1/gathers", json=body)
        assert_problem(r, 422, "timeout_seconds", "poll_interval_seconds", "max_attempts")
        await assert_nothing_written(svc)

    @pytest.mark.parametrize("value", [-1, 0])
    async def test_non_positive_job_timeout_is_422(self, svc: Service, value: int) -> None:
        assert_problem(
            await svc.client.put("/v1/jobs/x", json={"timeout_seconds": value}), 422, "timeout_seconds"
        )
        assert_problem(
            await svc.client.post("/v1/jobs", json={"timeout_seconds": value}), 422, "timeout_seconds"
        )
        r = await svc.client.post("/v1/jobs/x/heartbeat", json={"timeout_seconds": value})
        assert_problem(r, 422, "timeout_seconds")
        await assert_nothing_written(svc)


class TestGatherIds:
    @pytest.mark.parametrize("gid", ["team/members", "a/b/explain"])
    async def test_ids_that_would_shadow_a_read_route_are_422(self, svc: Service, gid: str) -> None:
        r = await svc.client.post("/v1/gathers", json={"id": gid, "job_ids": []})
        assert_problem(r, 422, "id")

    async def test_slashes_elsewhere_are_fine(self, svc: Service) -> None:
        r = await svc.client.post("/v1/gathers", json={"id": "team/members-7", "job_ids": ["a"]})
        assert r.status_code == 201, r.text
        assert (await svc.client.get("/v1/gathers/team%2Fmembers-7")).json()["id"] == "team/members-7"


class TestCallbacks:
    @pytest.mark.parametrize(
        "url",
        [
            "ftp://x",
            "not a url",
            "http://",
            "http://user:pw@host/",
            "",
            "http://example.com/\x7f",
            "http://a..b/",
            "http://xn--/",
            "http://exa mple.com/",
        ],
    )
    async def test_callback_url_that_is_not_http_is_422_naming_callback_url(
        self, svc: Service, url: str
    ) -> None:
        r = await svc.client.post("/v1/gathers", json=gather(callback={"url": url}))
        assert_problem(r, 422, "callback.url")
        await assert_nothing_written(svc)

    async def test_failure_callback_url_is_checked_too(self, svc: Service) -> None:
        r = await svc.client.post("/v1/gathers", json=gather(failure_callback={"url": "ftp://x"}))
        assert_problem(r, 422, "failure_callback.url")

    @pytest.mark.parametrize("header", ["webhook-signature", "Webhook-Id", "Content-Type", "content-length"])
    async def test_callback_header_overriding_the_service_is_422(self, svc: Service, header: str) -> None:
        r = await svc.client.post("/v1/gathers", json=gather(callback={**CALLBACK, "headers": {header: "v"}}))
        body = assert_problem(r, 422, "callback.headers")
        assert header in body["errors"][0]["reason"]
        await assert_nothing_written(svc)

    @pytest.mark.parametrize("value", ["7\r\nX-Evil: 1", "café", "a\x00b", "\x7f"])
    async def test_callback_header_value_that_is_not_printable_ascii_is_422(
        self, svc: Service, value: str
    ) -> None:
        headers = {"X-Tenant": value}
        r = await svc.client.post("/v1/gathers", json=gather(callback={**CALLBACK, "headers": headers}))
        body = assert_problem(r, 422)
        assert all(e["field"].startswith("callback.headers") for e in body["errors"]), body["errors"]
        await assert_nothing_written(svc)

    @pytest.mark.parametrize("url", ["http://bücher.invalid/hook", "https://[2001:db8::1]:8443/x"])
    async def test_international_and_ipv6_hosts_are_accepted(self, svc: Service, url: str) -> None:
        r = await svc.client.post("/v1/gathers", json=gather(callback={"url": url}))
        assert r.status_code == 201, r.text


class TestMalformedRequests:
    async def test_invalid_json_is_422_problem(self, svc: Service) -> None:
        r = await svc.client.post(
            "/v1/gathers", content=b'{"id": "g1", "job_ids": [', headers={"content-type": "application/json"}
        )
        body = assert_problem(r, 422)
        assert body["errors"][0]["in"] == "body"
        await assert_nothing_written(svc)

    async def test_invalid_json_names_the_body_not_a_character_offset(self, svc: Service) -> None:
        r = await svc.client.post(
            "/v1/gathers", content=b'{"id": "g1", "job_ids": [', headers={"content-type": "application/json"}
        )
        body = assert_problem(r, 422, "body")
        assert "25" in body["errors"][0]["reason"]

    async def test_missing_required_field_is_422_naming_it(self, svc: Service) -> None:
        assert_problem(await svc.client.post("/v1/gathers", json={"id": "g1"}), 422, "job_ids")

    async def test_unknown_route_is_404_problem(self, svc: Service) -> None:
        body = assert_problem(await svc.client.get("/v1/nothing-here"), 404)
        assert "/v1/nothing-here" in body["detail"]

    async def test_wrong_method_is_405_problem(self, svc: Service) -> None:
        r = await svc.client.patch("/v1/jobs/x", json={})
        body = assert_problem(r, 405)
        assert "PATCH" in body["detail"]
        assert "PUT" in r.headers["allow"]
        await assert_nothing_written(svc)

    async def test_long_poll_over_sixty_seconds_is_422_naming_wait(self, svc: Service) -> None:
        body = assert_problem(await svc.client.get("/v1/gathers/x", params={"wait": 61}), 422, "wait")
        assert body["errors"][0]["in"] == "query"

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "many"}])
    async def test_bad_page_size_is_422_naming_limit(self, svc: Service, params: dict[str, Any]) -> None:
        assert_problem(await svc.client.get("/v1/jobs", params=params), 422, "limit")


class TestRequestIds:
    async def test_client_request_id_is_echoed_and_named_in_the_problem(self, svc: Service) -> None:
        r = await svc.client.post(
            "/v1/jobs/x/complete", json={"status": "bogus"}, headers={"X-Request-Id": "rq-42"}
        )
        assert r.headers["x-request-id"] == "rq-42"
        body = assert_problem(r, 422, "status")
        assert body["instance"].endswith("rq-42")

    async def test_client_request_id_is_echoed_on_success(self, svc: Service) -> None:
        r = await svc.client.get("/v1/jobs", headers={"X-Request-Id": "rq-43"})
        assert r.status_code == 200
        assert r.headers["x-request-id"] == "rq-43"

    async def test_request_id_is_made_when_none_or_an_unsafe_one_is_given(self, svc: Service) -> None:
        first = await svc.client.get("/v1/jobs")
        unsafe = await svc.client.get("/v1/jobs", headers={"X-Request-Id": "bad id\twith spaces"})
        assert first.headers["x-request-id"].startswith("req_")
        assert unsafe.headers["x-request-id"].startswith("req_")
        assert first.headers["x-request-id"] != unsafe.headers["x-request-id"]

    async def test_request_id_rides_on_413_from_the_body_limit(self, svc: Service) -> None:
        r = await svc.client.post(
            "/v1/jobs/x/complete", content=chunked(2 * MiB), headers={"X-Request-Id": "rq-big"}
        )
        assert assert_problem(r, 413)["request_id"] == "rq-big"


class TestUnexpectedErrors:
    async def test_unexpected_error_is_logged_500_problem_with_request_id(
        self,
        service_factory: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        svc: Service = await service_factory()

        async def boom(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(app.jobs.reads, "get", boom)
        # The app's logger does not propagate; attach caplog's handler, formatting as the app does.
        logger = logging.getLogger("rendezvous")
        caplog.handler.setFormatter(JsonFormatter())
        logger.addHandler(caplog.handler)
        try:
            r = await svc.client.get("/v1/jobs/x", headers={"X-Request-Id": "rq-500"})
        finally:
            logger.removeHandler(caplog.handler)

        body = assert_problem(r, 500)
        assert body["request_id"] == "rq-500"
        assert "disk on fire" not in r.text
        (record,) = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
        assert record.exc_info is not None
        assert record.exc_info[0] is RuntimeError
        (line,) = [json.loads(text) for text in caplog.text.splitlines() if '"level": "error"' in text]
        assert line["request_id"] == "rq-500"
        assert "disk on fire" in line["exc"]
