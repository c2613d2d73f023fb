"""The console at /ui in a real browser: Debian's chromium, driven by Playwright, against a live server with
real data and a real receiver. A person finds a stuck gather from the overview, sees which member it waits
for, finds the dead callback it produced and redelivers it; a read key sees no buttons. The browser runs in
the suite's SQLite pass (the API it calls is tested on both databases). ``RENDEZVOUS_SCREENSHOTS=docs``
saves the pages' screenshots under docs/ for the README."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PG_URL
from tests.live import ROOT, create_key, live_server
from tests.receiver import Receiver, Reply

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "docs" if os.environ.get("RENDEZVOUS_SCREENSHOTS") == "docs" else None

pytestmark = pytest.mark.skipif(
    PG_URL is not None, reason="the browser runs once, in the SQLite pass; the API it calls runs in both"
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    # Two attempts a callback, at once: a refused one is dead in a moment. Deadlines are swept every second.
    with live_server(RENDEZVOUS_DELIVERY_RETRY_SCHEDULE="0,0", RENDEZVOUS_DELIVERY_JITTER="0") as base:
        yield base


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.fail("the console's browser tests need Debian's chromium package (.ci/run installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


async def _until(check: Any, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _shot(page: Any, name: str, tmp_path: Path) -> None:
    await page.screenshot(path=str((SHOTS or tmp_path) / f"console-{name}.png"), full_page=True)


async def test_find_a_stuck_gather_and_redeliver_its_dead_callback(
    server: str, receiver: Receiver, browser: Any, tmp_path: Path
) -> None:
    api = httpx.AsyncClient(base_url=server)
    receiver.reply_with(Reply(status=500), Reply(status=500))  # both attempts refused, then 200
    body = {
        "id": "nightly-export",
        "job_ids": ["extract", "transform", "load"],
        "timeout_seconds": 1,
        "callback": {"url": f"{receiver.url}/done"},
    }
    assert (await api.post("/v1/gathers", json=body)).status_code == 201
    for job in ("extract", "transform"):
        assert (await api.post(f"/v1/jobs/{job}/complete", json={})).status_code == 200
    # An id with "/" in it: its link and its page name it whole.
    other = {"id": "team/other", "job_ids": ["x"], "timeout_seconds": 600}
    assert (await api.post("/v1/gathers", json=other)).status_code == 201

    async def dead() -> bool:
        found = (await api.get("/v1/deliveries?status=dead")).json()["items"]
        return any(d["subject_id"] == "nightly-export" for d in found)

    await _until(dead)  # timed out at its deadline; its callback refused twice

    page = await browser.new_page()
    await page.goto(f"{server}/ui")
    ended = page.locator("#ended-gathers")
    await ended.get_by_role("link", name="nightly-export").wait_for()
    await _shot(page, "overview", tmp_path)
    await page.locator("#open-gathers").get_by_role("link", name="team/other").click()
    await page.locator("h1").filter(has_text="team/other").wait_for()
    await page.locator("#waiting-for li").filter(has_text="x").wait_for()
    await page.go_back()
    await ended.get_by_role("link", name="nightly-export").click()

    await page.wait_for_url("**/ui/gathers/nightly-export")
    await page.locator("h1 [data-status=timed_out]").wait_for()
    assert await page.locator("#waiting-for li").all_inner_texts() == ["load"]
    row = page.locator("#deliveries tr[data-delivery]")
    await row.locator("[data-status=dead]").wait_for()
    assert "500" in await row.inner_text()  # the refused attempts, with their status
    await _shot(page, "gather", tmp_path)
    await row.get_by_role("button", name="Redeliver").click()
    await row.locator("[data-status=succeeded]").wait_for(timeout=15_000)
    assert [r.path for r in receiver.requests] == ["/done", "/done", "/done"]
    await page.goto(f"{server}/ui/gathers?status=timed_out")  # the ended ones, the latest first
    await page.locator("#gathers th").filter(has_text="ended").wait_for()
    await page.locator("#gathers").get_by_role("link", name="nightly-export").wait_for()
    await api.aclose()


async def test_a_read_key_sees_no_buttons(server: str, browser: Any, tmp_path: Path) -> None:
    api = httpx.AsyncClient(base_url=server)
    key = (await api.post("/v1/keys", json={"role": "read"})).json()["key"]
    assert (await api.post("/v1/gathers", json={"id": "open-one", "job_ids": ["y"]})).status_code == 201
    page = await browser.new_page()
    await page.goto(f"{server}/ui/gathers/open-one")  # dev mode, no key: the namespace's admin
    await page.get_by_role("button", name="Cancel gather").wait_for()
    await page.evaluate("key => sessionStorage.setItem('rendezvous.key', key)", key)
    await page.reload()
    await page.locator("#who").filter(has_text="read").wait_for()
    await page.locator("h1 [data-status=waiting]").wait_for()
    assert await page.get_by_role("button").count() == 0
    await page.evaluate("() => sessionStorage.setItem('rendezvous.key', 'rdv_not_a_key')")
    await page.reload()
    await page.get_by_text("That key was refused.").wait_for()
    await api.aclose()


async def test_cancel_a_gather_and_a_wait_after_confirming(
    server: str, receiver: Receiver, browser: Any
) -> None:
    api = httpx.AsyncClient(base_url=server)
    assert (await api.post("/v1/gathers", json={"id": "to-cancel", "job_ids": ["c1"]})).status_code == 201
    body = {"participant_key": "p1", "expected_participants": 3, "wait_seconds": 600}
    body["callback"] = {"url": f"{receiver.url}/w"}
    added = await api.post("/v1/waits/to-cancel/participants", json=body)
    assert added.status_code == 201, added.text
    wait_id = added.json()["id"]
    page = await browser.new_page()
    dialogs: list[str] = []

    async def answer(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await (dialog.dismiss() if len(dialogs) == 1 else dialog.accept())  # the first "no", then "yes"

    page.on("dialog", answer)
    deletes: list[str] = []
    page.on("request", lambda request: deletes.append(request.url) if request.method == "DELETE" else None)
    await page.goto(f"{server}/ui/gathers/to-cancel")
    await page.get_by_role("button", name="Cancel gather").click()
    await _until(lambda: _answered(dialogs, 1))
    await page.get_by_role("button", name="Cancel gather").wait_for()  # dismissed: nothing sent
    assert deletes == [] and (await api.get("/v1/gathers/to-cancel")).json()["status"] == "waiting"
    await page.get_by_role("button", name="Cancel gather").click()
    await page.locator("h1 [data-status=cancelled]").wait_for()
    assert (await api.get("/v1/gathers/to-cancel")).json()["status"] == "cancelled"
    assert await page.get_by_role("button").count() == 0
    await page.goto(f"{server}/ui/waits/to-cancel")
    await page.get_by_role("button", name="Cancel wait").click()
    await page.locator("h1 [data-status=cancelled]").wait_for()
    await page.locator("#explain").filter(has_text="It was cancelled, with 1 of 3 participants.").wait_for()
    assert (await api.get("/v1/waits/to-cancel")).json()["status"] == "cancelled"
    assert dialogs == ["Cancel gather?", "Cancel gather?", "Cancel wait?"]
    assert [url.removeprefix(server) for url in deletes] == [
        "/v1/gathers/to-cancel",
        f"/v1/waits/to-cancel?wait_id={wait_id}",
    ]
    await api.aclose()


async def _answered(dialogs: list[str], count: int) -> bool:
    return len(dialogs) >= count


async def test_a_run_is_drawn_as_its_steps_and_can_be_paused(
    server: str, receiver: Receiver, browser: Any, tmp_path: Path
) -> None:
    api = httpx.AsyncClient(base_url=server)
    handler = {"url": f"{receiver.url}/W", "timeout_seconds": 600}
    assert (await api.put("/v1/handlers/W", json=handler)).status_code in (200, 201)
    etl = {
        "tasks": {
            "extract": {"handler": "W"},
            "transform": {"handler": "W", "each": [1, 2, 3], "depends_on": ["extract"]},
            "load": {"handler": "W", "depends_on": ["transform"]},
        }
    }
    assert (await api.put("/v1/workflows/etl", json=etl)).status_code == 201
    assert (await api.post("/v1/workflows/etl/runs", json={"id": "etl-1"})).status_code == 201
    assert (await api.post("/v1/jobs/etl-1:extract:0:a1/complete", json={})).status_code == 200
    page = await browser.new_page()
    await page.goto(f"{server}/ui/runs/etl-1")
    graph = page.locator("#graph")
    await graph.locator("[data-step=extract] [data-status=succeeded]").wait_for()
    await graph.locator("[data-step=transform] [data-status=running]").wait_for()
    await graph.locator("[data-step=load] [data-status=waiting]").wait_for()
    await page.locator("#explain").filter(has_text="Step transform waits for its handler").wait_for()
    await page.locator("#explain").filter(has_text="Step load waits for transform (0 of 3 done).").wait_for()
    await _shot(page, "run", tmp_path)
    await page.get_by_role("button", name="Pause").click()
    await page.locator("h1 [data-status=paused]").wait_for()
    await page.locator("#explain").filter(has_text="It is paused.").wait_for()
    assert (await api.get("/v1/runs/etl-1")).json()["status"] == "paused"
    await page.goto(f"{server}/ui")  # the overview lists it among the open runs
    await page.locator("#runs").get_by_role("link", name="etl-1").wait_for()
    await page.locator("#runs [data-status=paused]").wait_for()
    await page.locator("header").get_by_role("link", name="Runs").click()  # the list of runs, by status
    await page.locator("a.tab").filter(has_text="paused").click()
    await page.locator("#runs").get_by_role("link", name="etl-1").wait_for()
    await api.aclose()


async def test_an_open_gather_page_follows_reports_as_they_arrive(
    server: str, browser: Any, tmp_path: Path
) -> None:
    """The page listens to /v1/watch (no polling while it does): a report shows within the watch's beat."""
    api = httpx.AsyncClient(base_url=server)
    body = {"id": "live-one", "job_ids": ["p", "q"], "timeout_seconds": 600}
    assert (await api.post("/v1/gathers", json=body)).status_code == 201
    page = await browser.new_page()
    await page.goto(f"{server}/ui/gathers/live-one")
    await page.locator("#waiting-for li").filter(has_text="q").wait_for()

    async def following() -> bool:  # the page is drawn first, then follows the stream
        return bool(await page.evaluate("document.body.dataset.live") == "events")

    await _until(following, timeout=10)
    assert (await api.post("/v1/jobs/p/complete", json={})).status_code == 200
    await _until(lambda: _texts(page, "#waiting-for li", ["q"]), timeout=5)
    assert (await api.post("/v1/jobs/q/complete", json={})).status_code == 200
    await page.locator("h1 [data-status=succeeded]").wait_for(timeout=5_000)
    await api.aclose()


