"""Three replicas on one PostgreSQL database, one killed with SIGKILL and started again every second, while
gathers, waits and workflow runs flow (the bounded version of ``make chaos``; see ``tests/chaos.py``)."""

from __future__ import annotations

import os

import pytest

from tests import chaos

pytestmark = pytest.mark.skipif(
    not os.environ.get("RENDEZVOUS_TEST_DATABASE_URL"),
    reason="needs RENDEZVOUS_TEST_DATABASE_URL (PostgreSQL)",
)


async def test_killed_replicas_lose_nothing_and_end_everything_once() -> None:
    outcome = await chaos.run(chaos.Load(seconds=4, gathers=10, waits=6, runs=6, settle_seconds=60))
    figures = outcome.figures()
    print(figures)
    assert outcome.kills >= 3, figures
    assert outcome.missing == [], figures
    assert outcome.unfinished_jobs == [], figures  # every acknowledged report's job ended
    assert outcome.ended_twice == [] and outcome.dispatched_twice == [], figures
    assert outcome.max_in_flight <= chaos.THROTTLE_LIMIT, figures
    assert outcome.dead == 0, figures  # kills alone never make a delivery dead
    assert figures["p99_s"] is not None and figures["p99_s"] <= 10, figures
