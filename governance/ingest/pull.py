"""`governance pull`: each API or database source read once, through the ingestor.

Sources are independent: one that fails (its API down, its key revoked) is reported with the
reason and the others are still pulled. A failed pull commits no cursor beyond what its
completed batches carried, so the next pull asks again for what this one missed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from governance.config import SourceConfig
from governance.context import Governance
from governance.domain.formats import PULLED_FORMATS
from governance.exceptions import GovernanceError, UsageError
from governance.ingest.runner import DEFAULT_BATCH, FileReport, Ingestor, RunReport
from governance.ingest.service import ingestor, report_document
from governance.ingest.writer import Counts, finish_run, load_cursor, start_run
from governance.ledger.engine import display_url
from governance.sources.base import ReadContext
from governance.sources.formats import get_format
from governance.sources.pullers import PULLERS, PullContext, Puller


def pulled_sources(app: Governance, source_name: str | None = None) -> list[SourceConfig]:
    """The configured sources that are pulled (a pulled format and a url), or just the named one."""
    if source_name is None:
        return [s for s in app.config.sources if s.format in PULLED_FORMATS and s.url]
    source = app.source(source_name)
    if source.format not in PULLED_FORMATS or source.url is None:
        raise UsageError(
            f"source {source_name!r} is not pulled ({source.format} from"
            f" {source.path or source.url}): use `governance ingest --source {source_name}`"
        )
    return [source]


def pull(
    app: Governance,
    source_name: str | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    batch_size: int = DEFAULT_BATCH,
) -> list[RunReport]:
    """Pull each source once; a source that fails has its reason in its report's ``error``."""
    runner = ingestor(app, batch_size)
    return [pull_source(app, runner, source, sleep) for source in pulled_sources(app, source_name)]


def pull_source(
    app: Governance, ingestor: Ingestor, source: SourceConfig, sleep: Callable[[float], None]
) -> RunReport:
    """One source into the ledger: its report, with the error if it failed."""
    entry = FileReport(_shown(source), source.format)
    try:
        context = PullContext(
            source, app.environ, app.clock(), app.period().start, ingestor.batch_size, sleep
        )
        puller = PULLERS[source.format](context)
        entry.path = puller.stream
        entry.counts = _run(app, ingestor, source, puller)
    except GovernanceError as exc:
        entry.error = str(exc)
    return RunReport(source.name, [entry])


def _run(app: Governance, ingestor: Ingestor, source: SourceConfig, puller: Puller) -> Counts:
    cursor = load_cursor(app.engine, source.name, puller.stream)
    run_id = start_run(app.engine, source.name, app.clock())
    status, error = "ok", None
    items = puller.items(cursor)
    try:
        return ingestor.ingest_stream(
            source.name,
            run_id,
            get_format(source.format),
            ReadContext.of(source),
            puller.stream,
            items,
            puller.position,
        )
    except BaseException as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        items.close()  # a database puller releases its connections
        finish_run(app.engine, run_id, app.clock(), status, error)


def _shown(source: SourceConfig) -> str:
    """The source's url as it may be printed: a database password hidden."""
    if source.format != "litellm-db":
        return source.url or ""
    try:
        return display_url(source.url or "")
    except UsageError:
        return "(not a database url)"


def pull_document(reports: list[RunReport], currency: str) -> dict[str, Any]:
    """The `ingest --json` document, each entry also naming its source."""
    document = report_document(reports, currency)
    document["files"] = [
        {"source": report.source, **entry}
        for report, entry in zip(reports, document["files"], strict=True)
    ]
    return document


def failures(reports: list[RunReport]) -> list[str]:
    """``source: reason`` for each source that failed, one line each."""
    return [f"{r.source}: {f.error}" for r in reports for f in r.files if f.error]
