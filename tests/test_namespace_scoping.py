"""Every statement a hot path runs names its namespace: the table's namespace column is compared with a bound
value (or joined to a table that is), or is among the columns an INSERT writes. That is what keeps a tenant's
transaction on one node once tables are distributed by namespace (docs/SCALING.md). Statements that do not,
today, are listed below with the reason; a new one fails here."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import event

from app.models import metadata
from tests.conftest import Service
from tests.receiver import Receiver, Reply
from tests.test_workflow_runs import Handlers

NAMESPACE = "tenant-a"

# The column that holds each table's namespace; None for a table that has none.
SCOPE: dict[str, str | None] = {
    t.name: "namespace" if "namespace" in t.c else "name" if t.name == "namespaces" else None
    for t in metadata.tables.values()
}

PARAM = r"(?:\$\d+|\?)"  # asyncpg's and SQLite's placeholders
_CAST = re.compile(r"::(?:TIMESTAMP WITH(?:OUT)? TIME ZONE|\w+)(?:\[\])?")
_INSERT = re.compile(r"\bINSERT INTO (\w+) \(([^)]*)\)")
_REF = re.compile(r"\b(?:FROM|JOIN|UPDATE) (\w+)(?=(?: (?:AS )?(\w+))?)")  # the alias is not consumed
# ``a.x = b.y``; the space before ``=`` keeps out ``>=``, ``<=`` and ``!=``
_EDGE = re.compile(r"\b(\w+)\.(\w+) = (\w+)\.(\w+)\b")
_KEYWORDS = {
    *("AND", "AS", "CROSS", "EXCEPT", "FOR", "FULL", "GROUP", "HAVING", "INNER", "INTERSECT", "JOIN"),
    *("LATERAL", "LEFT", "LIMIT", "NATURAL", "OFFSET", "ON", "OR", "ORDER", "OUTER", "RETURNING", "RIGHT"),
    *("SELECT", "SET", "UNION", "USING", "VALUES", "WHERE", "WINDOW", "WITH"),
}

# Statements that touch no table. Anything else with no table the parser recognises fails, so raw SQL it
# cannot read is never waved through.
TABLELESS = re.compile(
    r"^(?:"
    r"BEGIN(?: IMMEDIATE)?|COMMIT|ROLLBACK"  # transaction control (SQLite's, issued as statements)
    r"|(?:RELEASE |ROLLBACK TO )?SAVEPOINT \w+"
    r"|SELECT 1"  # pool pre-ping
    r"|SELECT pg_notify\(\$1, \$2\)"  # the NOTIFY hint to other replicas, in the same transaction
    # advisory locks lock a number, not a table (the app takes none today)
    r"|SELECT pg_(?:try_)?advisory_(?:xact_)?lock(?:_shared)?\([^()]*\)"
    r")$"
)


@dataclass(frozen=True)
class Exempt:
    """Statements matching ``pattern`` may leave ``tables`` unscoped (and only those)."""

    pattern: str
    tables: frozenset[str]


def exempt(pattern: str, *tables: str) -> Exempt:
    return Exempt(pattern, frozenset(tables))


EXEMPT = [
    # Sweeps of the scheduler's ticks: what time alone makes due, in every namespace, earliest first (SKIP
    # LOCKED on PostgreSQL). Background work by design, never on a request's path; on Citus each is one
    # multi-shard query per tick, and what it found is then handled by statements that name the namespace.
    exempt(
        r"^SELECT jobs\..* FROM jobs WHERE jobs\.status IN \(\S+, \S+\) AND jobs\.deadline_at IS NOT", "jobs"
    ),
    exempt(
        r"^SELECT gathers\..* FROM gathers WHERE gathers\.status = \S+ AND gathers\.deadline_at ", "gathers"
    ),
    exempt(
        r"^SELECT runs\.namespace, runs\.id FROM runs WHERE runs\.status IN .* AND runs\.deadline_at ", "runs"
    ),
    exempt(
        r"^SELECT run_items\..* FROM run_items WHERE run_items\.status = \S+ AND run_items\.due_at ",
        "run_items",
    ),
    exempt(r"^SELECT runs\.namespace, runs\.id FROM runs WHERE runs\.finished_at IS NOT NULL AND ", "runs"),
    exempt(
        r"^SELECT deliveries\..* FROM deliveries WHERE deliveries\.status = \S+ AND deliveries\.locked_until",
        "deliveries",
    ),
    exempt(r"^SELECT batches\.id FROM batches WHERE batches\.items_expire_at IS NOT NULL AND ", "batches"),
    exempt(
        r"^SELECT idempotency_keys\.namespace, .* WHERE idempotency_keys\.expires_at IS NOT NULL ",
        "idempotency_keys",
    ),
    # (throttle keys with a free slot and a queued step of a running run, joined on the namespace)
    exempt(
        r"^SELECT DISTINCT throttle_queue\.namespace, throttle_queue\.key FROM throttle_queue JOIN .*"
        r" WHERE throttle_queue\.lim > throttles\.in_flight AND runs\.status = ",
        *("throttle_queue", "throttles", "runs"),
    ),
    # The wait timer sweep picks and times out its waits in one UPDATE (the ids from a LIMIT subquery), so
    # the write itself spans namespaces; on Citus it would have to become a pick, then updates per namespace.
    # On PostgreSQL its RETURNING also reads each wait's participants by wait_id (see the adds below).
    exempt(
        r"^UPDATE waits SET status=CASE .* AND waits\.id (?:IN \(|= ANY \(array\(\()SELECT waits\.id"
        r" FROM waits WHERE waits\.status = \S+ AND waits\.deadline_at IS NOT NULL AND waits\.deadline_at <=",
        *("waits", "wait_participants"),
    ),
    # The deliverer's claim: due deliveries of every namespace, oldest first (SKIP LOCKED on PostgreSQL). A
    # background sweep by design; on Citus a multi-shard query of the deliverer, never of a request.
    exempt(
        r"^SELECT deliveries\.id FROM deliveries WHERE deliveries\.status = \S+ AND deliveries\.next_attempt",
        "deliveries",
    ),
    # Replicas: the service's own processes and their heartbeats, one small table of the whole cluster (a
    # reference table on Citus, or kept on the coordinator), never a tenant's data. A heartbeat, a start, a
    # stop and the housekeeping of long-gone replicas; the sweep that takes over the claims of replicas that
    # stopped (deliveries of every namespace, as the claim above); the look at one replica's heartbeat when
    # an Idempotency-Key claim of it is found held.
    exempt(r"^UPDATE replicas SET heartbeat_at=\S+ WHERE replicas\.id = \S+$", "replicas"),
    exempt(r"^INSERT INTO replicas \(", "replicas"),
    exempt(r"^DELETE FROM replicas WHERE replicas\.(?:id|heartbeat_at) ", "replicas"),
    exempt(
        r"^SELECT deliveries\.id, .* FROM deliveries WHERE deliveries\.status = \S+ AND deliveries\.locked_by"
        r" != \S+ AND \(deliveries\.locked_by NOT IN \(SELECT replicas\.id FROM replicas WHERE ",
        *("deliveries", "replicas"),
    ),
    exempt(
        r"^SELECT replicas\.id FROM replicas WHERE replicas\.heartbeat_at > \S+ AND replicas\.id = ",
        "replicas",
    ),
    # Authentication: the presented key's digest is how the namespace is found, so its lookup cannot name
    # it. api_keys stays one table every node can read (a reference table on Citus).
    exempt(r"^SELECT api_keys\.namespace, .* FROM api_keys WHERE api_keys\.key_hash = ", "api_keys"),
    # not namespaced yet: the claim's UPDATE takes the ids the sweep found (``id IN (…)``); Claimed rows
    # carry their namespace after it, so the UPDATE could be grouped by namespace and name it.
    exempt(r"^UPDATE deliveries SET .* WHERE deliveries\.id IN \(", "deliveries"),
    # not namespaced yet: recording sends moves deliveries by ``(id, attempts) IN (…)`` of one worker's
    # claims, whatever their namespaces; the outcomes know theirs, so a group per namespace could name it.
    exempt(r"^UPDATE deliveries SET .* AND \(deliveries\.id, deliveries\.attempts\) IN ", "deliveries"),
    # not namespaced yet: a wait is updated by its global id (``waits.id``, the primary key), after it was
    # found by (namespace, group_key). The key is the id alone, so the namespace is not in it.
    exempt(r"^UPDATE waits SET .* WHERE waits\.id = \S+$", "waits"),
    # not namespaced yet: PostgreSQL's add (participant insert and count in one statement) updates the wait
    # by its id and previews participants by wait_id: wait_participants' key is (wait_id, participant_key).
    exempt(
        r"^WITH joined AS \(INSERT INTO wait_participants .* UPDATE waits .* WHERE waits\.id = ",
        "waits",
        "wait_participants",
    ),
    # not namespaced yet: participants are read by wait_id (their primary key starts with it).
    exempt(
        r"^SELECT wait_participants\..* FROM wait_participants WHERE wait_participants\.wait_id IN ",
        "wait_participants",
    ),
    # not namespaced yet: a batch is updated by its global id (``batches.id``, the primary key) after it was
    # read and locked by (namespace, job_id, batch_index).
    exempt(r"^UPDATE batches SET .* WHERE batches\.id = \S+(?: RETURNING .*)?$", "batches"),
    # not namespaced yet: batch_items has no namespace column at all; its key is (batch_id, set_name, item)
    # and it is reached through batches.id.
    exempt(r"\bbatch_items\b", "batch_items"),
    # not namespaced yet: a run is read by a key probe, the first run at or after (namespace, id) in key
    # order (so only the primary key can serve it, whatever the statistics); the namespace is compared by a
    # row comparison, not an equality, and checked in Python afterwards.
    exempt(
        r"^SELECT runs\..* FROM runs WHERE \(runs\.namespace, runs\.id\) >= \(\S+, \S+\) ORDER BY ", "runs"
    ),
    # not namespaced yet: a group's latest wait, when none is open, is the same kind of probe: the last wait
    # at or before (namespace, group_key) in key order.
    exempt(
        r"^SELECT waits\..* FROM waits WHERE \(waits\.namespace, waits\.group_key\) <= \(\S+, \S+\) ORDER",
        "waits",
    ),
    # not namespaced yet: a batch job (GET /v1/batch-jobs/{id}) is read by the same probe on jobs, joined to
    # its ledger; the namespace equality is on the probe's output, not on jobs.
    exempt(
        r"^SELECT job\..* FROM \(SELECT jobs\..* FROM jobs WHERE \(jobs\.namespace, jobs\.id\) >= \(", "jobs"
    ),
    # not namespaced yet: PostgreSQL reads jobs and run items by a list of their keys (a bulk report's) with
    # the same probe per key (``app.core.keyed``); the namespace equality is on the probe's output.
    exempt(
        r"^SELECT probe\..* FROM unnest\(\$1\) AS wanted\(id\) JOIN LATERAL \(SELECT (?:jobs|run_items)\..* "
        r"WHERE \((?:jobs|run_items)\.namespace, (?:jobs\.id|run_items\.job_id)\) >= \(",
        "jobs",
        "run_items",
    ),
    # not namespaced yet: PostgreSQL reads a gather's members with the same probe per member, the first job
    # at or after (member namespace, job id); the namespace equality is on the probe's output, not on jobs.
    exempt(
        r"JOIN LATERAL \(SELECT jobs\.namespace AS namespace, .* WHERE \(jobs\.namespace, jobs\.id\) >= \(",
        "jobs",
    ),
]


def normalize(sql: str) -> str:
    """One line, without PostgreSQL casts and identifier quotes."""
    return " ".join(_CAST.sub("", sql).replace('"', "").split())


def unscoped(sql: str) -> set[str]:
    """The tables ``sql`` touches without naming a namespace (statements are read as the app writes them:
    conditions joined by AND)."""
    sql = normalize(sql)
    bad: set[str] = set()
    for m in _INSERT.finditer(sql):
        columns = [c.strip() for c in m.group(2).split(",")]
        if m.group(1) in SCOPE and SCOPE[m.group(1)] not in columns:
            bad.add(m.group(1))
    uses: dict[str, list[str]] = {}  # reference (alias or table name) -> tables read under it
    column: dict[str, str] = {}
    for m in _REF.finditer(sql):
        table, alias = m.group(1), m.group(2)
        if table not in SCOPE:
            continue
        scope = SCOPE[table]
        if scope is None:
            bad.add(table)
            continue
        ref = alias if alias and alias.upper() not in _KEYWORDS else table
        uses.setdefault(ref, []).append(table)
        column[ref] = scope

    def direct(ref: str) -> int:
        """Conditions that compare ``ref``'s namespace with bound values."""
        c = rf"\b{ref}\.{column.get(ref, 'namespace')}"
        forms = (
            rf"{c} = {PARAM}",
            rf"(?<![<>!]){PARAM} = {c}\b",
            rf"{c} IN \({PARAM}",
            rf"{c} = ANY \(",
            rf"\({c}(?:, [\w.]+)*\) IN \((?:\(|VALUES|{PARAM})",
        )
        return sum(len(re.findall(form, sql)) for form in forms)

    # Equalities between two references' namespaces (subquery and derived aliases included).
    edges = [
        (a, b)
        for a, ca, b, cb in _EDGE.findall(sql)
        if ca == column.get(a, "namespace") and cb == column.get(b, "namespace")
    ]
    bound = {ref for pair in edges for ref in pair} | set(uses)
    bound = {ref for ref in bound if direct(ref)}
    grew = True
    while grew:
        grew = False
        for a, b in edges + [(b, a) for a, b in edges]:
            if b in bound and a not in bound:
                bound.add(a)
                grew = True
    for ref, tables in uses.items():
        # Each time a table is read, one condition of its own must bind it.
        joined = sum(1 for a, b in edges + [(b, a) for a, b in edges] if a == ref and b in bound)
        if direct(ref) + joined < len(tables):
            bad.update(tables)
    return bad


