"""The documents that `status` and `spend` print, and that the API serves (DESIGN section 9)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from governance.config import Config
from governance.domain.budget import allocation, percent_used
from governance.domain.money import money_str
from governance.domain.periods import Period
from governance.ledger import spend_view
from governance.ledger.errors import translate_db_errors

JSON = dict[str, Any]


def rfc3339(instant: datetime) -> str:
    """An RFC 3339 UTC timestamp, as every JSON document of ours writes time."""
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _period_json(period: Period) -> JSON:
    return {"start": rfc3339(period.start), "end": rfc3339(period.end)}


def _run_rate(spend: Decimal, period: Period, as_of: datetime) -> Decimal:
    # Linear run-rate until the forecast of the evaluation engine replaces it.
    elapsed = Decimal(str(period.elapsed_days(as_of)))
    if elapsed <= 0 or as_of >= period.end:
        return spend
    return spend * period.days / elapsed


def status_document(config: Config, engine: Engine, period: Period, now: datetime) -> JSON:
    """Each category's share, allocation, spend, percent used and forecast for ``period``."""
    as_of = min(now, period.end)
    with translate_db_errors(engine), engine.connect() as conn:
        spent = {
            name: c.total for name, c in spend_view.category_spend(conn, period, as_of).items()
        }
    budget = config.budget.amount
    names = list(config.categories) + sorted(set(spent) - set(config.categories))
    categories: list[JSON] = []
    for name in names:
        share = config.categories[name].share if name in config.categories else Decimal(0)
        allotted = allocation(budget, share)
        spend = spent.get(name, Decimal(0))
        percent = percent_used(spend, allotted)
        forecast = _run_rate(spend, period, as_of)
        categories.append(
            {
                "name": name,
                "share": _number(share),
                "allocation": money_str(allotted),
                "spend": money_str(spend),
                "percent": None if percent is None else _number(percent),
                "forecast": money_str(forecast),
                "forecast_low": None,
                "forecast_high": None,
                "crossed": [],
                "directives": [],
            }
        )
    return {
        "period": _period_json(period),
        "as_of": rfc3339(as_of),
        "currency": config.budget.currency,
        "budget": money_str(budget),
        "categories": categories,
    }


def spend_document(
    config: Config, engine: Engine, by: spend_view.Dimension, period: Period, now: datetime
) -> JSON:
    """Budget spend of ``period`` (up to ``now``) grouped by one dimension, by cost descending."""
    with translate_db_errors(engine), engine.connect() as conn:
        rows = spend_view.spend_by(conn, by, period, min(now, period.end))
    return {
        "period": _period_json(period),
        "by": by,
        "currency": config.budget.currency,
        "total": money_str(sum((r.cost for r in rows), Decimal(0))),
        "rows": [
            {
                "key": r.key,
                "cost": money_str(r.cost),
                "requests": r.requests,
                "input_tokens": r.input_tokens,
                "output_tokens": r.output_tokens,
            }
            for r in rows
        ],
    }
