"""Batches of a job (JobMetadata): create, report, abort, sets, seal, retention. Services flush, never commit.

Lock order, everywhere: a batch row, then its job's ledger row, then the job row (through the job service,
which goes on to gathers). Ledger counters change only by atomic increments, so reports racing on different
batches of one job add up exactly, and the ledger update that closes the last open batch of a sealed job (or
the seal that finds none open) is the one that completes the job.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.batches import store
from app.batches.models import COUNTERS, BatchLedgerRow, BatchRow, batch_items, batch_ledgers, batches
from app.batches.schemas import BatchProgress, BatchReport
from app.core.db import Tx
from app.core.ids import new_id
from app.core.problem import field_error
from app.deliveries import service as deliveries
from app.errors import Conflict, Invalid
from app.jobs import reads as job_reads
from app.jobs import service as jobs_service
from app.jobs import store as job_store
from app.jobs.models import ACTIVE, JobRow
from app.jobs.schemas import JobRead, JobRegister

INLINE_ERRORED_IDS = 1000
LISTED_NOT_PENDING = 1000
_ID_ATTEMPTS = 20


def batch_job_id(name: str, now: Any) -> str:
    """The seed's job id: ``name:YYYY-mm-dd_HH-MM-SS_ddddd`` (UTC, five random digits)."""
    return f"{name}:{now:%Y-%m-%d_%H-%M-%S}_{secrets.randbelow(100_000):05d}"


def _ledger_row(tx: Tx, namespace: str, job_id: str, **values: Any) -> BatchLedgerRow:
    row: dict[str, Any] = {
        "namespace": namespace,
        "job_id": job_id,
        "batch_job": False,
        "fail_on_errors": False,
        "callback": None,
        "sealed": False,
        "next_index": 0,
        "batches_total": 0,
        "batches_open": 0,
        **dict.fromkeys(COUNTERS, 0),
        "created_at": tx.now,
        "updated_at": tx.now,
        "sealed_at": None,
        "completed_at": None,
    }
    row.update(values)
    return cast(BatchLedgerRow, row)


async def create_batch_job(
    tx: Tx,
    *,
    namespace: str,
    name: str,
    register: JobRegister,
    fail_on_errors: bool,
    callback: dict[str, Any] | None,
) -> JobRow:
    """Register a job under a fresh seed-style id and open its ledger; returns the job row."""
    values = jobs_service.registration_values(register, tx.now)
    for _ in range(_ID_ATTEMPTS):
        job_id = batch_job_id(name, tx.now)
        row = job_store.new_row(namespace, job_id, tx.now, **values)
        if await job_store.insert_new(tx, [row]):
            break
    else:  # 20 collisions in 100,000 ids within one second
        raise Conflict(f"no free batch job id for {name!r} this second; try again")
    ledger = _ledger_row(
        tx, namespace, job_id, batch_job=True, fail_on_errors=fail_on_errors, callback=callback
    )
    await tx.conn.execute(batch_ledgers.insert(), [ledger])
    return row


def _check_size(items: Sequence[str], max_items: int, field: str) -> list[str]:
    """Collapse repeated ids (sets are sets) and enforce the per-batch limit."""
    unique = list(dict.fromkeys(items))
    if len(unique) > max_items:
        raise Invalid(
            f"{field} holds {len(unique)} distinct ids; the limit is {max_items}",
            errors=[field_error(field, f"at most {max_items} ids, got {len(unique)}")],
        )
    return unique


