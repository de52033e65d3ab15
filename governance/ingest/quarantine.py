"""The quarantine: held records listed, shown, and retried after a config fix."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from governance.domain.usage import BadRecord, LedgerRules, to_ledger_row
from governance.exceptions import UsageError
from governance.ingest.writer import BatchWriter, Origin, finish_run, start_run
from governance.jsonout import rfc3339
from governance.ledger.errors import translate_db_errors
from governance.ledger.tables import quarantine
from governance.sources.base import Format, Parsed, ReadContext, parse_safely
from governance.sources.containers import decode_json
from governance.sources.formats import get_format

_LISTED = (
    quarantine.c.id,
    quarantine.c.source,
    quarantine.c.format,
    quarantine.c.location,
    quarantine.c.reason,
    quarantine.c.seen_at,
    quarantine.c.status,
)


def list_held(
    engine: Engine, source: str | None = None, everything: bool = False
) -> list[dict[str, Any]]:
    """Held records, newest first (``everything``: released ones too)."""
    query = select(*_LISTED).order_by(quarantine.c.id.desc())
    if not everything:
        query = query.where(quarantine.c.status == "held")
    if source is not None:
        query = query.where(quarantine.c.source == source)
    with translate_db_errors(engine), engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def show(engine: Engine, item_id: int) -> dict[str, Any]:
    with translate_db_errors(engine), engine.connect() as conn:
        row = conn.execute(select(quarantine).where(quarantine.c.id == item_id)).mappings().first()
    if row is None:
        raise UsageError(f"no quarantined record {item_id}")
    return dict(row)


@dataclass
class RetryReport:
    retried: int = 0
    released: int = 0
    held: int = 0


def retry(
    engine: Engine,
    rules: LedgerRules,
    clock: Callable[[], datetime],
    contexts: dict[str, ReadContext],
    item_id: int | None = None,
) -> RetryReport:
    """Parse held records again with today's config; those that now make rows join the ledger.

    ``contexts`` maps source names to their column mappings (for csv/jsonl sources).
    """
    query = select(quarantine).where(quarantine.c.status == "held").order_by(quarantine.c.id)
    if item_id is not None:
        query = query.where(quarantine.c.id == item_id)
    with translate_db_errors(engine), engine.connect() as conn:
        items = [dict(row) for row in conn.execute(query).mappings()]
    if item_id is not None and not items:
        raise UsageError(f"no held quarantined record {item_id}")
    report = RetryReport(retried=len(items))
    by_source: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_source[(item["source"], item["format"])].append(item)
    for (source, format_name), group in by_source.items():
        context = contexts.get(source, ReadContext())
        report.released += _retry_group(engine, rules, clock, source, format_name, group, context)
    report.held = report.retried - report.released
    return report


def _values(raw: str) -> list[Any] | None:
    """The JSON value a held record is, or the values of its lines when it is JSON Lines (a log
    once taken for one document); None when it is neither."""
    try:
        return [decode_json(raw)]
    except ValueError:
        pass
    lines = [line for line in raw.splitlines() if line.strip()]
    try:
        return [decode_json(line) for line in lines] if len(lines) > 1 else None
    except ValueError:
        return None


def _rows_for(
    item: dict[str, Any], fmt: Format, context: ReadContext, rules: LedgerRules, now: datetime
) -> list[dict[str, Any]] | str:
    """The ledger rows a held record makes now, or the reason it still cannot."""
    values = _values(item["raw"])
    if values is None:
        return str(item["reason"])  # not JSON: the record was never decodable
    rows = []
    results = (r for v in values for r in parse_safely(fmt, v, item["location"], context))
    for result in results:
        if not isinstance(result, Parsed):
            return result.reason
        try:
            rows.append(to_ledger_row(result.record, rules, fmt.layer, now))
        except BadRecord as exc:
            return str(exc)
        except Exception as exc:  # as at ingest: one record failing stays held, with the reason
            return f"cannot make a ledger row: {type(exc).__name__}: {exc}".splitlines()[0]
    return rows or str(item["reason"])


def _retry_group(
    engine: Engine,
    rules: LedgerRules,
    clock: Callable[[], datetime],
    source: str,
    format_name: str,
    items: list[dict[str, Any]],
    context: ReadContext,
) -> int:
    try:
        fmt = get_format(format_name)
    except UsageError:
        return 0  # the file's format could not be told: it stays held
    rows: list[dict[str, Any]] = []
    origins: list[Origin] = []  # a row the ledger refuses keeps its record held
    released: list[int] = []
    reasons: dict[int, str] = {}
    for item in items:
        outcome = _rows_for(item, fmt, context, rules, clock())
        if isinstance(outcome, str):
            reasons[item["id"]] = outcome
        else:
            rows += outcome
            origins += [Origin(item["location"], item["raw"], item["id"])] * len(outcome)
            released.append(item["id"])
    run_id = start_run(engine, source, clock())
    counts = BatchWriter(engine, source, fmt.name, fmt.layer, run_id).write(
        rows, [], None, clock(), released, origins
    )
    finish_run(engine, run_id, clock(), "ok", None)
    with translate_db_errors(engine), engine.begin() as conn:
        for item_id, reason in reasons.items():
            conn.execute(update(quarantine).where(quarantine.c.id == item_id).values(reason=reason))
    return len(set(released) - set(counts.kept))


def item_json(item: dict[str, Any]) -> dict[str, Any]:
    """A quarantined record as JSON (times RFC 3339, raw decoded where it is JSON)."""
    out = {k: v for k, v in item.items() if k not in ("fingerprint", "run_id")}
    for key in ("seen_at", "released_at"):
        if isinstance(out.get(key), datetime):
            out[key] = rfc3339(out[key])
    return out
