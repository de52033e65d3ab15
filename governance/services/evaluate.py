"""Evaluation: each category's spend and forecast against its allocation. Crossings and
directives are written with the evaluation, its inputs and the published directive document
in one transaction, so any alert or directive can be explained afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection, Engine

from governance.alerts.enqueue import enqueue_alerts
from governance.config import Config
from governance.domain import directives as rules
from governance.domain.budget import allocation
from governance.domain.evaluation import Evaluation
from governance.domain.forecast import HISTORY_DAYS, forecast_period_end
from governance.domain.money import money_str
from governance.domain.periods import Period, local_day, period_containing
from governance.domain.thresholds import CategoryState, new_crossings
from governance.jsonout import JSON, rfc3339
from governance.ledger import evaluations as store
from governance.ledger import spend_view
from governance.ledger.errors import translate_db_errors


def steps(config: Config) -> list[rules.Step]:
    """The config's downgrade steps, category by category."""
    return [
        rules.Step(name, step.at, step.basis, step.from_, step.to)
        for name, category in config.categories.items()
        for step in category.downgrade
    ]


def category_states(
    conn: Connection, config: Config, period: Period, as_of: datetime
) -> dict[str, CategoryState]:
    """Every configured category (and any other the ledger holds) at ``as_of``."""
    spent = spend_view.category_spend(conn, period, as_of)
    past = spend_view.history(conn, period.start, HISTORY_DAYS)
    names = list(config.categories) + sorted(set(spent) - set(config.categories))
    elapsed = period.elapsed_days(min(as_of, period.end))
    first_weekday = local_day(period.start, period.timezone).weekday()
    states = {}
    for name in names:
        share = config.categories[name].share if name in config.categories else Decimal(0)
        spend = spent.get(name, spend_view.CategorySpend())
        daily = spend.daily or [Decimal(0)]
        today = min(max(elapsed - (len(daily) - 1), 0.0), 1.0) or 1.0
        projected = forecast_period_end(
            daily, today, first_weekday, period.days, past.get(name, ())
        )
        states[name] = CategoryState(
            name,
            allocation(config.budget.amount, share),
            spend.total,
            projected.expected,
            projected.low,
            projected.high,
            projected.method,
            projected.history_weight,
        )
    return states


def evaluate(config: Config, conn: Connection, as_of: datetime, now: datetime) -> Evaluation:
    """Evaluate the period of ``as_of`` counting the rows before it; store everything and
    publish the directives in force at ``now`` (``conn`` is in a transaction)."""
    period = period_containing(as_of, config.budget.timezone)
    states = category_states(conn, config, period, as_of)
    inputs = {
        name: {
            "allocation": money_str(s.allocation),
            "spend": money_str(s.spend),
            "forecast": money_str(s.forecast),
            "forecast_low": money_str(s.forecast_low or s.forecast),
            "forecast_high": money_str(s.forecast_high or s.forecast),
            "forecast_method": s.forecast_method,
            "forecast_history_weight": round(s.history_weight, 4),
        }
        for name, s in states.items()
    }
    evaluation_id = store.record_evaluation(
        conn, period.label, as_of, now, config.config_hash(), inputs
    )
    recorded = store.period_crossings(conn, period.label)
    found = new_crossings(
        period.label,
        states.values(),
        config.budget.thresholds,
        [c.key for c in recorded],
        period.elapsed_days(min(as_of, period.end)),
        as_of,
    )
    store.add_crossings(conn, found, evaluation_id)
    active = rules.active_directives(
        period.label,
        steps(config),
        [*recorded, *found],
        states,
        store.revoked_ids(conn, period.label),
        period.end,
        config.budget.currency,
        config.substitutes,
        config.tier_map(),
    )
    store.sync_directives(conn, period.label, active, evaluation_id, as_of)
    version, _ = publish(conn, config, now)
    store.set_version(conn, evaluation_id, version)
    result = Evaluation(evaluation_id, period, as_of, states, found, active, version)
    enqueue_alerts(conn, config, result, now)  # in this transaction: an alert is never lost
    return result


def run_evaluation(config: Config, engine: Engine, as_of: datetime, now: datetime) -> Evaluation:
    """``evaluate`` in its own transaction."""
    with translate_db_errors(engine), engine.begin() as conn:
        return evaluate(config, conn, as_of, now)


def _directive(row: Any) -> rules.Directive:
    trigger = row.trigger
    return rules.Directive(
        id=row.id,
        category=row.category,
        from_tier=row.from_tier,
        to_tier=row.to_tier,
        level=int(trigger["level"]),
        basis=trigger["basis"],
        spend=Decimal(trigger["spend"]),
        forecast=Decimal(trigger["forecast"]),
        allocation=Decimal(trigger["allocation"]),
        currency=trigger["currency"],
        reason=row.reason,
        effective_from=row.effective_from,
        expires_at=row.expires_at,
        substitutes=row.substitutes,
        origin=row.origin,
    )


def _current(config: Config, directive: rules.Directive) -> rules.Directive:
    """A directive in force with today's ``[substitutes]``: a change reaches routers at the
    next evaluation, without the directive being lifted and issued again."""
    if directive.origin != "auto":
        return directive
    substitutes = rules.substitutes_for(
        config.substitutes, config.tier_map(), directive.from_tier, directive.to_tier
    )
    return replace(directive, substitutes=substitutes)


def directives_document(
    config: Config, period: Period, found: Sequence[rules.Directive], version: str, at: datetime
) -> JSON:
    """The body of ``GET /directives`` (DESIGN section 7)."""
    return {
        "version": version,
        "generated_at": rfc3339(at),
        "period": {"start": rfc3339(period.start), "end": rfc3339(period.end)},
        "poll_seconds": config.server.poll_seconds,
        "routes": rules.routes(found),
        "policy": config.policy(),
        "directives": [
            {
                "id": d.id,
                "category": d.category,
                "action": "downgrade",
                "from_tier": d.from_tier,
                "to_tier": d.to_tier,
                "substitutes": dict(d.substitutes),
                "trigger": rules.trigger_json(d),
                "reason": d.reason,
                "effective_from": rfc3339(d.effective_from),
                "expires_at": rfc3339(d.expires_at),
                "origin": d.origin,
            }
            for d in found
        ],
    }


def publish(conn: Connection, config: Config, now: datetime) -> tuple[str, JSON]:
    """Publish the directives in force at ``now`` unless that set is published already."""
    period = period_containing(now, config.budget.timezone)
    found = [_current(config, _directive(row)) for row in store.active_rows(conn, now)]
    version = rules.version(period.label, found, config.policy())
    latest = store.latest_version(conn)
    if latest is not None and latest[0] == version:
        return latest
    document = directives_document(config, period, found, version, now)
    store.publish(conn, version, document, now)
    return version, document
