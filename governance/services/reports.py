"""The documents that `status` and `spend` print, and that the API serves (DESIGN section 9)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.engine import Engine

from governance.alerts.views import delivery_problems
from governance.config import Config
from governance.domain.budget import percent_used
from governance.domain.money import money_str
from governance.domain.periods import Period
from governance.jsonout import JSON, number, period_json, rfc3339
from governance.ledger import evaluations as store
from governance.ledger import spend_view
from governance.ledger.errors import translate_db_errors
from governance.services.evaluate import category_states


def status_document(config: Config, engine: Engine, period: Period, now: datetime) -> JSON:
    """Each category's share, allocation, spend, percent used and forecast for ``period``, with
    the levels it crossed and the directives in force."""
    as_of = min(now, period.end)
    with translate_db_errors(engine), engine.connect() as conn:
        states = category_states(conn, config, period, as_of)
        crossed = store.period_crossings(conn, period.label)
        active = store.active_rows(conn, max(as_of, period.start))
        problems = delivery_problems(conn)
    categories = []
    for name, state in states.items():
        share = config.categories[name].share if name in config.categories else Decimal(0)
        percent = percent_used(state.spend, state.allocation)
        categories.append(
            {
                "name": name,
                "share": number(share),
                "allocation": money_str(state.allocation),
                "spend": money_str(state.spend),
                "percent": None if percent is None else number(percent),
                "forecast": money_str(state.forecast),
                "forecast_low": money_str(state.forecast_low or state.forecast),
                "forecast_high": money_str(state.forecast_high or state.forecast),
                "crossed": [
                    {"level": c.level, "basis": c.basis, "at": rfc3339(c.at)}
                    for c in crossed
                    if c.category == name
                ],
                "directives": [row.id for row in active if row.category == name],
            }
        )
    return {
        "period": period_json(period),
        "as_of": rfc3339(as_of),
        "currency": config.budget.currency,
        "budget": money_str(config.budget.amount),
        "categories": categories,
        # Permanent alert delivery errors (a revoked token, an unknown channel): held until fixed.
        "alert_problems": [
            {"target": p.target, "reason": p.reason, "since": rfc3339(p.since)} for p in problems
        ],
    }


def spend_document(
    config: Config, engine: Engine, by: spend_view.Dimension, period: Period, now: datetime
) -> JSON:
    """Budget spend of ``period`` (up to ``now``) grouped by one dimension, by cost descending."""
    with translate_db_errors(engine), engine.connect() as conn:
        rows = spend_view.spend_by(conn, by, period, min(now, period.end))
    return {
        "period": period_json(period),
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
