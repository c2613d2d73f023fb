"""A Hypothesis state machine over jobs, gathers and waits, against a model of what must happen.

Random reports (new, repeated, conflicting), gather creations (same or other body), cancellations, wait
participants and clock moves run against the real app, on the test database, with a real receiver on
loopback. After every step: each gather and wait has the status the model says (so it resolved exactly when
its condition held, and only once), and each resolution has exactly one delivery, received exactly once.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from app.core.clock import FakeClock
from app.main import create_app
from tests.conftest import make_settings, truncate
from tests.receiver import Receiver

EXAMPLES = int(os.environ.get("RENDEZVOUS_STATE_EXAMPLES", "25"))
JOBS = [f"j{i}" for i in range(5)]
GATHERS = [f"g{i}" for i in range(4)]
GROUPS = [f"w{i}" for i in range(3)]
PARTICIPANTS = [f"p{i}" for i in range(4)]
FAILURES = ("failed", "cancelled", "timed_out")
DEFAULT_DEADLINE = 20.0  # poll_interval_seconds 2 × max_attempts 10


@dataclass
class GatherModel:
    body: dict[str, Any]
    deadline: float
    status: str = "waiting"


@dataclass
class WaitModel:
    expected: int
    wait_seconds: float
    deadline: float
    participants: set[str] = field(default_factory=set)


class Rendezvous(RuleBasedStateMachine):
    database_url = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.run(truncate(self.database_url))
        self.clock = FakeClock()
        self.app = create_app(make_settings(self.database_url), clock=self.clock)
        self.lifespan = self.app.router.lifespan_context(self.app)
        self.run(self.lifespan.__aenter__())
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://rdv.test"
        )
        self.receiver = self.run(Receiver().start())
        self.now = 0.0
        self.jobs: dict[str, str] = {}  # id → terminal status
        self.job_deadlines: dict[str, float] = {}
        self.mentioned: set[str] = set()  # job ids the service knows
        self.gathers: dict[str, GatherModel] = {}
        self.open_waits: dict[str, WaitModel] = {}
        self.wait_events: Counter[tuple[str, str]] = Counter()  # (group, reason) → events that must exist

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.client.aclose())
        self.run(self.lifespan.__aexit__(None, None, None))
        self.run(self.receiver.stop())
        self.loop.close()

    # --- the model's rules ---------------------------------------------------------------------------

    def _gather_outcome(self, g: GatherModel) -> str | None:
        statuses = [self.jobs.get(j) for j in g.body["job_ids"]]
        if g.body["on_failure"] == "fail_fast" and any(s in FAILURES for s in statuses):
            return "failed"
        if all(s is not None for s in statuses):
            return "succeeded" if all(s == "succeeded" for s in statuses) else "completed"
        return None

    def _settle_gathers(self) -> None:
        for g in self.gathers.values():
            if g.status == "waiting":
                g.status = self._gather_outcome(g) or "waiting"

    # --- steps ----------------------------------------------------------------------------------------

    @rule(
        gid=st.sampled_from(GATHERS),
        members=st.lists(st.sampled_from(JOBS), unique=True, max_size=4),
        fail_fast=st.booleans(),
        timeout=st.one_of(st.none(), st.sampled_from([5.0, 15.0, 40.0])),
    )
    def create_gather(self, gid: str, members: list[str], fail_fast: bool, timeout: float | None) -> None:
        body: dict[str, Any] = {
            "id": gid,
            "job_ids": members,
            "on_failure": "fail_fast" if fail_fast else "wait_all",
            "callback": {"url": f"{self.receiver.url}/gather"},
        }
        if timeout is not None:
            body["timeout_seconds"] = timeout
        r = self.run(self.client.post("/v1/gathers", json=body))
        known = self.gathers.get(gid)
        if known is None:
            assert r.status_code == 201, r.text
            self.mentioned.update(members)
            self.gathers[gid] = GatherModel(body, self.now + (timeout or DEFAULT_DEADLINE))
            self._settle_gathers()
        else:
            assert r.status_code == (200 if known.body == body else 409), r.text

    @rule(job=st.sampled_from(JOBS), status=st.sampled_from(["succeeded", "failed", "cancelled"]))
    def report(self, job: str, status: str) -> None:
        r = self.run(self.client.post(f"/v1/jobs/{job}/complete", json={"status": status}))
        before = self.jobs.get(job)
        self.mentioned.add(job)
        if before is None:
            assert r.status_code == 200, r.text
            self.jobs[job] = status
            self._settle_gathers()
        else:
            assert r.status_code == (200 if before == status else 409), r.text

    @rule(job=st.sampled_from(JOBS), timeout=st.sampled_from([3.0, 10.0, 30.0]))
    def register_with_timeout(self, job: str, timeout: float) -> None:
        if job in self.mentioned:
            return  # registration rules for known jobs are covered elsewhere; here it sets a deadline
        r = self.run(self.client.put(f"/v1/jobs/{job}", json={"timeout_seconds": timeout}))
        assert r.status_code == 201, r.text
        self.mentioned.add(job)
        self.job_deadlines[job] = self.now + timeout

    @rule(gid=st.sampled_from(GATHERS))
    def cancel_gather(self, gid: str) -> None:
        r = self.run(self.client.delete(f"/v1/gathers/{gid}"))
        g = self.gathers.get(gid)
        if g is None:
            assert r.status_code == 404
        elif g.status in ("waiting", "cancelled"):
            assert r.status_code == 200, r.text
            g.status = "cancelled"
        else:
            assert r.status_code == 409, r.text

    @rule(
        group=st.sampled_from(GROUPS),
        participant=st.sampled_from(PARTICIPANTS),
        expected=st.integers(1, 3),
        wait_seconds=st.sampled_from([5.0, 12.0, 30.0]),
    )
    def add_participant(self, group: str, participant: str, expected: int, wait_seconds: float) -> None:
        body = {
            "participant_key": participant,
            "expected_participants": expected,
            "wait_seconds": wait_seconds,
            "callback": {"url": f"{self.receiver.url}/wait"},
        }
        r = self.run(self.client.post(f"/v1/waits/{group}/participants", json=body))
        assert r.status_code in (200, 201), r.text
        w = self.open_waits.setdefault(group, WaitModel(expected, wait_seconds, 0.0))
        w.expected, w.wait_seconds, w.deadline = expected, wait_seconds, self.now + wait_seconds
        w.participants.add(participant)
        if len(w.participants) >= w.expected:
            assert r.json()["status"] == "resolved" and r.json()["reason"] == "quorum"
            del self.open_waits[group]
            self.wait_events[(group, "quorum")] += 1
        else:
            assert r.json()["status"] == "waiting"

    @rule(group=st.sampled_from(GROUPS))
    def cancel_wait(self, group: str) -> None:
        r = self.run(self.client.delete(f"/v1/waits/{group}"))
        assert r.status_code == (200 if group in self.open_waits else 404), r.text
        self.open_waits.pop(group, None)

    @rule(seconds=st.sampled_from([1.0, 4.0, 11.0, 25.0]))
    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.now += seconds
        self.run(self.app.state.runtime.ticks.run_all())
        # The scheduler times out jobs first (their gathers react), then gathers, then waits.
        for job, deadline in self.job_deadlines.items():
            if deadline <= self.now and job not in self.jobs:
                self.jobs[job] = "timed_out"
        self._settle_gathers()
        for g in self.gathers.values():
            if g.status == "waiting" and g.deadline <= self.now:
                g.status = "timed_out"
        for group, w in list(self.open_waits.items()):
            if w.deadline <= self.now:
                del self.open_waits[group]
                self.wait_events[(group, "timeout")] += 1

    # --- what must hold after every step ----------------------------------------------------------------

    @invariant()
    def gathers_resolved_exactly_when_and_once(self) -> None:
        runtime = self.app.state.runtime
        self.run(runtime.deliverer.drain())
        self.run(runtime.deliverer.idle())
        received = Counter(
            (e["data"]["gather"]["id"], e["type"])
            for e in (r.json() for r in self.receiver.requests)
            if e["type"].startswith("gather.")
        )
        for gid, g in self.gathers.items():
            read = self.run(self.client.get(f"/v1/gathers/{gid}")).json()
            assert read["status"] == g.status, (gid, read, g)
            sends = 0 if g.status in ("waiting", "cancelled") else 1
            got = {kind: n for (gather, kind), n in received.items() if gather == gid}
            assert got == ({f"gather.{g.status}": 1} if sends else {}), (gid, g.status, got)
            queued = self.run(self.client.get("/v1/deliveries", params={"subject_id": gid})).json()["items"]
            assert len(queued) == sends, (gid, queued)

    @invariant()
    def waits_fire_once_per_resolution(self) -> None:
        events = [e for e in (r.json() for r in self.receiver.requests) if e["type"] == "wait.resolved"]
        by_group = Counter((e["data"]["group_key"], e["data"]["reason"]) for e in events)
        assert by_group == +self.wait_events, (by_group, self.wait_events)
        assert len({e["data"]["wait_id"] for e in events}) == len(events)  # one event per wait
        for group in GROUPS:
            r = self.run(self.client.get(f"/v1/waits/{group}"))
            if group in self.open_waits:
                assert r.json()["status"] == "waiting", r.text
            elif r.status_code == 200:
                assert r.json()["status"] in ("resolved", "cancelled"), r.text


def test_gathers_and_waits_resolve_once_exactly_when_they_should(database_url: str) -> None:
    Rendezvous.database_url = database_url
    run_state_machine_as_test(
        Rendezvous,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
