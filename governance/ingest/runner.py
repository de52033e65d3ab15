"""An ingest run: files read from their cursors, parsed, priced, categorised and written in
batches, with every record accounted for: read = added + duplicates + quarantined."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from governance.domain.usage import BadRecord, LedgerRules, to_ledger_row
from governance.ingest import files
from governance.ingest.writer import (
    BatchWriter,
    Counts,
    Cursor,
    finish_run,
    load_cursor,
    start_run,
)
from governance.sources.base import Format, Parsed, ReadContext, Rejected, parse_safely, raw_text
from governance.sources.containers import Decoded, Item, container_kind, read_items
from governance.sources.formats import detect_file

DEFAULT_BATCH = 5000


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
                report.files.append(self._file(source, run_id, path, fmt, context or ReadContext()))
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
        try:
            fmt, kind = (fmt, container_kind(path)) if fmt else detect_file(path)
        except Exception as exc:  # undetectable: the file is held whole, never dropped
            return self._undetectable(source, run_id, path, str(exc))
        report = FileReport(str(path), fmt.name)
        stream = str(path)
        start = files.start_of(path, kind, load_cursor(self.engine, source, stream))
        if start.unchanged:
            return report
        items = read_items(path, kind, start.offset, start.line, fmt.decode_line)

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
        writer = BatchWriter(self.engine, source, fmt.name, fmt.layer, run_id)
        counts = Counts()
        rows: list[dict[str, Any]] = []
        rejected: list[Rejected] = []
        last: Decoded | None = None
        for item in items:
            last = item
            if isinstance(item, Item):
                for result in parse_safely(fmt, item.value, item.location, context):
                    self._admit(result, fmt.layer, rows, rejected)
            else:
                rejected.append(Rejected(item.location, item.reason, item.raw))
            if len(rows) + len(rejected) >= self.batch_size:
                counts += writer.write(rows, rejected, Cursor(stream, position(item)), self.clock())
                rows, rejected = [], []
        counts += writer.write(rows, rejected, Cursor(stream, position(last)), self.clock())
        return counts

    def _admit(
        self,
        result: Parsed | Rejected,
        layer: str,
        rows: list[dict[str, Any]],
        rejected: list[Rejected],
    ) -> None:
        if isinstance(result, Rejected):
            rejected.append(result)
            return
        try:
            rows.append(to_ledger_row(result.record, self.rules, layer))
        except BadRecord as exc:
            rejected.append(Rejected(result.location, str(exc), raw_text(result.value)))

    def _undetectable(self, source: str, run_id: int, path: Path, reason: str) -> FileReport:
        with path.open("rb") as handle:
            head = handle.read(2000).decode("utf-8", "replace")
        writer = BatchWriter(self.engine, source, "unknown", "gateway", run_id)
        counts = writer.write(
            [], [Rejected(f"{path}:1", reason, raw_text(head))], None, self.clock()
        )
        return FileReport(str(path), None, counts, error=reason)
