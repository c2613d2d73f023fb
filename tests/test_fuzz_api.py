"""Schemathesis against openapi.json: generated requests to every operation, bounded per operation.

The service runs for real (uvicorn on loopback, in a thread) on the test database, outside dev mode: requests
carry an operator's key (an admin key of the admin namespace, so every operation is reachable), and
Schemathesis also tries them without it. No response may be a 5xx, and every response must match the
documented status codes, content types, headers and schemas; generated Idempotency-Key headers exercise
replays and refusals. Callback URLs the fuzzer invents all resolve to a documentation address, which the
SSRF guard refuses: nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import uvicorn
from schemathesis.specs.openapi.checks import allow_header_conformance, positive_data_acceptance

from app.access import service as access
from app.core.clock import SystemClock
from app.core.db import Database, make_engine
from app.main import create_app
from tests.conftest import make_settings, truncate

SPEC = Path(__file__).resolve().parent.parent / "openapi.json"
EXAMPLES = int(os.environ.get("RENDEZVOUS_FUZZ_EXAMPLES", "50"))

schema = schemathesis.openapi.from_path(str(SPEC))


async def documentation_address(host: str, port: int) -> list[str]:
    return ["192.0.2.1"]  # TEST-NET-1: never a global unicast address, so every delivery is refused


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def operator_key(database_url: str) -> str:
    db = Database(make_engine(database_url, pool_size=1), SystemClock())
    try:
        _, key = await db.run(lambda tx: access.create_key(tx, namespace="admin", role="admin", name="fuzz"))
        return key
    finally:
        await db.engine.dispose()


@dataclass(frozen=True)
class Target:
    url: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def target(database_url: str) -> Iterator[Target]:
    asyncio.run(truncate(database_url))
    key = asyncio.run(operator_key(database_url))
    app = create_app(make_settings(database_url, dev=False), resolver=documentation_address)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    yield Target(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"})
    server.should_exit = True
    thread.join(timeout=30)


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
def test_no_server_errors_and_responses_match_the_schema(case: Any, target: Target) -> None:
    # Two default checks are left out, for reasons of the API's shape, not of leniency:
    # - "schema-valid data is accepted": opaque values (cursors, ids of things that do not exist) make
    #   schema-valid requests fail with 4xx by design;
    # - "Allow matches the schema": ids may contain "/", so a URL such as /v1/jobs/complete is both the bulk
    #   report route and job "complete"; a 405's Allow lists every method served at that URL, which can be
    #   more than one path template of the schema declares.
    excluded = [positive_data_acceptance, allow_header_conformance]
    case.call_and_validate(base_url=target.url, headers=target.headers, timeout=30, excluded_checks=excluded)