async def _texts(page: Any, selector: str, wanted: list[str]) -> bool:
    return bool(await page.locator(selector).all_inner_texts() == wanted)


async def test_outside_dev_mode_the_console_asks_for_a_key(browser: Any) -> None:
    with live_server(dev=False) as server:
        key = create_key(server, "write")
        page = await browser.new_page()
        await page.goto(f"{server}/ui")
        await page.get_by_text("This server needs an API key.").wait_for()
        await page.locator("input[name=key]").fill("rdv_wrong")
        await page.get_by_role("button", name="Use this key").click()
        await page.get_by_text("That key was refused.").wait_for()
        await page.locator("input[name=key]").fill(key)
        await page.get_by_role("button", name="Use this key").click()
        await page.locator("#who").filter(has_text="default · write").wait_for()
        await page.locator("#open-gathers").wait_for()
        await page.locator("#change-key").click()
        await page.locator("input[name=key]").wait_for()


async def test_a_batch_job_is_found_from_the_overview_with_its_batches(
    server: str, browser: Any, tmp_path: Path
) -> None:
    api = httpx.AsyncClient(base_url=server)
    created = await api.post("/v1/batch-jobs", json={"name": "nightly"})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    path = f"/v1/jobs/{job_id}/batches"
    assert (await api.post(path, json={"items": ["a", "b", "c", "d"]})).status_code == 201
    report = {"processed": ["a"], "skipped": ["b"]}
    assert (await api.post(f"{path}/1/report", json=report)).status_code == 200
    page = await browser.new_page()
    await page.goto(f"{server}/ui")
    await page.locator("#batch-jobs").get_by_role("link", name=job_id).click()
    row = page.locator("#batches tr[data-batch='1']")
    await row.locator("[data-status=open]").wait_for()
    # items, pending, processed, skipped, errored, withdrawn
    assert (await row.inner_text()).split("\t")[2:8] == ["4", "2", "1", "1", "0", "0"]
    await page.get_by_role("button", name="Seal").wait_for()
    await _shot(page, "batch-job", tmp_path)
    job_status = (await api.get(f"/v1/batch-jobs/{job_id}")).json()["status"]
    await page.goto(f"{server}/ui/batch-jobs?status={job_status}")  # the list of batch jobs, by status
    await page.locator("#batch-jobs").get_by_role("link", name=job_id).wait_for()
    await api.aclose()


