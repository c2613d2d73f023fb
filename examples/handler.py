"""A tiny workflow task handler: receives signed task messages from Rendezvous, checks the signature, does
the work and reports back. Standard library and `standardwebhooks` only.

    RENDEZVOUS_URL=http://127.0.0.1:8000 RENDEZVOUS_SECRET=whsec_… [RENDEZVOUS_KEY=rdv_…] \\
        python examples/handler.py 9000

The secret is the namespace's signing secret (`GET /v1/namespace`); the key is needed outside dev mode.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook

BASE = os.environ.get("RENDEZVOUS_URL", "http://127.0.0.1:8000")
KEY = os.environ.get("RENDEZVOUS_KEY")
HOOK = Webhook(os.environ["RENDEZVOUS_SECRET"])


def work(data: dict[str, Any], item: Any = None) -> dict[str, Any]:
    """The task itself: here, say what was asked (a map item, the step, what the dependencies produced)."""
    task = data["task"]
    item = task.get("item") if item is None else item
    return {"step": task["step"], "item": item, "inputs": sorted(data.get("outputs") or {})}


def post(url: str, body: dict[str, Any]) -> None:
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {KEY}"} if KEY else {})}
    request = urllib.request.Request(
        BASE + url if url.startswith("/") else url, json.dumps(body).encode(), headers
    )
    urllib.request.urlopen(request, timeout=10).read()


def attempt(data: dict[str, Any], item: Any = None) -> dict[str, Any]:
    try:
        return {"status": "succeeded", "output": work(data, item)}
    except Exception as exc:  # a failed task: the run's retry policy decides what happens next
        return {"status": "failed", "error": {"message": str(exc)}}


def run(data: dict[str, Any]) -> None:
    task = data["task"]
    if task["kind"] == "map_batch":  # a map step with batch_size: its items, reported in one bulk report
        reports = [{"id": i["job_id"], **attempt(data, i["item"])} for i in task["items"]]
        post(task["complete_url"], {"reports": reports})
    else:
        post(task["complete_url"], attempt(data))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            event = HOOK.verify(raw, {k.lower(): v for k, v in self.headers.items()})
        except Exception:
            self.send_response(401)  # not signed by Rendezvous
            self.end_headers()
            return
        self.send_response(202)  # accepted: the report follows on its own
        self.end_headers()
        if event["type"] == "task.requested":
            threading.Thread(target=run, args=(event["data"],), daemon=True).start()

    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 9000), Handler).serve_forever()
