"""repair: rewrite stored JSON that no response can render

Before the input edge refused them, a body could bring lone surrogates (``"\\udfff"``), U+0000 and non-finite
numbers (``NaN``, ``Infinity``, ``1e400``) into free-form JSON. SQLite stored them (as ``\\udfff`` escapes and
bare ``NaN``/``Infinity`` tokens); every read of such a row, and every list holding it, then failed. This
revision finds those values in every JSON column and in the outbox's event bodies and rewrites them the way
the service has always shown them, so nothing a client saw changes: a non-finite number becomes ``null`` (it
was read back as ``null``), and a lone surrogate or U+0000 becomes U+FFFD, the replacement character (keys
that thereby become equal are merged, the last one kept, and counted). Each repaired row is logged as a
warning naming the table, the row and what was replaced.

PostgreSQL needs no repair: jsonb refuses these values (``NaN`` is not a jsonb token, a lone ``\\u`` surrogate
escape and ``\\u0000`` are rejected), so the transaction that carried one failed and stored nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 20:30:00
"""

import json
import logging
import math
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("rendezvous.migrate")

# (table, columns naming a row in the log, JSON text columns)
TARGETS = [
    ("jobs", ("namespace", "id"), ("meta", "output", "error")),
    ("gathers", ("namespace", "id"), ("callback", "failure_callback")),
    ("waits", ("namespace", "id"), ("callback",)),
    ("batch_ledgers", ("namespace", "job_id"), ("callback",)),
    ("deliveries", ("namespace", "id"), ("headers", "body")),
]
# What a stored value must contain to need a look (GLOB is case-sensitive; the escapes come in both cases).
SUSPECT = ("*NaN*", "*Infinity*", "*\\u[dD][89a-fA-F]*", "*\\u0000*")
BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
CHUNK = 500


class Repair:
    """Counts what one value's rewrite replaced."""

    def __init__(self) -> None:
        self.numbers = 0
        self.characters = 0
        self.merged = 0

    def text(self, value: str) -> str:
        fixed, count = BAD_CHARACTER.subn("\ufffd", value)
        self.characters += count
        return fixed

    def value(self, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            self.numbers += 1
            return None
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            fixed = {self.text(key): self.value(item) for key, item in value.items()}
            self.merged += len(value) - len(fixed)  # keys that became equal: the last one is kept
            return fixed
        return value

    def summary(self) -> str:
        parts = []
        if self.numbers:
            parts.append(f"{self.numbers} non-finite number(s) → null")
        if self.characters:
            parts.append(f"{self.characters} lone surrogate(s) or U+0000 → U+FFFD")
        if self.merged:
            parts.append(f"{self.merged} key(s) dropped that became equal to another (the last one kept)")
        return ", ".join(parts)


def upgrade() -> None:
    if context.is_offline_mode():
        log.warning("0005 reads rows to repair them: run it online (rendezvous migrate), not as SQL")
        return
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # jsonb never held such values (see the module docstring)
    repaired = 0
    for table, names, columns in TARGETS:
        suspect = " OR ".join(f"{c} GLOB :p{i}" for c in columns for i in range(len(SUSPECT)))
        params = {f"p{i}": pattern for i, pattern in enumerate(SUSPECT)}
        select = sa.text(f"SELECT rowid, {', '.join(names + columns)} FROM {table} WHERE {suspect}")
        result = bind.execute(select, params)
        updates = []
        while rows := result.fetchmany(CHUNK):
            for row in rows:
                changes, notes = {}, []
                for column in columns:
                    raw = row._mapping[column]
                    if raw is None:
                        continue
                    repair = Repair()
                    try:
                        fixed = json.dumps(repair.value(json.loads(raw)), separators=(",", ":"))
                    except ValueError:
                        log.warning("%s.%s of rowid %s is not JSON; left as it is", table, column, row[0])
                        continue
                    if repair.summary():
                        changes[column] = fixed
                        notes.append(f"{column}: {repair.summary()}")
                if changes:
                    key = ", ".join(f"{n}={row._mapping[n]!r}" for n in names)
                    log.warning("repaired %s row (%s): %s", table, key, "; ".join(notes))
                    updates.append((row._mapping["rowid"], changes))
        for rowid, changes in updates:
            assignments = ", ".join(f"{column} = :{column}" for column in changes)
            bind.execute(
                sa.text(f"UPDATE {table} SET {assignments} WHERE rowid = :rowid"), {**changes, "rowid": rowid}
            )
        repaired += len(updates)
    if repaired:
        log.warning("repaired %d row(s) holding JSON that could not be rendered", repaired)


def downgrade() -> None:
    pass  # the repaired values were unreadable before; there is nothing to restore
