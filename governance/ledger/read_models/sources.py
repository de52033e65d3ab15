"""What the Data page shows: whether each source is being read (its runs, last success, lag
and staleness, judged as ``/healthz`` judges it), what could not be read (the quarantine, a
page at a time, filtered in SQL), and which models have no price (from the daily rollup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from governance.config import Config
from governance.domain.staleness import SourceActivity, stale_sources
from governance.ledger.tables import ingest_runs, quarantine, rollup_daily

QUARANTINE_PAGE: Final = 50


@dataclass(frozen=True)
class SourceRow:
    name: str
    every: timedelta | None  # None: not a [[sources]] entry (read by `governance ingest`)
    last_success: datetime | None
    lag: timedelta | None  # now - last_success
    stale: bool
    last_status: str | None  # the latest run's: running | ok | failed (None: never ran)
    last_error: str | None  # the latest run's error, when it failed
    runs: int
    read: int
    added: int
    duplicates: int
    quarantined: int


def source_activity(conn: Connection) -> dict[str, SourceActivity]:
    """Per source name that has ever run, its ``SourceActivity``: one grouped query."""
    runs = ingest_runs.c
    ok = and_(runs.status == "ok", runs.finished_at.is_not(None))
    query = select(
        runs.source,
        func.min(runs.started_at),
        func.max(case((ok, runs.finished_at))),
        func.max(case((and_(ok, runs.read > 0), runs.finished_at))),
    ).group_by(runs.source)
    return {
        source: SourceActivity(first, success, data)
        for source, first, success, data in conn.execute(query)
    }


def read_sources(conn: Connection, config: Config, now: datetime) -> list[SourceRow]:
    """Every source that has run or is configured, configured ones first in config order."""
    activity = source_activity(conn)
    stale = set(stale_sources(config.source_intervals(), activity, now))
    r = ingest_runs.c
    totals = {
        row.source: row
        for row in conn.execute(
            select(
                r.source, func.count().label("runs"), func.max(r.id).label("latest"),
                func.sum(r.read).label("read"), func.sum(r.added).label("added"),
                func.sum(r.duplicates).label("duplicates"),
                func.sum(r.quarantined).label("quarantined"),
            ).group_by(r.source)
        )
    }  # fmt: skip
    latest = {
        row.source: row
        for row in conn.execute(
            select(r.source, r.status, r.error).where(r.id.in_([t.latest for t in totals.values()]))
        )
    }
    every = {source.name: source.every for source in config.sources}
    names = [*every, *sorted(set(totals) - set(every))]
    rows = []
    for name in names:
        success = activity[name].last_success if name in activity else None
        total, last = totals.get(name), latest.get(name)
        rows.append(
            SourceRow(
                name, every.get(name), success, None if success is None else now - success,
                name in stale, last.status if last else None,
                last.error if last is not None and last.status == "failed" else None,
                total.runs if total else 0, int(total.read or 0) if total else 0,
                int(total.added or 0) if total else 0, int(total.duplicates or 0) if total else 0,
                int(total.quarantined or 0) if total else 0,
            )
        )  # fmt: skip
    return rows


@dataclass(frozen=True)
class Held:
    id: int
    source: str
    location: str
    reason: str
    seen_at: datetime


@dataclass(frozen=True)
class QuarantinePage:
    items: list[Held]  # newest first
    total: int  # how many held records match the filter
    sources: list[str]  # every source with held records, for the filter


def read_quarantine(
    conn: Connection,
    source: str | None = None,
    reason: str | None = None,
    limit: int = QUARANTINE_PAGE,
    offset: int = 0,
) -> QuarantinePage:
    """The held records of ``source`` whose reason contains ``reason`` (any case), newest
    first, ``limit`` from ``offset``: the quarantine can be large, the page never reads it all."""
    q = quarantine.c
    where = [q.status == "held"]
    if source:
        where.append(q.source == source)
    if reason and reason.strip():
        pattern = reason.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(q.reason.ilike(f"%{pattern}%", escape="\\"))
    query = select(q.id, q.source, q.location, q.reason, q.seen_at).where(*where)
    items = [
        Held(row.id, row.source, row.location, row.reason, row.seen_at)
        for row in conn.execute(
            query.order_by(q.seen_at.desc(), q.id.desc()).limit(limit).offset(offset)
        )
    ]
    total = conn.execute(select(func.count()).select_from(quarantine).where(*where)).scalar()
    sources = conn.execute(
        select(q.source).where(q.status == "held").distinct().order_by(q.source)
    ).scalars()
    return QuarantinePage(items, int(total or 0), list(sources))


@dataclass(frozen=True)
class Unpriced:
    provider: str
    model: str
    unpriced: int  # ledger rows without a price
    requests: int  # all requests of the model
    first_day: date  # UTC days with unpriced rows
    last_day: date


def read_unpriced(conn: Connection) -> list[Unpriced]:
    """The models with unpriced rows, most first: their cost is missing from every total until
    a ``[prices]`` entry and ``governance reprice`` price them."""
    d = rollup_daily.c
    query = (
        select(d.provider, d.model, func.sum(d.unpriced), func.min(d.day), func.max(d.day))
        .where(d.unpriced > 0)
        .group_by(d.provider, d.model)
    )
    found = {
        (provider, model): (int(count), first, last)
        for provider, model, count, first, last in conn.execute(query)
    }
    if not found:
        return []
    requests = {
        (provider, model): int(total)
        for provider, model, total in conn.execute(
            select(d.provider, d.model, func.sum(d.requests))
            .where(d.model.in_({model for _, model in found}))
            .group_by(d.provider, d.model)
        )
    }
    rows = [
        Unpriced(provider, model, count, requests.get((provider, model), 0), first, last)
        for (provider, model), (count, first, last) in found.items()
    ]
    return sorted(rows, key=lambda u: (-u.unpriced, u.model))
