"""What drives a category's spend: its top models and teams this period, and its latest day's
burn against its daily average. Read from the rollups with budget-spend semantics (billing
replaces the gateway per provider and UTC day, ``governance.domain.attribution``).

Models and teams come from the daily rollup, whose days are UTC days: the UTC day in progress
at ``as_of`` counts whole, as in ``spend_view.spend_by``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import select
from sqlalchemy.engine import Connection

from governance.domain.attribution import Entry, budget_spend
from governance.domain.periods import Period, local_day
from governance.ledger import spend_view
from governance.ledger.tables import rollup_daily

Ranked = list[tuple[str, Decimal]]


@dataclass(frozen=True)
class Burn:
    """A category's spend on its latest local day against the average of the days before."""

    day: date
    spend: Decimal
    average: Decimal | None  # None on the period's first day: nothing to compare with
    complete: bool  # False while the day is still in progress at ``as_of``


@dataclass(frozen=True)
class Drivers:
    top_models: Ranked
    top_teams: Ranked
    burn: Burn | None  # None before the period has begun


def top_spenders(
    conn: Connection, period: Period, as_of: datetime, limit: int = 3
) -> dict[str, tuple[Ranked, Ranked]]:
    """Per category, its ``limit`` costliest models and teams this period (no team: "(none)")."""
    until = min(as_of, period.end)
    first, last = period.start.astimezone(UTC).date(), until.astimezone(UTC).date()
    query = select(
        rollup_daily.c.day,
        rollup_daily.c.provider,
        rollup_daily.c.layer,
        rollup_daily.c.category,
        rollup_daily.c.model,
        rollup_daily.c.team,
        rollup_daily.c.cost,
    ).where(rollup_daily.c.day >= first, rollup_daily.c.day <= last)
    entries = [
        Entry(day, provider, layer, (category, model, team or "(none)"), cost)
        for day, provider, layer, category, model, team, cost in conn.execute(query)
        if period.start <= datetime(day.year, day.month, day.day, tzinfo=UTC) < until
    ]
    models: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    teams: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    # Billing is spread in proportion over the gateway's entries: grouping afterwards is exact.
    for entry in budget_spend(entries):
        category, model, team = cast(tuple[str, str, str], entry.key)
        models[category][model] += entry.cost
        teams[category][team] += entry.cost
    return {
        category: (_ranked(models[category], limit), _ranked(teams[category], limit))
        for category in models
    }


def _ranked(costs: dict[str, Decimal], limit: int) -> Ranked:
    ranked = sorted(costs.items(), key=lambda item: (-item[1], item[0]))
    return [(name, cost) for name, cost in ranked if cost > 0][:limit]


def burns(conn: Connection, period: Period, as_of: datetime) -> dict[str, Burn]:
    """Per category, its latest local day's spend against the average of the earlier days."""
    until = min(as_of, period.end)
    if until <= period.start:
        return {}
    latest = local_day(until - timedelta(microseconds=1), period.timezone)
    complete = until == period.end or local_day(until, period.timezone) != latest
    result = {}
    for category, spend in spend_view.category_spend(conn, period, until).items():
        if not spend.daily:
            continue
        before = spend.daily[:-1]
        average = sum(before, Decimal(0)) / len(before) if before else None
        result[category] = Burn(latest, spend.daily[-1], average, complete)
    return result


def category_drivers(
    conn: Connection, period: Period, as_of: datetime, limit: int = 3
) -> dict[str, Drivers]:
    """Every category's drivers at ``as_of``: top models and teams, and the day's burn."""
    spenders = top_spenders(conn, period, as_of, limit)
    burned = burns(conn, period, as_of)
    return {
        category: Drivers(*spenders.get(category, ([], [])), burned.get(category))
        for category in set(spenders) | set(burned)
    }
