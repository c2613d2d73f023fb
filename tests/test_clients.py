"""The generated clients (``make clients``): the committed code is what openapi.json generates today, and a
scenario runs through each against a live server (a gather with three reports, a wait to quorum, a conflict
read as a typed problem), on the suite's database."""

from __future__ import annotations

import filecmp
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import BIN, ROOT, live_server

CLIENTS = ROOT / "clients"
PYTHON_CLIENT = CLIENTS / "python"
TYPESCRIPT = CLIENTS / "typescript"
NPM = shutil.which("npm")
NODE = shutil.which("node")


def _differences(left: Path, right: Path) -> list[str]:
    """Files that differ, or are on one side only, between two trees (caches left out)."""
    found: list[str] = []
    compared = filecmp.dircmp(left, right, ignore=["__pycache__"])
    stack = [(compared, "")]
    while stack:
        node, prefix = stack.pop()
        found += [prefix + name for name in node.left_only + node.right_only + node.diff_files]
        found += [prefix + name for name in node.funny_files + node.common_funny]
        stack += [(sub, f"{prefix}{name}/") for name, sub in node.subdirs.items()]
    return sorted(found)


def test_the_python_client_is_what_openapi_json_generates(tmp_path: Path) -> None:
    out = tmp_path / "rendezvous_client"
    argv = [str(BIN / "openapi-python-client"), "generate", "--path", str(ROOT / "openapi.json")]
    argv += ["--meta", "none", "--output-path", str(out), "--config", str(CLIENTS / "python-config.yaml")]
    subprocess.run(argv, check=True, capture_output=True)
    stale = _differences(out, PYTHON_CLIENT / "rendezvous_client")
    assert stale == [], f"clients/python is stale (run `make clients`): {stale}"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server() as base:
        yield base


def test_a_scenario_through_the_python_client(server: str) -> None:
    sys.path.insert(0, str(PYTHON_CLIENT))
    try:
        from rendezvous_client import Client
        from rendezvous_client.api.gathers import create_gather, get_gather
        from rendezvous_client.api.jobs import complete_job
        from rendezvous_client.api.waits import add_wait_participant, get_wait
        from rendezvous_client.models import (
            Callback,
            GatherCreate,
            JobComplete,
            JobCompleteStatus,
            ParticipantAdd,
            Problem,
        )
    finally:
        sys.path.remove(str(PYTHON_CLIENT))
    # Dev mode takes no key (an AuthenticatedClient carries one with every call otherwise).
    client: Any = Client(base_url=server, raise_on_unexpected_status=True)
    job_ids = [f"py-job-{n}" for n in range(3)]
    created = create_gather.sync_detailed(client=client, body=GatherCreate(id="py-gather", job_ids=job_ids))
    assert created.status_code == 201
    for job_id in job_ids:
        body = JobComplete(status=JobCompleteStatus.SUCCEEDED, output={"n": job_id})
        done: Any = complete_job.sync(job_id, client=client, body=body)
        assert done.status == "succeeded"
    gather: Any = get_gather.sync("py-gather", client=client)
    assert (gather.status, gather.done) == ("succeeded", 3)
    codes = []
    for participant in ("a", "b"):  # the first opens the group's wait (201), the second joins it
        add = ParticipantAdd(
            participant_key=participant,
            expected_participants=2,
            wait_seconds=60,
            callback=Callback(url="http://127.0.0.1:9/waited"),
        )
        codes.append(add_wait_participant.sync_detailed("py-wait", client=client, body=add).status_code)
    assert codes == [201, 200]
    wait: Any = get_wait.sync("py-wait", client=client)
    assert (wait.status, wait.participant_count) == ("resolved", 2)
    failed = JobComplete(status=JobCompleteStatus.FAILED)
    conflict = complete_job.sync_detailed(job_ids[0], client=client, body=failed)
    assert conflict.status_code == 409
    assert isinstance(conflict.parsed, Problem)
    assert conflict.parsed.status == 409 and conflict.parsed.title


def _npm(*args: str) -> None:
    assert NPM is not None
    subprocess.run([NPM, *args], cwd=TYPESCRIPT, check=True, capture_output=True)


def _packages(lockfile: Path) -> Any:
    return json.loads(lockfile.read_text())["packages"] if lockfile.exists() else None


@pytest.fixture(scope="module")
def node_modules() -> None:
    """The TypeScript client's packages, installed from its committed lockfile unless exactly those are
    installed already (another version of the generator would write other types)."""
    if NPM is None or NODE is None:
        pytest.fail("the TypeScript client's tests need Node.js and npm (Debian's nodejs and npm packages)")
    locked = _packages(TYPESCRIPT / "package-lock.json")
    installed = _packages(TYPESCRIPT / "node_modules" / ".package-lock.json")
    if installed != {name: p for name, p in locked.items() if name}:
        _npm("ci", "--include=dev", "--no-audit", "--no-fund")


def test_the_typescript_types_are_what_openapi_json_generates(node_modules: None, tmp_path: Path) -> None:
    out = tmp_path / "schema.d.ts"
    script = json.loads((TYPESCRIPT / "package.json").read_text())["scripts"]["generate"]
    # `npm run generate`, writing elsewhere, with the installed generator (never one npm would download)
    argv = [str(out) if arg == "src/schema.d.ts" else arg for arg in shlex.split(script)]
    argv[0] = str(TYPESCRIPT / "node_modules" / ".bin" / argv[0])
    subprocess.run(argv, cwd=TYPESCRIPT, check=True, capture_output=True)
    committed = (TYPESCRIPT / "src" / "schema.d.ts").read_text()
    assert out.read_text() == committed, "clients/typescript is stale (run `make clients`)"


def test_a_scenario_through_the_typescript_client(node_modules: None, server: str) -> None:
    _npm("run", "build")
    assert NODE is not None
    env = {**os.environ, "RENDEZVOUS_URL": server, "SCENARIO_ID": "ts"}
    done = subprocess.run([NODE, "dist/scenario.js"], cwd=TYPESCRIPT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "scenario passed" in done.stdout
