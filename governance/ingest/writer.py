"""One batch into the ledger, atomically: new rows, revised billing buckets, quarantined
records, the source's cursor and the run's counters commit together or not at all, so a
process killed at any moment and started again yields the ledger of an uninterrupted run.

Rows the database refuses (a value out of its range, text it cannot encode) are found by halving
the batch under savepoints; they are quarantined with its reason and the rest commit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from governance.domain.formats import Layer
from governance.domain.limits import MONEY_MAX, storable
from governance.ingest.bulk import bulk_insert
from governance.ledger.errors import refusal_reason, refused_values, translate_db_errors
from governance.ledger.rollups import RollupDelta
from governance.ledger.run_leases import begin_run, end_run
from governance.ledger.tables import ingest_runs, ledger, quarantine, source_cursors
from governance.sources.base import Rejected, raw_text
from governance.sources.redact import SHAPES, Redactor

# Values that make a billing bucket "revised" when the provider sends it again.
_REVISABLE = (
    "cost",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "model",
    "tier",
    "category",
    "original_cost",
    "currency",
)
# What the rollups need of an old row to take it back out, beyond the revisable values.
_ROLLUP_DIMENSIONS = ("occurred_at", "provider", "team", "cost_basis")
_KEY_CHUNK = 500  # keys per IN (...) lookup; well under every driver's parameter limit


@dataclass
class Counts:
    read: int = 0
    added: int = 0
    duplicates: int = 0
    quarantined: int = 0
    cost: Decimal = field(default_factory=lambda: Decimal(0))
    unpriced: int = 0  # of the added rows, those with no price yet (kept, with their tokens)
    kept: list[int] = field(default_factory=list)  # retried records the ledger refused again

    def __iadd__(self, other: Counts) -> Counts:
        self.read += other.read
        self.added += other.added
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.cost += other.cost
        self.unpriced += other.unpriced
        self.kept += other.kept
        return self


@dataclass(frozen=True)
class Cursor:
    stream: str
    position: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a row was read: what the quarantine keeps if the ledger refuses the row."""

    location: str
    value: Any  # the decoded record; its quarantine text is made only if it is refused
    held: int | None = None  # the quarantined record a retry made it from


Pending = tuple[dict[str, Any], Origin | None]


def _unpriced(rows: Iterable[dict[str, Any]]) -> int:
    return sum(1 for row in rows if row["cost_basis"] == "unpriced")