async def add_batch(
    tx: Tx, *, namespace: str, job_id: str, items: Sequence[str], max_items: int, retention: timedelta
) -> BatchRow:
    """Create the job's next batch with these pending ids; an empty batch is finished at once."""
    unique = _check_size(items, max_items, "items")
    job = await job_reads.get(tx.conn, namespace=namespace, job_id=job_id)
    if job["status"] not in ACTIVE:
        raise Conflict(f"job {job_id!r} already finished as {job['status']!r}; it takes no more batches")
    count = len(unique)
    opens = 1 if count else 0
    insert = tx.insert(batch_ledgers).values(
        _ledger_row(
            tx,
            namespace,
            job_id,
            next_index=1,
            batches_total=1,
            batches_open=opens,
            items=count,
            pending=count,
        )
    )
    ledger_row = (
        await tx.conn.execute(
            insert.on_conflict_do_update(
                index_elements=[batch_ledgers.c.namespace, batch_ledgers.c.job_id],
                set_={
                    "next_index": batch_ledgers.c.next_index + 1,
                    "batches_total": batch_ledgers.c.batches_total + 1,
                    "batches_open": batch_ledgers.c.batches_open + opens,
                    "items": batch_ledgers.c["items"] + count,
                    "pending": batch_ledgers.c.pending + count,
                    "updated_at": tx.now,
                },
            ).returning(batch_ledgers.c.next_index, batch_ledgers.c.sealed)
        )
    ).one()
    if ledger_row.sealed:  # the transaction rolls back, counters included
        raise Conflict(f"job {job_id!r} is sealed; it takes no more batches")
    row = {
        "id": new_id("bat"),
        "namespace": namespace,
        "job_id": job_id,
        "batch_index": ledger_row.next_index,
        "status": "open" if count else "finished",
        "finished_by": None if count else "created_empty",
        "abort_error": None,
        **dict.fromkeys(COUNTERS, 0),
        "items": count,
        "pending": count,
        "created_at": tx.now,
        "updated_at": tx.now,
        "finished_at": None if count else tx.now,
        "items_expire_at": None if count else tx.now + retention,
        "items_expired": False,
    }
    await tx.conn.execute(batches.insert(), [row])
    await store.insert_items(tx, row["id"], "pending", unique)
    return cast(BatchRow, row)


async def report(
    tx: Tx,
    *,
    namespace: str,
    job_id: str,
    index: int,
    body: BatchReport,
    max_items: int,
    retention: timedelta,
) -> BatchRow:
    """The BatchTracker: move named ids out of pending; all must be pending, or nothing is applied."""
    batch = await store.lock_row(tx, namespace, job_id, index)
    _require_open(batch)
    for field in ("processed", "skipped", "errored"):
        value = getattr(body, field)
        if isinstance(value, list) and len(value) > max_items:
            raise Invalid(
                f"{field} names {len(value)} ids; the limit is {max_items}",
                errors=[field_error(field, f"at most {max_items} ids, got {len(value)}")],
            )
    named = body.named()
    remaining = batch["pending"] - len(named)
    only_processed = isinstance(body.processed, list) and not (body.skipped or body.errored or body.done)
    if tx.is_postgres and only_processed and named and remaining > 0:
        return await _processed(tx, batch, named)
    removed = await store.remove_items(tx, batch["id"], "pending", named)
    if len(removed) < len(named):
        raise _not_pending(named, removed, index)
    processed = len(body.processed) if isinstance(body.processed, list) else body.processed
    bare = isinstance(body.processed, int)
    if bare and processed > remaining:
        reason = f"{processed} processed, but only {remaining} ids remain pending after the named ones"
        raise Invalid(reason, errors=[field_error("processed", reason)])
    await store.insert_items(tx, batch["id"], "skipped", body.skipped)
    await store.insert_items(
        tx, batch["id"], "errored", [e.id for e in body.errored], [e.error for e in body.errored]
    )
    finishing = bool(body.done) or bare or remaining == 0
    withdrawn = 0
    if finishing and remaining:
        await store.clear_set(tx, batch["id"], "pending")
        withdrawn = remaining - (processed if bare else 0)
    deltas = {
        "pending": -(batch["pending"] if finishing else len(named)),
        "processed": processed,
        "skipped": len(body.skipped),
        "errored": len(body.errored),
        "withdrawn": withdrawn,
    }
    return await _apply(tx, batch, deltas, finish_by="report" if finishing else None, retention=retention)


def _not_pending(named: Sequence[str], removed: set[str], index: int) -> Invalid:
    missing = [item for item in named if item not in removed]
    return Invalid(
        f"{len(missing)} reported ids are not pending in batch {index}; nothing was applied",
        errors=[field_error("body", f"{len(missing)} ids are not pending")],
        not_pending=missing[:LISTED_NOT_PENDING],
        not_pending_count=len(missing),
    )


