"""The alerts an evaluation causes, written to the outbox in the evaluation's own transaction.

- Crossings: one alert per category per evaluation. It names the highest level crossed (at
  equal levels, ``actual`` before ``forecast``: a fact before a projection) and lists the
  others, with the drivers of the spend and the directives the crossings issued. Its key is
  the headline crossing, which the crossings table records once per period.
- A directive lifted by this evaluation (its allocation was raised).
- The previous period's summary, on the first evaluation of a new period.

Each alert has a key, so enqueuing again (a re-run, a second replica) adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from governance.alerts import outbox
from governance.alerts.facts import (
    BurnFacts,
    CategoryTotal,
    Crossed,
    DirectiveFacts,
    Level,
    Lifted,
    PeriodClosed,
    Stale,
)
from governance.domain.evaluation import Evaluation
from governance.domain.money import from_nanos, to_nanos
from governance.domain.thresholds import Crossing
from governance.ledger import spend_view
from governance.ledger.drivers import Burn, Ranked, category_drivers
from governance.ledger.tables import directives, evaluations

if TYPE_CHECKING:
    from governance.config import Config


def _exact(amount: Decimal) -> Decimal:
    """To the nano, as the ledger keeps money (a spread bill has endless decimals)."""
    return from_nanos(to_nanos(amount))


def _ranked(items: Ranked) -> Ranked:
    return [(name, _exact(cost)) for name, cost in items]


def _burn(burn: Burn | None) -> BurnFacts | None:
    if burn is None:
        return None
    average = None if burn.average is None else _exact(burn.average)
    return BurnFacts(burn.day, _exact(burn.spend), average, burn.complete)


def enqueue_alerts(conn: Connection, config: Config, evaluation: Evaluation, now: datetime) -> int:
    """Every alert ``evaluation`` causes; the number added."""
    return (
        enqueue_crossings(conn, config, evaluation, now)
        + enqueue_lifted(conn, config, evaluation, now)
        + enqueue_period_closed(conn, config, evaluation, now)
    )


def enqueue_crossings(
    conn: Connection, config: Config, evaluation: Evaluation, now: datetime
) -> int:
    """One alert per category that crossed levels in ``evaluation``."""
    grouped: dict[str, list[Crossing]] = defaultdict(list)
    for crossing in evaluation.crossed:
        grouped[crossing.category].append(crossing)
    if not grouped:
        return 0
    period, currency = evaluation.period, config.budget.currency
    drivers = category_drivers(conn, period, evaluation.as_of)
    added = 0
    for category, found in grouped.items():
        found.sort(key=lambda c: (-c.level, c.basis != "actual"))
        head, state, driven = found[0], evaluation.states[category], drivers.get(category)
        keys = {(c.level, c.basis) for c in found}
        facts = Crossed(
            period=period.label,
            category=category,
            currency=currency,
            at=head.at,
            crossed=[Level(c.level, c.basis, _exact(c.value)) for c in found],
            allocation=state.allocation,
            spend=_exact(state.spend),
            forecast=_exact(state.forecast),
            forecast_low=_exact(state.forecast_low or state.forecast),
            forecast_high=_exact(state.forecast_high or state.forecast),
            top_models=_ranked(driven.top_models) if driven else [],
            top_teams=_ranked(driven.top_teams) if driven else [],
            burn=_burn(driven.burn) if driven else None,
            directives=[
                DirectiveFacts(d.id, d.from_tier, d.to_tier, d.expires_at, dict(d.substitutes))
                for d in evaluation.directives
                if d.category == category and (d.level, d.basis) in keys
            ],
        )
        key = f"crossing:{period.label}:{category}:{head.level}:{head.basis}"
        added += outbox.add(conn, key, facts, now, period.label, category, evaluation.id)
    return added


def lifted_by(conn: Connection, period: str, at: datetime) -> list[Any]:
    """The directives of ``period`` that the evaluation as of ``at`` lifted."""
    query = select(directives).where(
        directives.c.period == period, directives.c.status == "lifted", directives.c.ended_at == at
    )
    return list(conn.execute(query.order_by(directives.c.id)))


def enqueue_lifted(conn: Connection, config: Config, evaluation: Evaluation, now: datetime) -> int:
    """One alert per directive ``evaluation`` lifted."""
    added = 0
    for row in lifted_by(conn, evaluation.period.label, evaluation.as_of):
        state = evaluation.states.get(row.category)
        if state is None:
            continue
        facts = Lifted(
            period=row.period,
            category=row.category,
            currency=config.budget.currency,
            at=evaluation.as_of,
            directive=DirectiveFacts(
                row.id, row.from_tier, row.to_tier, row.expires_at, dict(row.substitutes)
            ),
            allocation=state.allocation,
            spend=_exact(state.spend),
            forecast=_exact(state.forecast),
        )
        key = f"lifted:{row.id}:{evaluation.as_of.isoformat()}"
        added += outbox.add(conn, key, facts, now, row.period, row.category, evaluation.id)
    return added


def enqueue_period_closed(
    conn: Connection, config: Config, evaluation: Evaluation, now: datetime
) -> int:
    """The previous period's summary, if ``evaluation`` is the first of the newest period and
    the previous one was evaluated or has spend."""
    label = evaluation.period.label
    others = select(func.count()).where(
        evaluations.c.period == label, evaluations.c.id != evaluation.id
    )
    newest = select(func.max(evaluations.c.period))
    if conn.execute(others).scalar() or conn.execute(newest).scalar() != label:
        return 0
    previous = evaluation.period.previous()
    spent = spend_view.category_spend(conn, previous, previous.end)
    evaluated = select(func.count()).where(evaluations.c.period == previous.label)
    if not spent and not conn.execute(evaluated).scalar():
        return 0
    allocations = config.allocations()
    names = list(allocations) + sorted(set(spent) - set(allocations))
    totals = [
        CategoryTotal(
            name,
            allocations.get(name, Decimal(0)),
            _exact(spent[name].total) if name in spent else Decimal(0),
        )
        for name in names
    ]
    facts = PeriodClosed(
        previous.label, config.budget.currency, evaluation.as_of, config.budget.amount, totals
    )
    key = f"period_closed:{previous.label}"
    return int(outbox.add(conn, key, facts, now, previous.label, None, evaluation.id))


def enqueue_stale_source(
    conn: Connection, source: str, last_success: datetime | None, now: datetime
) -> bool:
    """Alert that ``source`` has gone stale, once per episode: an episode is known by its
    last success, so a source that recovers and goes stale again alerts again."""
    since = last_success.isoformat() if last_success else "never"
    return outbox.add(conn, f"stale:{source}:{since}", Stale(source, now, last_success), now)