def tables_of(sql: str) -> set[str]:
    sql = normalize(sql)
    found = {m.group(1) for m in _INSERT.finditer(sql)} | {m.group(1) for m in _REF.finditer(sql)}
    return found & set(SCOPE)


def violations(seen: list[str]) -> list[str]:
    """The statements that touch a table without naming the namespace and are not exempt, and those that
    touch no table and are not known to be table-less."""
    found = []
    for raw in seen:
        sql = normalize(raw)
        if not tables_of(sql):
            if not TABLELESS.search(sql):
                found.append(f"no table recognised: {sql}")
            continue
        left = unscoped(sql)
        for rule in EXEMPT:
            if left and re.search(rule.pattern, sql):
                left -= rule.tables
        if left:
            found.append(f"{sorted(left)}: {sql}")
    return found


@contextlib.contextmanager
def every_statement(svc: Service) -> Iterator[list[str]]:
    """Every statement the app runs while the block runs, from any task (requests, the deliverer)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    engine = svc.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def check(seen: list[str], *expected: str) -> None:
    """No violation, and the tables the path is about were touched (the capture saw the path)."""
    found = violations(seen)
    assert found == [], "\n".join(found)
    touched = set().union(*(tables_of(sql) for sql in seen))
    assert set(expected) <= touched, sorted(touched)


@pytest.fixture
async def tenant(svc: Service) -> Service:
    """The app, called with a write key of a namespace other than the dev default."""
    await svc.authorize(NAMESPACE)
    return svc


def callback(receiver: Receiver) -> dict[str, Any]:
    return {"url": f"{receiver.url}/hooks", "payload": {"n": 1}}


async def post(svc: Service, path: str, body: Any, **headers: str) -> dict[str, Any]:
    r = await svc.client.post(path, json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()
    return data


async def new_gather(svc: Service, receiver: Receiver, gid: str, job_ids: list[str]) -> None:
    await post(svc, "/v1/gathers", {"id": gid, "job_ids": job_ids, "callback": callback(receiver)})


class TestJobsAndGathers:
    async def test_a_gather_is_created_in_its_namespace(self, tenant: Service, receiver: Receiver) -> None:
        with every_statement(tenant) as seen:
            await post(
                tenant, "/v1/gathers", {"id": "g", "job_ids": ["a", "b"], "callback": callback(receiver)}
            )
        check(seen, "gathers", "gather_members", "jobs")

    async def test_a_single_report_that_resolves_a_gather_and_is_delivered(
        self, tenant: Service, receiver: Receiver
    ) -> None:
        await new_gather(tenant, receiver, "g", ["a", "b"])
        await post(tenant, "/v1/jobs/a/complete", {"status": "succeeded"})
        with every_statement(tenant) as seen:
            await post(tenant, "/v1/jobs/b/complete", {"status": "succeeded"}, **{"Idempotency-Key": "k-1"})
            await tenant.settle()
            await receiver.wait_for(1)
        check(seen, "jobs", "gathers", "deliveries", "delivery_attempts", "idempotency_keys")

    async def test_a_bulk_report(self, tenant: Service, receiver: Receiver) -> None:
        await new_gather(tenant, receiver, "g1", ["a", "b", "c"])
        await new_gather(tenant, receiver, "g2", ["c", "d"])
        reports = [{"id": j, "status": "succeeded"} for j in "abd"] + [{"id": "c", "status": "failed"}]
        with every_statement(tenant) as seen:
            await post(tenant, "/v1/jobs/complete", {"reports": reports})
            await tenant.settle()
            await receiver.wait_for(2)
        check(seen, "jobs", "gathers", "gather_members", "deliveries")


class TestWaitsAndBatches:
    async def test_participant_adds_up_to_quorum(self, tenant: Service, receiver: Receiver) -> None:
        body = {"expected_participants": 2, "wait_seconds": 10, "callback": callback(receiver)}
        with every_statement(tenant) as seen:
            for key in ("p1", "p2", "p2"):
                await post(tenant, "/v1/waits/grp/participants", {"participant_key": key, **body})
            await tenant.settle()
            await receiver.wait_for(1)
        check(seen, "waits", "wait_participants", "deliveries")

    async def test_a_batch_report_and_the_seal_that_completes_its_job(
        self, tenant: Service, receiver: Receiver
    ) -> None:
        job = (await post(tenant, "/v1/batch-jobs", {"name": "import", "callback": callback(receiver)}))["id"]
        await new_gather(tenant, receiver, "g", [job])
        with every_statement(tenant) as seen:
            await post(tenant, f"/v1/jobs/{job}/batches", {"items": ["x", "y", "z"]})
            report = {
                "processed": ["x"],
                "skipped": ["y"],
                "errored": [{"id": "z", "error": "bad"}],
                "done": True,
            }
            await post(tenant, f"/v1/jobs/{job}/batches/1/report", report)
            await post(tenant, f"/v1/jobs/{job}/seal", {})
            await tenant.settle()
            await receiver.wait_for(2)
        check(seen, "batches", "batch_ledgers", "jobs", "gathers", "deliveries")


class TestDeliveries:
    async def test_a_failed_send_is_claimed_again_and_recorded(
        self, tenant: Service, receiver: Receiver
    ) -> None:
        receiver.reply_with(Reply(status=500))
        await new_gather(tenant, receiver, "g", [])
        with every_statement(tenant) as seen:
            await tenant.settle()
            tenant.clock.advance(10)  # past the first retry delay (5 s ± 20 %)
            await tenant.runtime.ticks.deliver_due()
            await tenant.runtime.deliverer.idle()
            await receiver.wait_for(2)
        check(seen, "deliveries", "delivery_attempts")
        assert any(normalize(sql).startswith("SELECT deliveries.id FROM deliveries") for sql in seen)


class TestSchedulerTicks:
    async def test_what_time_triggers_is_picked_across_namespaces_then_handled_in_each(
        self, tenant: Service, receiver: Receiver
    ) -> None:
        """Every deadline kind falls due at once; two ticks time them out, then purge the finished run."""
        handlers = Handlers(tenant, receiver)
        await handlers.register("Worker")
        definition = {"tasks": {"one": {"handler": "Worker"}}}
        assert (await tenant.client.put("/v1/workflows/slow", json=definition)).status_code == 201
        await post(tenant, "/v1/workflows/slow/runs", {"id": "r", "timeout_seconds": 60})
        assert (await tenant.client.put("/v1/jobs/j", json={"timeout_seconds": 60})).status_code in (200, 201)
        body = {"id": "g", "job_ids": ["x"], "callback": callback(receiver), "timeout_seconds": 60}
        await post(tenant, "/v1/gathers", body, **{"Idempotency-Key": "k-1"})
        wait = {
            "participant_key": "p",
            "expected_participants": 2,
            "wait_seconds": 60,
            "callback": callback(receiver),
        }
        await post(tenant, "/v1/waits/grp/participants", wait)
        await tenant.settle()
        with every_statement(tenant) as seen:
            await tenant.tick(31 * 86400)
            await tenant.tick(31 * 86400)
        assert (await tenant.client.get("/v1/runs/r")).status_code == 404  # purged
        check(seen, "jobs", "gathers", "waits", "runs", "deliveries", "idempotency_keys")


class TestWorkflowRuns:
    async def test_a_run_is_created_and_advanced_by_the_reports_of_its_attempts(
        self, tenant: Service, receiver: Receiver
    ) -> None:
        handlers = Handlers(tenant, receiver)
        await handlers.register("Worker")
        cap = {"url": f"{receiver.url}/Worker", "timeout_seconds": 600, "max_in_flight": 2}
        assert (await tenant.client.put("/v1/handlers/Worker", json=cap)).status_code == 200
        definition = {
            "tasks": {
                "fetch": {
                    "handler": "Worker",
                    "each": [1, 2, 3],
                    "concurrency": 2,
                    "throttle": {"key": "api", "limit": 1},
                },
                "after": {"handler": "Worker", "depends_on": ["fetch"]},
            }
        }
        assert (await tenant.client.put("/v1/workflows/wf", json=definition)).status_code == 201
        with every_statement(tenant) as seen:
            await post(tenant, "/v1/workflows/wf/runs", {"id": "run-1", "callback": callback(receiver)})
            await tenant.settle()
            reported: set[str] = set()
            for _ in range(6):
                tasks = [t["task"] for t in handlers.tasks() if t["task"]["job_id"] not in reported]
                for task in tasks:
                    assert await handlers.report(task["job_id"], {"n": 1}) == 200
                    reported.add(task["job_id"])
            assert len(reported) == 4
        run = (await tenant.client.get(f"/v1/runs/{quote('run-1')}")).json()
        assert run["status"] == "succeeded", run
        tables = ("runs", "run_steps", "run_items", "run_history", "throttles", "throttle_queue", "jobs")
        check(seen, *tables, "handlers", "workflow_versions")


class TestReads:
    async def test_the_reads_of_each_resource(self, tenant: Service, receiver: Receiver) -> None:
        """GETs, including the key probes that find a row by its place in key order."""
        job = (await post(tenant, "/v1/batch-jobs", {"name": "import"}))["id"]
        await post(tenant, f"/v1/jobs/{job}/batches", {"items": ["x"]})
        await new_gather(tenant, receiver, "g", ["a", job])
        body = {
            "participant_key": "p",
            "expected_participants": 1,
            "wait_seconds": 10,
            "callback": callback(receiver),
        }
        await post(tenant, "/v1/waits/grp/participants", body)  # resolves at once: no open wait is left
        assert (
            await tenant.client.put("/v1/workflows/wf", json={"tasks": {"one": {"handler": "W"}}})
        ).status_code == 201
        await post(tenant, "/v1/workflows/wf/runs", {"id": "r"})
        await tenant.settle()
        paths = [
            "/v1/jobs/a",
            f"/v1/jobs/{job}",
            f"/v1/batch-jobs/{job}",
            f"/v1/jobs/{job}/batches/1",
            "/v1/gathers/g",
            "/v1/gathers/g/members",
            "/v1/waits/grp",
            "/v1/runs/r",
            "/v1/runs/r/events",
            "/v1/deliveries",
        ]
        with every_statement(tenant) as seen:
            for path in paths:
                r = await tenant.client.get(path)
                assert r.status_code == 200, (path, r.text)
        check(seen, "jobs", "gathers", "gather_members", "waits", "runs", "run_history", "deliveries")


class TestTheCheck:
    """The parser itself, on statements written by hand."""

    def test_an_equality_on_a_bound_value_scopes_a_table(self) -> None:
        assert (
            unscoped("SELECT jobs.id FROM jobs WHERE jobs.namespace = $1::VARCHAR AND jobs.id = $2") == set()
        )
        assert unscoped("UPDATE jobs SET status=? WHERE jobs.id = ?") == {"jobs"}

    def test_an_insert_is_scoped_by_its_columns(self) -> None:
        assert (
            unscoped(
                'INSERT INTO jobs (namespace, id) VALUES (?, ?) ON CONFLICT ("namespace", id) DO NOTHING'
            )
            == set()
        )
        assert unscoped("INSERT INTO gathers (id, status) VALUES (?, ?)") == {"gathers"}

    def test_a_join_on_the_namespace_carries_the_binding(self) -> None:
        sql = (
            "SELECT 1 FROM gather_members JOIN jobs ON jobs.namespace = gather_members.namespace"
            " AND jobs.id = gather_members.job_id WHERE gather_members.namespace = $1"
        )
        assert unscoped(sql) == set()
        assert unscoped(sql.replace("gather_members.namespace = $1", "gather_members.gather_id = $1")) == {
            "gather_members",
            "jobs",
        }

    def test_a_row_comparison_is_not_an_equality(self) -> None:
        sql = "SELECT runs.id FROM runs WHERE (runs.namespace, runs.id) >= ($1, $2) ORDER BY runs.id LIMIT $3"
        assert unscoped(sql) == {"runs"}

    def test_each_reading_of_a_table_needs_its_own_condition(self) -> None:
        sql = (
            "UPDATE gathers SET done=1 WHERE gathers.namespace = $1 AND gathers.id IN"
            " (SELECT gathers.id FROM gathers WHERE gathers.status = $2)"
        )
        assert unscoped(sql) == {"gathers"}

    def test_a_table_without_a_namespace_column_is_never_scoped(self) -> None:
        assert unscoped("SELECT batch_items.item FROM batch_items WHERE batch_items.batch_id = ?") == {
            "batch_items"
        }

    def test_namespaces_are_scoped_by_name(self) -> None:
        assert (
            unscoped("SELECT namespaces.signing_secret FROM namespaces WHERE namespaces.name IN (?, ?)")
            == set()
        )

    def test_unknown_table_less_statements_fail(self) -> None:
        known = ["BEGIN IMMEDIATE", "SELECT pg_notify($1, $2)", "SELECT pg_advisory_xact_lock($1)"]
        assert violations(known) == []
        assert violations(["SELECT count(*) FROM some_view"]) != []
