"""What the overview page shows: per category, the numbers of ``governance status`` (read
through ``status_document``, so the page and the CLI never disagree), its spend per local day
for the burn chart, the directives in force with their reasons, and what drives its spend;
and each category's state, the worse of the levels its spend and its forecast have reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from governance.config import Config
from governance.domain.budget import percent_used
from governance.domain.periods import Period
from governance.domain.thresholds import FORECAST_MIN_DAYS, Basis, reaches
from governance.ledger import evaluations, spend_view
from governance.ledger.drivers import Ranked, top_spenders
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models.freshness import Freshness, read_freshness
from governance.services.reports import status_document


@dataclass(frozen=True)
class DirectiveView:
    id: str
    from_tier: str
    to_tier: str
    reason: str
    effective_from: datetime
    substitutes: dict[str, str]
    until: datetime  # when it ended (lifted, revoked) or ends (its period's end)


@dataclass(frozen=True)
class CategoryView:
    name: str
    allocation: Decimal
    spend: Decimal
    percent: Decimal | None  # None for a share of 0: no percentage, never "over"
    forecast: Decimal
    forecast_low: Decimal
    forecast_high: Decimal
    daily: list[Decimal]  # spend per local day of the period so far (today in progress)
    crossed: list[dict[str, Any]]  # {"level", "basis", "at"} as in the status document
    directives: list[DirectiveView]
    top_models: Ranked
    top_teams: Ranked

    @property
    def over(self) -> bool:
        return self.percent is not None and self.percent >= 100

    @property
    def forecast_over(self) -> bool:
        return self.allocation > 0 and self.forecast > self.allocation

    @property
    def forecast_percent(self) -> Decimal | None:
        return percent_used(self.forecast, self.allocation)

    def level(self, basis: Basis, levels: tuple[int, ...]) -> int | None:
        """The highest of ``levels`` that spend (or the forecast) has reached, as a crossing
        counts it; None below them all or with no allocation."""
        value = self.spend if basis == "actual" else self.forecast
        return max((x for x in levels if reaches(value, self.allocation, x)), default=None)


@dataclass(frozen=True)
class Overview:
    period: Period
    as_of: datetime
    currency: str
    budget: Decimal
    thresholds: tuple[int, ...]
    categories: list[CategoryView]
    freshness: Freshness

    @property
    def spend(self) -> Decimal:
        return sum((c.spend for c in self.categories), Decimal(0))

    @property
    def forecast(self) -> Decimal:
        return sum((c.forecast for c in self.categories), Decimal(0))

    @property
    def ended(self) -> bool:
        return self.as_of >= self.period.end

    @property
    def forecast_crossings_from(self) -> int | None:
        """The day of the period from which a forecast can cross a level (DESIGN 6: after
        ``FORECAST_MIN_DAYS`` elapsed days); None once it can."""
        if self.period.elapsed_days(self.as_of) >= FORECAST_MIN_DAYS:
            return None
        return math.floor(FORECAST_MIN_DAYS) + 1

    def state(self, category: CategoryView) -> tuple[int | None, Basis]:
        """The category's state: the worse of the levels reached by its spend and by its
        forecast, and which of the two it is (spend when they tie)."""
        actual = category.level("actual", self.thresholds)
        forecast = category.level("forecast", self.thresholds)
        if forecast is not None and (actual is None or forecast > actual):
            return forecast, "forecast"
        return actual, "actual"


def read_overview(config: Config, engine: Engine, period: Period, now: datetime) -> Overview:
    """The overview of ``period`` at ``now``."""
    status = status_document(config, engine, period, now)
    as_of = min(now, period.end)
    with translate_db_errors(engine), engine.connect() as conn:
        daily = spend_view.category_spend(conn, period, as_of)
        if as_of >= period.end:  # an ended period: the downgrades it had, none in force now
            active = evaluations.all_rows(conn, period.label)
        else:
            active = evaluations.active_rows(conn, max(as_of, period.start))
        spenders = top_spenders(conn, period, as_of)
        freshness = read_freshness(conn)
    directives: dict[str, list[DirectiveView]] = {}
    for row in sorted(active, key=lambda r: (r.effective_from, r.id)):  # oldest first
        directives.setdefault(row.category, []).append(
            DirectiveView(
                row.id, row.from_tier, row.to_tier, row.reason, row.effective_from,
                row.substitutes, row.ended_at or row.expires_at,
            )
        )  # fmt: skip
    days = math.ceil(period.elapsed_days(as_of))  # as long as category_spend's lists
    categories = []
    for item in status["categories"]:
        name = item["name"]
        allocation, spend = Decimal(item["allocation"]), Decimal(item["spend"])
        if allocation == 0 and spend == 0:
            continue  # e.g. "uncategorised" with nothing in it: nothing to show
        models, teams = spenders.get(name, ([], []))
        categories.append(
            CategoryView(
                name=name,
                allocation=allocation,
                spend=spend,
                percent=percent_used(spend, allocation),
                forecast=Decimal(item["forecast"]),
                forecast_low=Decimal(item["forecast_low"]),
                forecast_high=Decimal(item["forecast_high"]),
                daily=daily[name].daily if name in daily else [Decimal(0)] * days,
                crossed=item["crossed"],
                directives=directives.get(name, []),
                top_models=models,
                top_teams=teams,
            )
        )
    return Overview(
        period,
        as_of,
        status["currency"],
        Decimal(status["budget"]),
        tuple(config.budget.thresholds),
        categories,
        freshness,
    )
