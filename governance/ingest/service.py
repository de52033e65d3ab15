"""`governance ingest`: which source and format each path belongs to, and the run's report."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from governance.config.secrets import named_secrets
from governance.context import Governance
from governance.domain.money import money_str
from governance.domain.usage import LedgerRules
from governance.exceptions import UsageError
from governance.ingest.files import expand
from governance.ingest.runner import DEFAULT_BATCH, Ingestor, RunReport
from governance.ingest.writer import Counts
from governance.services.pricing import Pricer
from governance.sources.base import Format, ReadContext
from governance.sources.formats import detect_file, get_format
from governance.sources.redact import Redactor


def ledger_rules(app: Governance) -> LedgerRules:
    """What turns a source's record into a ledger row, from the config."""
    budget = app.config.budget
    return LedgerRules(
        tiers=app.config.tier_map(),
        rules=app.config.category_rules(),
        currency=budget.currency,
        fx=dict(app.config.fx),
        price=Pricer(app.config.prices, budget.currency),
    )


def ingestor(app: Governance, batch_size: int = DEFAULT_BATCH) -> Ingestor:
    """The ingestor of ``app``'s ledger: its rules, its clock, its secrets kept out."""
    redactor = Redactor(named_secrets(app.config, app.environ))
    return Ingestor(app.engine, ledger_rules(app), app.clock, batch_size, redactor)


def ingest(
    app: Governance,
    paths: list[str],
    format_name: str | None = None,
    source_name: str | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> list[RunReport]:
    """Read ``paths`` into the ledger. Without ``source_name`` rows belong to the source named
    after their format; without ``format_name`` each file's format is told from its content."""
    runner = ingestor(app, batch_size)
    if source_name is not None:
        source = app.source(source_name)
        if not paths and source.path is None:
            raise UsageError(f"source {source_name!r} reads an API: use `governance pull`")
        context = ReadContext.of(source)
        files = _named(paths) if paths else expand([str(source.path)])
        return [runner.run(source.name, files, get_format(format_name or source.format), context)]
    if not paths:
        raise UsageError("name the files to ingest, or a configured --source")
    groups: dict[str, tuple[Format | None, list[Path]]] = defaultdict(lambda: (None, []))
    for path in _named(paths):
        fmt = _format_of(path, format_name)
        name = fmt.name if fmt else "unknown"
        groups[name] = (fmt, [*groups[name][1], path])
    return [runner.run(name, files, fmt) for name, (fmt, files) in groups.items()]


def _named(paths: list[str]) -> list[Path]:
    """The files the user named; UsageError, before anything is read or a run recorded, when
    a path does not exist (a glob that matches nothing is no error)."""
    files = expand(paths)
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    return files


def _format_of(path: Path, format_name: str | None) -> Format | None:
    if format_name is not None:
        return get_format(format_name)
    try:
        return detect_file(path)[0] if path.is_file() else None
    except UsageError:
        return None  # the runner quarantines the file and says why


def _counts_json(counts: Counts) -> dict[str, Any]:
    return {
        "read": counts.read,
        "added": counts.added,
        "duplicates": counts.duplicates,
        "quarantined": counts.quarantined,
        "cost": money_str(counts.cost),
        "unpriced": counts.unpriced,
    }


def report_document(reports: list[RunReport], currency: str) -> dict[str, Any]:
    """The `ingest --json` document of DESIGN section 9."""
    total = Counts()
    files = []
    for report in reports:
        total += report.totals
        for file in report.files:
            entry = {"path": file.path, "format": file.format, **_counts_json(file.counts)}
            if file.error:
                entry["error"] = file.error
            files.append(entry)
    return {**_counts_json(total), "currency": currency, "files": files}
