"""An ingest run: files read from their cursors, parsed, priced, categorised and written in
batches, with every record accounted for: read = added + duplicates + quarantined.

Whatever goes wrong with one record (its reader, its row, the database refusing it) quarantines
that record; whatever goes wrong with one file is that file's error. Neither stops the run; only
the database failing does."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from governance.domain.usage import BadRecord, LedgerRules, to_ledger_row
from governance.exceptions import LedgerError
from governance.ingest import files
from governance.ingest.writer import (
    BatchWriter,
    Counts,
    Cursor,
    Origin,
    finish_run,
    load_cursor,
    start_run,
)
from governance.sources.base import Format, Parsed, ReadContext, Rejected, parse_safely, raw_text
from governance.sources.containers import Decoded, Item, container_kind, read_items
from governance.sources.formats import detect_file
from governance.sources.redact import SHAPES, Redactor

DEFAULT_BATCH = 5000
# Input bytes per batch at most (beyond one record): records held for the quarantine keep their
# text, so 5,000 lines of megabytes each must not wait in memory for one write.
BATCH_BYTES = 32 * 1024 * 1024


@dataclass
class FileReport:
    path: str
    format: str | None
    counts: Counts = field(default_factory=Counts)
    error: str | None = None


@dataclass
class RunReport:
    source: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def totals(self) -> Counts:
        total = Counts()
        for report in self.files:
            total += report.counts
        return total


@dataclass
class Ingestor:
    """Reads files of one source into the ledger."""

    engine: Engine
    rules: LedgerRules
    clock: Callable[[], datetime]
    batch_size: int = DEFAULT_BATCH
    redactor: Redactor = SHAPES  # hides the config's secrets in what is quarantined

    def run(
        self,
        source: str,
        paths: Iterable[Path],
        fmt: Format | None = None,
        context: ReadContext | None = None,
    ) -> RunReport:
        report = RunReport(source)
        run_id = start_run(self.engine, source, self.clock())
        status, error = "ok", None
        try:
            for path in paths:
                try:
                    entry = self._file(source, run_id, path, fmt, context or ReadContext())
                except (LedgerError, KeyboardInterrupt, SystemExit, MemoryError):
                    raise  # the database or the process is failing: every file would
                except Exception as exc:  # this file cannot be read: the next ones still are
                    entry = FileReport(str(path), fmt.name if fmt else None)
                    entry.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
                    status, error = "failed", error or f"{path}: {entry.error}"
                report.files.append(entry)
        except BaseException as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            finish_run(self.engine, run_id, self.clock(), status, error)
        return report

    def _file(
        self, source: str, run_id: int, path: Path, fmt: Format | None, context: ReadContext
    ) -> FileReport:
        if not path.is_file():
            return FileReport(str(path), fmt.name if fmt else None, error="no such file")
        cap = context.max_record_bytes
        try:
            fmt, kind = (fmt, container_kind(path, cap)) if fmt else detect_file(path, cap)
        except Exception as exc:  # undetectable: the file is held whole, never dropped
            return self._undetectable(source, run_id, path, str(exc))
        report = FileReport(str(path), fmt.name)
        stream = str(path)
        start = files.start_of(path, kind, load_cursor(self.engine, source, stream))
        if start.unchanged:
            return report
        items = read_items(
            path, kind, start.offset, start.line, fmt.decode_line, cap, start.settled
        )

        def position(item: Decoded | None) -> dict[str, Any]:
            if item is None:
                return files.position(path, kind, start.offset, start.line)
            return files.position(path, kind, item.end, item.line + 1)

        report.counts = self.ingest_stream(source, run_id, fmt, context, stream, items, position)
        return report

    def ingest_stream(
        self,
        source: str,
        run_id: int,
        fmt: Format,
        context: ReadContext,
        stream: str,
        items: Iterable[Decoded],
        position: Callable[[Decoded | None], dict[str, Any]],
    ) -> Counts:
        """Parse and write ``items`` in batches; after each batch the cursor of ``stream`` is
        ``position(last item written)`` (``position(None)`` when there were none)."""
        writer = BatchWriter(self.engine, source, fmt.name, fmt.layer, run_id, self.redactor)
        counts = Counts()
        batch = _Batch(self.rules, fmt.layer, self.clock())
        last: Decoded | None = None
        begun = 0  # where the batch's input began: a batch of long records is written sooner
        for item in items:
            last = item
            if isinstance(item, Item):
                for result in parse_safely(fmt, item.value, item.location, context):
                    batch.admit(result)
            else:
                batch.rejected.append(Rejected(item.location, item.reason, item.raw))
            if batch.size >= self.batch_size or item.end - begun >= BATCH_BYTES:
                counts += batch.write(writer, Cursor(stream, position(item)), self.clock())
                batch = _Batch(self.rules, fmt.layer, self.clock())
                begun = item.end
        counts += batch.write(writer, Cursor(stream, position(last)), self.clock())
        return counts

    def _undetectable(self, source: str, run_id: int, path: Path, reason: str) -> FileReport:
        with path.open("rb") as handle:
            head = handle.read(2000).decode("utf-8", "replace")
        writer = BatchWriter(self.engine, source, "unknown", "gateway", run_id, self.redactor)
        counts = writer.write(
            [], [Rejected(f"{path}:1", reason, raw_text(head))], None, self.clock()
        )
        return FileReport(str(path), None, counts, error=reason)


@dataclass
class _Batch:
    """Rows and rejected records on their way to one write; ``now`` bounds their times."""

    rules: LedgerRules
    layer: str
    now: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.rows) + len(self.rejected)

    def admit(self, result: Parsed | Rejected) -> None:
        if isinstance(result, Rejected):
            self.rejected.append(result)
            return
        try:
            row = to_ledger_row(result.record, self.rules, self.layer, self.now)
        except BadRecord as exc:
            self.rejected.append(Rejected(result.location, str(exc), raw_text(result.value)))
            return
        except Exception as exc:  # pricing or a rule failing on one record: it alone is held
            reason = f"cannot make a ledger row: {type(exc).__name__}: {exc}".splitlines()[0]
            self.rejected.append(Rejected(result.location, reason[:500], raw_text(result.value)))
            return
        self.rows.append(row)
        self.origins.append(Origin(result.location, result.value))

    def write(self, writer: BatchWriter, cursor: Cursor, now: datetime) -> Counts:
        return writer.write(self.rows, self.rejected, cursor, now, origins=self.origins)
