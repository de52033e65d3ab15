"""What the spend page shows: a period's budget spend per UTC day, provider, category, tier,
model and team, as one DataFrame that the page filters and groups.

Read from the daily rollup (never the ledger) with the budget-spend rule of
``governance.domain.attribution``: per provider and UTC day, the bill replaces the gateway's
figures, spread over that day's gateway entries in proportion to cost. The entries are keyed by
the finest detail the rollup has, so that a filter (say, one team) applies *after* the spread
and the filtered totals are that team's share of the bill. As in ``spend_view.spend_by``, the
UTC day in progress at ``as_of`` counts whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Final, cast

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from governance.domain.attribution import Entry, budget_spend
from governance.domain.periods import Period, local_day
from governance.ledger.tables import rollup_daily, rollup_hourly

NO_TEAM: Final = "(none)"  # as the alerts' drivers name a row without a team
DIMENSIONS: Final = ("tier", "category", "model", "team", "provider")
KEYS: Final = ("day", "provider", "category", "tier", "model", "team")  # the entries' order
SUMS: Final = ("cost", "requests", "input_tokens", "output_tokens")
COLUMNS: Final = (*KEYS, *SUMS)


def spend_frame(conn: Connection, period: Period, as_of: datetime) -> pd.DataFrame:
    """One row per (UTC day, provider, category, tier, model, team) of budget spend in
    ``period`` up to ``as_of``; ``cost`` holds exact Decimals, the other sums ints."""
    until = min(as_of, period.end)
    r = rollup_daily.c
    query = select(
        r.day, r.provider, r.layer, r.category, r.tier, r.model, r.team,
        r.cost, r.requests, r.input_tokens, r.output_tokens,
    ).where(
        r.day >= period.start.astimezone(UTC).date(),
        r.day < until.astimezone(UTC).date() + timedelta(days=1),
    )  # fmt: skip
    entries = [
        Entry(day, provider, layer, (category, tier, model, team or NO_TEAM), cost,
              int(requests), int(input_tokens), int(output_tokens))
        for day, provider, layer, category, tier, model, team, cost, requests, input_tokens,
        output_tokens in conn.execute(query)
        if period.start <= datetime(day.year, day.month, day.day, tzinfo=UTC) < until
    ]  # fmt: skip
    records = [
        (e.day, e.provider, *cast(tuple[str, str, str, str], e.key), e.cost, e.requests,
         e.input_tokens, e.output_tokens)
        for e in budget_spend(entries)
    ]  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    return frame.astype({"requests": "int64", "input_tokens": "int64", "output_tokens": "int64"})


def periods_with_data(conn: Connection, timezone: str) -> list[str]:
    """The labels of the periods (in ``timezone``) that the hourly rollup has rows in, newest
    first. Hours, not days: a UTC day straddles two local months wherever the zone is not UTC.
    An hour that still straddles two (a zone at a half-hour offset) counts for both."""
    hours = conn.execute(select(rollup_hourly.c.hour).where(rollup_hourly.c.rows > 0).distinct())
    labels: set[str] = set()
    for (hour,) in hours:
        start = hour.astimezone(UTC)
        for instant in (start, start + timedelta(hours=1, microseconds=-1)):
            labels.add(_label(local_day(instant, timezone)))
    return sorted(labels, reverse=True)


def _label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def select_rows(frame: pd.DataFrame, filters: Mapping[str, Sequence[str] | None]) -> pd.DataFrame:
    """The rows whose value in each filtered column is one of those chosen (an empty or None
    choice filters nothing)."""
    keep = pd.Series(True, index=frame.index)
    for column, chosen in filters.items():
        if chosen:
            keep &= frame[column].isin(list(chosen))
    return frame[keep]


def totals(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Spend and usage per value of ``by``, by cost descending then name (as ``governance
    spend --by`` orders its rows)."""
    grouped = frame.groupby(by, as_index=False)[list(SUMS)].sum()
    grouped["_cost"] = grouped["cost"].astype(float)
    ordered = grouped.sort_values(["_cost", by], ascending=[False, True], kind="stable")
    return ordered.drop(columns="_cost").reset_index(drop=True)


def per_day(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Spend per UTC day and value of ``by``."""
    return frame.groupby(["day", by], as_index=False)[["cost"]].sum()
