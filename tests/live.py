"""A live ``rendezvous serve --dev`` on a free port and a database of its own, for tests that need a real
server process (generated clients, the browser)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.chaos import _free_port
from tests.conftest import fresh_database_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
_KEYS: dict[str, dict[str, str]] = {}  # a server's environment, by its base URL
PROCESSES: dict[str, subprocess.Popen[bytes]] = {}  # a live server's process, by its base URL


def create_key(base: str, role: str, namespace: str = "default") -> str:
    """A new API key for the live server at ``base``, made the way an operator makes one (the CLI)."""
    argv = [str(BIN / "rendezvous"), "keys", "create", "--namespace", namespace, "--role", role]
    out = subprocess.run(argv, env=_KEYS[base], check=True, capture_output=True, text=True).stdout
    return next(word for word in out.split() if word.startswith("rdv_"))


@contextlib.contextmanager
def live_server(*, dev: bool = True, **settings: str) -> Iterator[str]:
    """The server's base URL while it runs; ``settings`` are extra ``RENDEZVOUS_…`` environment values.
    Outside dev mode every /v1 call needs a key: ``create_key`` makes one in the server's database."""
    with contextlib.contextmanager(fresh_database_url)() as url:
        env = {**os.environ, "RENDEZVOUS_DATABASE_URL": url, "RENDEZVOUS_LOG_LEVEL": "WARNING", **settings}
        subprocess.run([str(BIN / "rendezvous"), "migrate"], env=env, check=True, capture_output=True)
        port = _free_port()
        argv = [str(BIN / "rendezvous"), "serve", *(["--dev"] if dev else []), "--port", str(port)]
        _KEYS[f"http://127.0.0.1:{port}"] = env
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        PROCESSES[base] = proc
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, "the server exited"
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