def _processed_statement() -> sa.Update:
    """PostgreSQL, a report of processed ids that leaves some pending: the ids leave the pending set and both
    counters move in one statement, which returns the batch and how many ids were pending (and, when not all
    were, which; the caller then raises and the transaction rolls back)."""
    items = batch_items.c
    removed = (
        sa.delete(batch_items)
        .where(
            items.batch_id == sa.bindparam("b_id"),
            items.set_name == "pending",
            items.item == sa.any_(sa.bindparam("b_items", type_=postgresql.ARRAY(sa.Text))),
        )
        .returning(items.item)
        .cte("removed")
    )
    count = sa.bindparam("b_count", type_=sa.Integer)
    now = sa.bindparam("b_now", type_=batches.c.updated_at.type)
    ledger = (
        sa.update(batch_ledgers)
        .where(
            batch_ledgers.c.namespace == sa.bindparam("b_namespace"),
            batch_ledgers.c.job_id == sa.bindparam("b_job_id"),
        )
        .values(
            pending=batch_ledgers.c.pending - count,
            processed=batch_ledgers.c.processed + count,
            updated_at=now,
        )
        .returning(batch_ledgers.c.job_id)
        .cte("ledger")
    )
    found = sa.select(sa.func.count()).select_from(removed).scalar_subquery()
    listed = sa.select(sa.func.array_agg(removed.c.item)).scalar_subquery()
    return (
        sa.update(batches)
        .add_cte(removed, ledger)
        .where(batches.c.id == sa.bindparam("b_id"))
        .values(pending=batches.c.pending - count, processed=batches.c.processed + count, updated_at=now)
        .returning(
            *batches.c,
            found.label("found"),
            sa.case((found < count, listed), else_=sa.null()).label("found_items"),
        )
    )


_PROCESSED = _processed_statement()


async def _processed(tx: Tx, batch: BatchRow, named: Sequence[str]) -> BatchRow:
    params = {
        "b_id": batch["id"],
        "b_items": list(named),
        "b_count": len(named),
        "b_now": tx.now,
        "b_namespace": batch["namespace"],
        "b_job_id": batch["job_id"],
    }
    row = (await tx.conn.execute(_PROCESSED, params)).mappings().one()
    if row["found"] < len(named):
        raise _not_pending(named, set(row["found_items"] or ()), batch["batch_index"])
    return cast(BatchRow, {c.key: row[c.key] for c in batches.c})


async def abort(
    tx: Tx, *, namespace: str, job_id: str, index: int, error: str, retention: timedelta
) -> BatchRow:
    """The seed's fatal error: every pending id goes to errored with this reason; the batch finishes."""
    batch = await store.lock_row(tx, namespace, job_id, index)
    _require_open(batch)
    pending = await store.clear_set(tx, batch["id"], "pending")
    await store.insert_items(tx, batch["id"], "errored", pending, [error] * len(pending))
    deltas = {"pending": -batch["pending"], "errored": len(pending)}
    return await _apply(tx, batch, deltas, finish_by="abort", retention=retention, abort_error=error)


async def replace_set(
    tx: Tx,
    *,
    namespace: str,
    job_id: str,
    index: int,
    set_name: str,
    items: Sequence[str],
    max_items: int,
    retention: timedelta,
) -> BatchRow:
    """PUT a set. ``pending`` (open batches only) re-plans the batch; ``skipped``/``errored`` are the
    report ledger and refuse writes; any other name is the client's own."""
    unique = _check_size(items, max_items, "items")
    batch = await store.lock_row(tx, namespace, job_id, index)
    if set_name in ("skipped", "errored"):
        raise Conflict(f"the {set_name} set is written by reports and aborts; it cannot be replaced")
    if batch["items_expired"]:
        raise Conflict(f"the item sets of batch {index} expired; it takes no more ids")
    if set_name != "pending":
        await store.clear_set(tx, batch["id"], set_name)
        await store.insert_items(tx, batch["id"], set_name, unique)
        return await _touch(tx, batch)
    _require_open(batch)
    old = set(await store.clear_set(tx, batch["id"], "pending"))
    await store.insert_items(tx, batch["id"], "pending", unique)
    added = sum(1 for item in unique if item not in old)
    deltas = {
        "items": added,
        "pending": len(unique) - batch["pending"],
        "withdrawn": len(old) - (len(unique) - added),
    }
    return await _apply(tx, batch, deltas, finish_by=None if unique else "pending_set", retention=retention)


async def remove_set(
    tx: Tx, *, namespace: str, job_id: str, index: int, set_name: str, retention: timedelta
) -> BatchRow:
    """The seed's ``remove_set``. Removing ``pending`` withdraws its ids and finishes the batch; removing
    any other set deletes the stored ids only (counts stay, as after retention)."""
    batch = await store.lock_row(tx, namespace, job_id, index)
    if set_name != "pending" or batch["status"] != "open":
        await store.clear_set(tx, batch["id"], set_name)
        return await _touch(tx, batch)
    dropped = await store.clear_set(tx, batch["id"], "pending")
    deltas = {"pending": -batch["pending"], "withdrawn": len(dropped)}
    return await _apply(tx, batch, deltas, finish_by="pending_set", retention=retention)