def fingerprint(source: str, stream: str, raw: str) -> str:
    """Identifies a bad record: the same record read again from the same file is held once,
    wherever a rewrite moved it (so not by line number)."""
    # surrogatepass: half an emoji in a bad record must not stop it being held.
    text = f"{source}\x1f{stream}\x1f{raw}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _insert(conn: Connection, table: Any) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class BatchWriter:
    """Writes batches of one source for one ingest run."""

    def __init__(
        self,
        engine: Engine,
        source: str,
        fmt: str,
        layer: Layer,
        run_id: int,
        redactor: Redactor = SHAPES,
    ) -> None:
        self.engine, self.source, self.format, self.layer = engine, source, fmt, layer
        self.run_id = run_id
        self.redactor = redactor  # every raw text held passes it: the config's secrets too

    def write(
        self,
        rows: Sequence[dict[str, Any]],
        rejected: Sequence[Rejected],
        cursor: Cursor | None,
        now: datetime,
        released: Sequence[int] = (),
        origins: Sequence[Origin] = (),
    ) -> Counts:
        """Commit one batch; ``rows`` are ledger rows without source, layer or run columns.

        ``origins`` (one per row) say where each row was read, for the quarantine should the
        database refuse it. ``released`` are quarantine ids whose records are among ``rows``
        (a retry); one whose row is refused again stays held, with the new reason.
        """
        counts = Counts(read=len(rows) + len(rejected), quarantined=len(rejected))
        known: Sequence[Origin | None] = origins or [None] * len(rows)
        pending: list[Pending] = list(zip(rows, known, strict=True))
        with translate_db_errors(self.engine), self.engine.begin() as conn:
            refused = self._contained(conn, pending, counts, now)
            counts.quarantined += len(refused)
            fresh = []
            for origin, reason in refused:
                if origin.held is None:
                    fresh.append(Rejected(origin.location, reason, raw_text(origin.value)))
                    continue
                counts.kept.append(origin.held)  # a retried record refused again stays held
                conn.execute(
                    update(quarantine)
                    .where(quarantine.c.id == origin.held)
                    .values(reason=storable(reason))
                )
            self._quarantine(conn, [*rejected, *fresh], cursor.stream if cursor else "", now)
            if released := [item for item in released if item not in counts.kept]:
                conn.execute(
                    update(quarantine)
                    .where(quarantine.c.id.in_(released))
                    .values(status="released", released_at=now)
                )
            if cursor is not None:
                self._save_cursor(conn, cursor, now)
            self._count(conn, counts)
        return counts

    def _count(self, conn: Connection, counts: Counts) -> None:
        """The batch added to its run's counters; the run's cost is held within what its column
        holds (rows each in range can sum beyond it), never failing the batch."""
        run = ingest_runs.c
        before = conn.execute(select(run.cost).where(run.id == self.run_id)).scalar_one()
        cost = max(-MONEY_MAX, min(MONEY_MAX, before + counts.cost))
        conn.execute(
            update(ingest_runs)
            .where(run.id == self.run_id)
            .values(
                read=run.read + counts.read,
                added=run.added + counts.added,
                duplicates=run.duplicates + counts.duplicates,
                quarantined=run.quarantined + counts.quarantined,
                cost=cost,
            )
        )

    def _contained(
        self, conn: Connection, pending: list[Pending], counts: Counts, now: datetime
    ) -> list[tuple[Origin, str]]:
        """Write ``pending``; the rows the database refuses, found by halving, with its reason."""
        if not pending:
            return []
        trial = Counts()
        savepoint = conn.begin_nested()
        try:
            self._rows(conn, [row for row, _ in pending], trial, now)
        except Exception as exc:
            savepoint.rollback()
            if not refused_values(exc):
                raise  # the database is failing, not refusing a record: the batch fails
            if len(pending) == 1:
                row, origin = pending[0]
                return [(origin or Origin("(unknown)", row), refusal_reason(exc))]
            middle = len(pending) // 2
            return self._contained(conn, pending[:middle], counts, now) + self._contained(
                conn, pending[middle:], counts, now
            )
        savepoint.commit()
        counts += trial
        return []

    def _rows(
        self, conn: Connection, rows: Sequence[dict[str, Any]], counts: Counts, now: datetime
    ) -> None:
        revisable = self.layer == "billing"
        rollup = RollupDelta()
        latest: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row["source_key"] in latest and not revisable:
                counts.duplicates += 1  # the same record twice in one batch
                continue
            if row["source_key"] in latest:
                counts.duplicates += 1  # a revision within the batch: the last one stands
            latest[row["source_key"]] = row
        extra = {"source": self.source, "layer": self.layer, "run_id": self.run_id,
                 "ingested_at": now}  # fmt: skip
        if not revisable and latest:
            # Most batches are all new: insert them at once, and look keys up only if not.
            savepoint = conn.begin_nested()
            try:
                inserted = bulk_insert(conn, [row | extra for row in latest.values()])
            except BaseException:
                savepoint.rollback()  # leaves the enclosing savepoint to be rolled back whole
                raise
            if inserted == len(latest):
                savepoint.commit()
                counts.added += inserted
                counts.unpriced += _unpriced(latest.values())
                counts.cost += sum((row["cost"] for row in latest.values()), Decimal(0))
                for row in latest.values():
                    rollup.add(row | extra)
                rollup.flush(conn)
                return
            savepoint.rollback()
        existing = self._existing(conn, list(latest))
        new = []
        for key, row in latest.items():
            old = existing.get(key)
            if old is None:
                new.append(row | extra)
            elif revisable and any(old[c] != row.get(c) for c in _REVISABLE if c in old):
                conn.execute(
                    update(ledger)
                    .where(ledger.c.source == self.source, ledger.c.source_key == key)
                    .values({**row, "run_id": self.run_id, "ingested_at": now})
                )
                counts.added += 1
                counts.unpriced += _unpriced([row])
                counts.cost += row["cost"] - old["cost"]
                rollup.add({**old, "layer": self.layer}, -1)
                rollup.add(row | extra)
            else:
                counts.duplicates += 1
        if new:
            inserted = bulk_insert(conn, new)
            if inserted < len(new):  # another process wrote some meanwhile: count ours only
                ours = self._existing(conn, [row["source_key"] for row in new], self.run_id)
                counts.duplicates += len(new) - len(ours)
                new = [row for row in new if row["source_key"] in ours]
            counts.added += len(new)
            counts.unpriced += _unpriced(new)
            counts.cost += sum((row["cost"] for row in new), Decimal(0))
            for row in new:
                rollup.add(row)
        rollup.flush(conn)

    def _existing(
        self, conn: Connection, keys: list[str], run_id: int | None = None
    ) -> dict[str, dict[str, Any]]:
        """The ledger's rows of this source among ``keys`` (only those ``run_id`` wrote)."""
        columns = [ledger.c.source_key]
        if self.layer == "billing":
            columns += [ledger.c[name] for name in (*_REVISABLE, *_ROLLUP_DIMENSIONS)]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), _KEY_CHUNK):
            query = select(*columns).where(
                ledger.c.source == self.source,
                ledger.c.source_key.in_(keys[start : start + _KEY_CHUNK]),
            )
            if run_id is not None:
                query = query.where(ledger.c.run_id == run_id)
            for record in conn.execute(query).mappings():
                found[record["source_key"]] = dict(record)
        return found

    def _quarantine(
        self, conn: Connection, rejected: Iterable[Rejected], stream: str, now: datetime
    ) -> None:
        entries = [
            {
                "source": self.source,
                "format": self.format,
                "location": storable(item.location)[:1000],
                "reason": storable(item.reason),
                "raw": storable(self.redactor.text(item.raw)),
                "fingerprint": fingerprint(self.source, stream, item.raw),
                "seen_at": now,
                "status": "held",
                "run_id": self.run_id,
            }
            for item in rejected
        ]
        if entries:
            conn.execute(
                _insert(conn, quarantine).on_conflict_do_nothing(index_elements=["fingerprint"]),
                entries,
            )

    def _save_cursor(self, conn: Connection, cursor: Cursor, now: datetime) -> None:
        statement = _insert(conn, source_cursors).values(
            source=self.source,
            stream=storable(cursor.stream),
            position=cursor.position,
            updated_at=now,
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["source", "stream"],
                set_={"position": statement.excluded.position, "updated_at": now},
            )
        )