async def test_more_open_gathers_than_the_overview_shows_are_paged(server: str, browser: Any) -> None:
    api = httpx.AsyncClient(base_url=server)
    for n in range(120):
        body = {"id": f"many-{n:03d}", "job_ids": [f"many-{n:03d}-job"], "timeout_seconds": 600}
        assert (await api.post("/v1/gathers", json=body)).status_code == 201
    page = await browser.new_page()
    await page.goto(f"{server}/ui")
    await page.locator("#open-gathers").get_by_role("link", name="…and more").click()
    await page.wait_for_url("**/ui/gathers?status=waiting")
    await page.get_by_role("link", name="Next page →").click()
    await page.get_by_role("link", name="many-119").click()  # past the first page of 100
    await page.locator("#waiting-for li").filter(has_text="many-119-job").wait_for()
    await api.aclose()


async def test_a_wait_s_dead_callback_is_found_from_the_deliveries(
    server: str, receiver: Receiver, browser: Any
) -> None:
    api = httpx.AsyncClient(base_url=server)
    receiver.reply_with(Reply(status=503), Reply(status=503))  # both attempts refused, then 200
    callback = {"url": f"{receiver.url}/w"}
    body = {"participant_key": "p1", "expected_participants": 1, "wait_seconds": 600, "callback": callback}
    added = await api.post("/v1/waits/nightly/participants", json=body)
    assert added.status_code in (200, 201), added.text

    async def dead() -> bool:
        found = (await api.get("/v1/deliveries?status=dead&subject_kind=wait")).json()["items"]
        return bool(found)

    await _until(dead)
    page = await browser.new_page()
    await page.goto(f"{server}/ui/deliveries?status=dead")
    await page.locator("#deliveries a").filter(has_text="wait wt_").click()
    await page.locator("h1").filter(has_text="nightly").wait_for()
    fired = "It fired when the quorum came, with 1 of 1 participants."
    await page.locator("#explain").filter(has_text=fired).wait_for()
    row = page.locator("#deliveries tr[data-delivery]")
    assert "503" in await row.inner_text()
    await row.get_by_role("button", name="Redeliver").click()
    await row.locator("[data-status=succeeded]").wait_for(timeout=15_000)
    wait_id = added.json()["id"]
    await page.locator("header").get_by_role("link", name="Waits").click()  # the list of waits, by status
    await page.locator("h1").filter(has_text="Waits: waiting").wait_for()
    await page.locator("a.tab").filter(has_text="resolved").click()
    await page.locator("#waits tr").filter(has_text="nightly").get_by_role("link", name=wait_id).click()
    await page.locator("#explain").filter(has_text=fired).wait_for()
    await page.goto(f"{server}/ui/waits?status=open")  # not a status of waits: not a page
    await page.locator("h1").filter(has_text="Not found").wait_for()
    await api.aclose()