async def delete_batch(tx: Tx, *, namespace: str, job_id: str, index: int) -> None:
    """Delete a batch and its sets. Its outcomes stay counted on the job; an open batch's pending ids are
    withdrawn (its errors, if any, are summarised as for a finished batch), and a sealed job whose last open
    batch this was completes."""
    batch = await store.lock_row(tx, namespace, job_id, index)
    was_open = batch["status"] == "open"
    deltas = {"pending": -batch["pending"], "withdrawn": batch["pending"]} if was_open else {}
    ledger = await _update_ledger(tx, batch, deltas, batches_total=-1, batches_open=-1 if was_open else 0)
    if was_open:
        closed: BatchRow = {**batch, "pending": 0, "withdrawn": batch["withdrawn"] + batch["pending"]}
        await _batch_finished(tx, closed, ledger, finished_by="deleted")
    await tx.conn.execute(sa.delete(batches).where(batches.c.id == batch["id"]))
    if was_open:
        await _complete_if_done(tx, ledger)


async def seal(tx: Tx, *, namespace: str, job_id: str) -> JobRow:
    """No more batches. A sealed job with no open batch completes in this transaction. Repeats are no-ops."""
    job = await job_reads.get(tx.conn, namespace=namespace, job_id=job_id)
    c = batch_ledgers.c
    if job["status"] not in ACTIVE:
        was_sealed = sa.select(c.sealed).where(c.namespace == namespace, c.job_id == job_id)
        if (await tx.conn.execute(was_sealed)).scalar():
            return job  # sealed before it finished: a repeat
        raise Conflict(f"job {job_id!r} already finished as {job['status']!r}")
    # A job without batches gets an empty ledger; racing seals and first batches meet on its primary key.
    await tx.conn.execute(
        tx.insert(batch_ledgers).values(_ledger_row(tx, namespace, job_id)).on_conflict_do_nothing()
    )
    stmt = (
        sa.update(batch_ledgers)
        .where(c.namespace == namespace, c.job_id == job_id, c.sealed.is_(False))
        .values(sealed=True, sealed_at=tx.now, updated_at=tx.now)
        .returning(*batch_ledgers.c)
    )
    sealed_now = (await tx.conn.execute(stmt)).mappings().first()
    if sealed_now is not None:
        await _complete_if_done(tx, cast(BatchLedgerRow, dict(sealed_now)))
    return await job_reads.get(tx.conn, namespace=namespace, job_id=job_id)


def _require_open(batch: BatchRow) -> None:
    if batch["status"] != "open":
        raise Conflict(
            f"batch {batch['batch_index']} of job {batch['job_id']!r} already finished",
            batch_status=batch["status"],
            finished_by=batch["finished_by"],
        )


async def _touch(tx: Tx, batch: BatchRow) -> BatchRow:
    await tx.conn.execute(sa.update(batches).where(batches.c.id == batch["id"]).values(updated_at=tx.now))
    return {**batch, "updated_at": tx.now}


async def _apply(
    tx: Tx,
    batch: BatchRow,
    deltas: dict[str, int],
    *,
    finish_by: str | None,
    retention: timedelta,
    abort_error: str | None = None,
) -> BatchRow:
    """Add ``deltas`` to the batch and its ledger; when ``finish_by``, finish the batch and act on it."""
    values: dict[str, Any] = {name: batches.c[name] + delta for name, delta in deltas.items() if delta}
    values["updated_at"] = tx.now
    if finish_by is not None:
        values.update(
            status="finished",
            finished_by=finish_by,
            finished_at=tx.now,
            items_expire_at=tx.now + retention,
            abort_error=abort_error,
        )
    stmt = sa.update(batches).where(batches.c.id == batch["id"]).values(values).returning(*batches.c)
    updated = cast(BatchRow, dict((await tx.conn.execute(stmt)).mappings().one()))
    ledger = await _update_ledger(tx, batch, deltas, batches_open=-1 if finish_by else 0)
    if finish_by is not None:
        tx.observe("resolution", "batch", "errors" if updated["errored"] else "clean")
        await _batch_finished(tx, updated, ledger)
        await _complete_if_done(tx, ledger)
    return updated