def start_run(engine: Engine, source: str, now: datetime) -> int:
    """A new ``ingest_runs`` row, status running, its lease held until ``finish_run``; its id."""

    def insert_run(conn: Connection) -> int:
        result = conn.execute(
            insert(ingest_runs).values(
                source=source,
                started_at=now,
                status="running",
                read=0,
                added=0,
                duplicates=0,
                quarantined=0,
                cost=0,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    with translate_db_errors(engine):
        return begin_run(engine, insert_run)


def finish_run(engine: Engine, run_id: int, now: datetime, status: str, error: str | None) -> None:
    try:
        with translate_db_errors(engine), engine.begin() as conn:
            conn.execute(
                update(ingest_runs)
                .where(ingest_runs.c.id == run_id)
                .values(
                    finished_at=now,
                    status=status,
                    error=None if error is None else storable(error),
                )
            )
    finally:
        end_run(run_id)


def load_cursor(engine: Engine, source: str, stream: str) -> dict[str, Any] | None:
    with translate_db_errors(engine), engine.connect() as conn:
        position = conn.execute(
            select(source_cursors.c.position).where(
                tuple_(source_cursors.c.source, source_cursors.c.stream)
                == (source, storable(stream))
            )
        ).scalar_one_or_none()
    return position if isinstance(position, dict) else None
