"""Budget spend of a period, read from the rollups (never a ledger scan), billing replacing the
gateway's figures per provider and UTC day (``governance.domain.attribution``).

Times are hour-grained: the rollups' hours before ``as_of``'s hour, plus that hour's rows
before ``as_of`` from the ledger (a bounded, indexed read), so a past moment replays exactly.
A period edge that is not on the hour (time zones at :30 or :45) counts whole hours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Literal, cast

from sqlalchemy import BigInteger, Date, func, select, type_coerce
from sqlalchemy.engine import Connection

from governance.domain.attribution import Entry, budget_spend
from governance.domain.money import from_nanos
from governance.domain.periods import Period, local_day
from governance.ledger.tables import ledger, rollup_daily, rollup_hourly
from governance.ledger.types import Money, utc_hour

Dimension = Literal["tier", "category", "model", "team", "provider", "day"]
DIMENSIONS: Final[tuple[str, ...]] = ("tier", "category", "model", "team", "provider", "day")


@dataclass
class CategorySpend:
    """A category's budget spend in the period so far, and per local day (day 1 first)."""

    total: Decimal = Decimal(0)
    daily: list[Decimal] = field(default_factory=list)
    requests: int = 0


def _hourly_entries(conn: Connection, period: Period, until: datetime) -> list[Entry]:
    """Entries keyed (local day index, category) from the start of the period's first UTC day
    (so that a bill's day is weighed against all its traffic) to ``until``. Hours before the
    period get index -1. Rows are summed as integers before any object is made: a month has
    thousands of rollup hours."""
    whole = utc_hour(until)
    since = _day_start(period.start)
    first_day = local_day(period.start, period.timezone)
    start_hour = utc_hour(period.start)
    places: dict[datetime, tuple[date, int]] = {}

    def place(hour: datetime) -> tuple[date, int]:
        found = places.get(hour)
        if found is None:
            index = -1 if hour < start_hour else (local_day(hour, period.timezone) - first_day).days
            found = places[hour] = (hour.date(), index)
        return found

    # Per key: nano-units, requests, input tokens, output tokens.
    sums: dict[tuple[date, str, str, int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    # The rollup holds ``until``'s hour whole; when no row of that hour is at or after
    # ``until`` (always, evaluating "now"), it is exact, and the ledger is not read at all:
    # that hour's rows grow with the traffic.
    later = select(ledger.c.id).where(
        ledger.c.occurred_at >= until, ledger.c.occurred_at < whole + timedelta(hours=1)
    )
    if until > whole and conn.execute(later.limit(1)).first() is None:
        whole += timedelta(hours=1)
    # Costs are summed as raw nano-units: the column's Money type would make a Decimal each.
    raw = select(
        rollup_hourly.c.hour,
        rollup_hourly.c.provider,
        rollup_hourly.c.layer,
        rollup_hourly.c.category,
        type_coerce(rollup_hourly.c.cost, BigInteger),
        rollup_hourly.c.requests,
        rollup_hourly.c.input_tokens,
        rollup_hourly.c.output_tokens,
    ).where(rollup_hourly.c.hour >= since, rollup_hourly.c.hour < whole)
    for hour, provider, layer, category, *counts in conn.execute(raw):
        day, index = place(hour)
        total = sums[(day, provider, layer, index, category)]
        for i, count in enumerate(counts):
            total[i] += count
    partial = (
        select(
            ledger.c.provider,
            ledger.c.layer,
            ledger.c.category,
            func.sum(type_coerce(ledger.c.cost, BigInteger)),
            func.sum(ledger.c.requests),
            func.sum(ledger.c.input_tokens),
            func.sum(ledger.c.output_tokens),
        )
        .where(ledger.c.occurred_at >= max(whole, since), ledger.c.occurred_at < until)
        .group_by(ledger.c.provider, ledger.c.layer, ledger.c.category)
    )
    if whole < until:
        day, index = place(whole)
        for provider, layer, category, *counts in conn.execute(partial):
            total = sums[(day, provider, layer, index, category)]
            for i, count in enumerate(counts):
                total[i] += int(count)
    return [
        Entry(day, provider, layer, (index, category), from_nanos(nanos), *counts)
        for (day, provider, layer, index, category), (nanos, *counts) in sums.items()
    ]


def _day_start(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _elapsed_local_days(period: Period, until: datetime) -> int:
    """Local days of the period begun before ``until`` (today included)."""
    if until <= period.start:
        return 0
    last = local_day(until - timedelta(microseconds=1), period.timezone)
    return (last - local_day(period.start, period.timezone)).days + 1


def _index_and_category(entry: Entry) -> tuple[int, str]:
    return cast(tuple[int, str], entry.key)


def category_spend(conn: Connection, period: Period, as_of: datetime) -> dict[str, CategorySpend]:
    """Each category's budget spend in ``[period.start, as_of)``, in total and per local day."""
    until = min(as_of, period.end)
    days = _elapsed_local_days(period, until)
    result: dict[str, CategorySpend] = defaultdict(lambda: CategorySpend(daily=[Decimal(0)] * days))
    for entry in budget_spend(_hourly_entries(conn, period, until)):
        index, category = _index_and_category(entry)
        if index < 0:
            continue
        spend = result[category]
        spend.total += entry.cost
        spend.requests += entry.requests
        if index < days:
            spend.daily[index] += entry.cost
    return dict(result)


@dataclass(frozen=True)
class SpendRow:
    key: str | None
    cost: Decimal
    requests: int
    input_tokens: int
    output_tokens: int


def spend_by(conn: Connection, by: Dimension, period: Period, as_of: datetime) -> list[SpendRow]:
    """Budget spend grouped by one dimension, by cost descending. ``category`` and ``day`` (local
    days) follow the hourly view; tier, model, team and provider the daily rollup's UTC days."""
    if by in ("category", "day"):
        return _from_hourly(conn, by, period, as_of)
    until = min(as_of, period.end)
    query = select(rollup_daily).where(
        rollup_daily.c.day >= period.start.astimezone(UTC).date(),
        rollup_daily.c.day < until.astimezone(UTC).date() + timedelta(days=1),
    )
    entries = [
        Entry(
            r.day,
            r.provider,
            r.layer,
            getattr(r, by) or None,
            r.cost,
            int(r.requests),
            int(r.input_tokens),
            int(r.output_tokens),
        )
        for r in conn.execute(query)
        if _day_in(r.day, period, until)
    ]
    return _rows(budget_spend(entries))


def _day_in(day: date, period: Period, until: datetime) -> bool:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return period.start <= start < until


def _from_hourly(
    conn: Connection, by: Dimension, period: Period, as_of: datetime
) -> list[SpendRow]:
    until = min(as_of, period.end)
    first_day = local_day(period.start, period.timezone)
    entries: list[Entry] = []
    for entry in budget_spend(_hourly_entries(conn, period, until)):
        index, category = _index_and_category(entry)
        if index < 0:
            continue
        key = category if by == "category" else (first_day + timedelta(days=index)).isoformat()
        entries.append(replace(entry, key=key))
    return _rows(entries)


def _rows(entries: list[Entry]) -> list[SpendRow]:
    grouped: dict[Any, list[Any]] = defaultdict(lambda: [Decimal(0), 0, 0, 0])
    for e in entries:
        sums = grouped[e.key]
        sums[0] += e.cost
        sums[1] += e.requests
        sums[2] += e.input_tokens
        sums[3] += e.output_tokens
    rows = [SpendRow(key, *sums) for key, sums in grouped.items()]
    return sorted(rows, key=lambda r: (-r.cost, r.key or ""))


def history(conn: Connection, before: datetime, days: int) -> dict[str, list[Decimal]]:
    """Each category's budget spend on each of the ``days`` UTC days before ``before``
    (oldest first): the recent past the forecast reads its rhythm and trend from."""
    end = _day_start(before)
    start = end - timedelta(days=days)
    day = (
        func.date(rollup_hourly.c.hour)
        if conn.dialect.name == "sqlite"
        else func.cast(rollup_hourly.c.hour, Date)
    )
    query = (
        select(
            day,
            rollup_hourly.c.provider,
            rollup_hourly.c.layer,
            rollup_hourly.c.category,
            func.sum(rollup_hourly.c.cost, type_=Money()),
        )
        .where(rollup_hourly.c.hour >= start, rollup_hourly.c.hour < end)
        .group_by(day, rollup_hourly.c.provider, rollup_hourly.c.layer, rollup_hourly.c.category)
    )
    entries = [
        Entry(_as_date(d), provider, layer, category, cost)
        for d, provider, layer, category, cost in conn.execute(query)
    ]
    first = start.date()
    result: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * days)
    for entry in budget_spend(entries):
        result[str(entry.key)][(entry.day - first).days] += entry.cost
    return dict(result)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