async def _update_ledger(
    tx: Tx, batch: BatchRow, deltas: dict[str, int], *, batches_total: int = 0, batches_open: int = 0
) -> BatchLedgerRow:
    c = batch_ledgers.c
    values: dict[str, Any] = {name: c[name] + delta for name, delta in deltas.items() if delta}
    if batches_total:
        values["batches_total"] = c.batches_total + batches_total
    if batches_open:
        values["batches_open"] = c.batches_open + batches_open
    values["updated_at"] = tx.now
    stmt = (
        sa.update(batch_ledgers)
        .where(c.namespace == batch["namespace"], c.job_id == batch["job_id"])
        .values(values)
        .returning(*batch_ledgers.c)
    )
    return cast(BatchLedgerRow, dict((await tx.conn.execute(stmt)).mappings().one()))


async def _complete_if_done(tx: Tx, ledger: BatchLedgerRow) -> None:
    """Called by the one update that closed a batch or sealed the job, with the ledger it returned."""
    if ledger["sealed"] and not ledger["batches_open"]:
        await _complete_job(tx, ledger)


async def _batch_finished(
    tx: Tx, batch: BatchRow, ledger: BatchLedgerRow, *, finished_by: str | None = None
) -> None:
    """A batch with errored ids sends ``batch.finished`` to the job's callback (the seed's summary);
    ``finished_by`` names what closed it when the row does not (a deletion)."""
    if not batch["errored"] or ledger["callback"] is None:
        return
    stmt = (
        sa.select(batch_items.c.item)
        .where(batch_items.c.batch_id == batch["id"], batch_items.c.set_name == "errored")
        .order_by(batch_items.c.item)
        .limit(INLINE_ERRORED_IDS + 1)
    )
    errored_ids = list((await tx.conn.execute(stmt)).scalars())
    data = {
        "job_id": batch["job_id"],
        "batch_index": batch["batch_index"],
        "errors": True,
        "errored_ids": errored_ids[:INLINE_ERRORED_IDS],
        "errored_ids_truncated": len(errored_ids) > INLINE_ERRORED_IDS,
        "finished_by": finished_by or batch["finished_by"],
        "abort_error": batch["abort_error"],
        "counts": _counts(batch),
    }
    await deliveries.enqueue(
        tx,
        namespace=batch["namespace"],
        event_type="batch.finished",
        subject=("job", batch["job_id"]),
        callback=ledger["callback"],
        data=data,
    )


def _counts(row: Mapping[str, Any]) -> dict[str, int]:
    return {name: row[name] for name in COUNTERS}


async def _complete_job(tx: Tx, ledger: BatchLedgerRow) -> None:
    """Finish the job from its ledger (guarded: a job that already finished stays as it is); its gathers
    see the report in this transaction, and the ledger's callback gets ``job.succeeded``/``job.failed``."""
    failed = ledger["fail_on_errors"] and ledger["errored"] > 0
    output = {name: ledger[name] for name in ("processed", "skipped", "errored", "withdrawn")}
    output["batches"] = ledger["batches_total"]
    error = {"reason": "items_errored", "errored": ledger["errored"]} if failed else None
    report = jobs_service.Report(ledger["job_id"], "failed" if failed else "succeeded", output, error)
    (result,) = await jobs_service.complete_many(tx, namespace=ledger["namespace"], reports=[report])
    if result.result != "applied":
        return
    tx.observe("resolution", "batch_job", report.status)
    c = batch_ledgers.c
    await tx.conn.execute(
        sa.update(batch_ledgers)
        .where(c.namespace == ledger["namespace"], c.job_id == ledger["job_id"])
        .values(completed_at=tx.now)
    )
    if ledger["callback"] is not None:
        progress = BatchProgress.from_row({**ledger, "completed_at": tx.now})
        job = {
            **JobRead.from_row(result.job).model_dump(mode="json"),
            "batches": progress.model_dump(mode="json"),
        }
        await deliveries.enqueue(
            tx,
            namespace=ledger["namespace"],
            event_type=f"job.{report.status}",
            subject=("job", ledger["job_id"]),
            callback=ledger["callback"],
            data={"job": job},
        )


async def expire_items(tx: Tx, *, limit: int) -> int:
    """Delete the item sets of batches finished longer ago than the retention; counts stay."""
    due = tx.due(sa.select(batches.c.id), batches.c.items_expire_at, limit=limit)
    ids = list((await tx.conn.execute(due)).scalars())
    if ids:
        await tx.conn.execute(sa.delete(batch_items).where(batch_items.c.batch_id.in_(ids)))
        await tx.conn.execute(
            sa.update(batches)
            .where(batches.c.id.in_(ids))
            .values(items_expire_at=None, items_expired=True, updated_at=tx.now)
        )
    return len(ids)
