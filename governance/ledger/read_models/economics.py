"""What the Economics page shows: the period's requests and budget spend per category and tier
(for the tier mix and the cost at the recommended mix), each downgrade directive's estimated
savings, and the top model's monthly cost (to prefill the fine-tuning payback calculator).

Read through ``spend_frame`` (the daily rollup, bills spread over the gateway's detail), so
the costs are those of the Spend page; the arithmetic is ``governance.domain.economics``.
Spend without request counts (a bill for traffic the gateway never saw) counts in the cost
mix but cannot be re-weighted by requests: it is kept apart as ``uncounted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from governance.domain.economics import (
    MixCost,
    Savings,
    Usage,
    cost_at_mix,
    directive_savings,
    recommended_weights,
    run_rate,
    tier_averages,
)
from governance.domain.periods import Period
from governance.ledger import evaluations
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models.freshness import Freshness, read_freshness
from governance.ledger.read_models.spend import spend_frame

Tiers = dict[str, Usage]


@dataclass(frozen=True)
class DirectiveEffect:
    id: str
    category: str
    from_tier: str
    to_tier: str
    effective_from: datetime
    ended_at: datetime | None
    days_after: int  # UTC days counted after the day it took effect (today's so far)
    savings: Savings


@dataclass(frozen=True)
class TopModel:
    model: str
    spend: Decimal  # budget spend in the period so far
    monthly: Decimal  # that pace over the whole period


@dataclass(frozen=True)
class Economics:
    period: Period
    as_of: datetime
    usage: dict[str, Tiers]  # category -> tier -> requests and their budget spend
    uncounted: dict[str, dict[str, Decimal]]  # category -> tier -> spend without requests
    directives: list[DirectiveEffect]
    top_model: TopModel | None
    freshness: Freshness

    def requests_by_tier(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for tiers in self.usage.values():
            for tier, used in tiers.items():
                totals[tier] = totals.get(tier, 0) + used.requests
        return totals

    def cost_by_tier(self) -> dict[str, Decimal]:
        """All budget spend per tier, spend without request counts included."""
        totals: dict[str, Decimal] = {}
        for tiers in self.usage.values():
            for tier, used in tiers.items():
                totals[tier] = totals.get(tier, Decimal(0)) + used.cost
        for spent in self.uncounted.values():
            for tier, cost in spent.items():
                totals[tier] = totals.get(tier, Decimal(0)) + cost
        return totals

    def at_mix(self) -> dict[str, MixCost]:
        """Per category, its cost and its cost at the recommended mix."""
        weights, fallback = recommended_weights(), tier_averages(self.usage.values())
        names = sorted({*self.usage, *self.uncounted})
        return {
            name: cost_at_mix(
                self.usage.get(name, {}),
                weights,
                fallback,
                sum(self.uncounted.get(name, {}).values(), Decimal(0)),
            )
            for name in names
        }


def read_economics(engine: Engine, period: Period, now: datetime) -> Economics:
    """The economics of ``period`` up to ``now``."""
    as_of = min(now, period.end)
    with translate_db_errors(engine), engine.connect() as conn:
        frame = spend_frame(conn, period, as_of)
        rows = evaluations.all_rows(conn, period.label)
        freshness = read_freshness(conn)
    counted, uncounted = frame[frame["requests"] > 0], frame[frame["requests"] == 0]
    usage = {str(name): _usage(group) for name, group in counted.groupby("category")}
    spent = {
        str(name): {str(t): cost for t, cost in group.groupby("tier")["cost"].sum().items()}
        for name, group in uncounted.groupby("category")
    }
    effects = [_effect(row, counted, as_of) for row in rows]
    return Economics(
        period, as_of, usage, spent, effects, _top_model(frame, period, as_of), freshness
    )


def _usage(frame: pd.DataFrame) -> Tiers:
    sums = frame.groupby("tier")[["requests", "cost"]].sum()
    return {str(tier): Usage(int(row.requests), row.cost) for tier, row in sums.iterrows()}


def _effect(row: Any, counted: pd.DataFrame, as_of: datetime) -> DirectiveEffect:
    """A directive's savings from whole UTC days: the period's days before the day it took
    effect against the days after that day, until the day it ended (or today, so far)."""
    first = _utc_day(row.effective_from)
    last = _utc_day(row.ended_at) - timedelta(days=1) if row.ended_at else _utc_day(as_of)
    own = counted[counted["category"] == row.category]
    days = own["day"]
    after = own[(days > first) & (days <= last)]
    savings = directive_savings(
        _usage(own[days < first]), _usage(after), row.from_tier, row.to_tier
    )
    return DirectiveEffect(
        row.id, row.category, row.from_tier, row.to_tier, row.effective_from, row.ended_at,
        max(0, (last - first).days), savings,
    )  # fmt: skip


def _utc_day(instant: datetime) -> date:
    return instant.astimezone(UTC).date()


def _top_model(frame: pd.DataFrame, period: Period, as_of: datetime) -> TopModel | None:
    if frame.empty:
        return None
    costs = frame.groupby("model")["cost"].sum()
    model, spend = max(costs.items(), key=lambda item: (item[1], str(item[0])))
    monthly = run_rate(spend, as_of - period.start, period.end - period.start)
    return TopModel(str(model), spend, monthly)