async def test_a_phased_run_draws_a_phase_s_two_ways_as_alternatives(
    server: str, receiver: Receiver, browser: Any
) -> None:
    api = httpx.AsyncClient(base_url=server)
    handler = {"url": f"{receiver.url}/P", "timeout_seconds": 600}
    assert (await api.put("/v1/handlers/P", json=handler)).status_code in (200, 201)
    phased = {
        "phases": {
            "publish": {"is_final": True, "handlers": ["P"]},
            "start": {
                "is_initial": True,
                "transitions_to": "publish",
                "on_error_transition_to": "cleanup",
                "handlers": ["P"],
            },
            "cleanup": {"is_final": True, "handlers": ["P"]},
        }
    }
    assert (await api.put("/v1/workflows/phased", json=phased)).status_code == 201
    assert (await api.post("/v1/workflows/phased/runs", json={"id": "phased-1"})).status_code == 201
    page = await browser.new_page()
    await page.goto(f"{server}/ui/runs/phased-1")
    columns = page.locator("#graph .column")
    await columns.nth(0).locator("[data-step=start]").wait_for()
    assert await columns.count() == 2
    assert sorted(
        await columns.nth(1).locator("[data-step]").evaluate_all("ns => ns.map(n => n.dataset.step)")
    ) == [
        "cleanup",
        "publish",
    ]
    await api.aclose()
