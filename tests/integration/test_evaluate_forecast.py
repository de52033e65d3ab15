"""Forecast crossings through the real evaluation path: the month before sets no level by itself.

November 2026 (30 days from a Sunday) against the 42 days before it, on a weekday/weekend rhythm
with day noise; evaluated every six hours with fixed clocks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from governance.context import Governance
from governance.ledger.tables import evaluations
from governance.services.evaluate import run_evaluation
from tests.factories import insert_rows, ledger_row
from tests.integration.conftest import AppFactory

SMALL = ('amount = "50000.00"', 'amount = "1000.00"')  # batch: 25% = 250.00
NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
HISTORY_START = NOVEMBER - timedelta(days=42)
HOURS = (1, 7, 13, 19)  # each day's spend comes in four parts


def rhythm(days: int, seed: int) -> list[float]:
    """Relative daily spend: weekends at half the weekdays, +-15% noise, mean one."""
    rng = random.Random(seed)
    raw = [
        (0.5 if (HISTORY_START + timedelta(days=d)).weekday() >= 5 else 1.0)
        * rng.uniform(0.85, 1.15)
        for d in range(days)
    ]
    return [r * days / sum(raw) for r in raw]


def spend(app: Governance, before: Decimal, november: Decimal) -> None:
    """The 42 days before November at ``before`` a day, November at ``november`` a day."""
    shape = rhythm(42 + 30, seed=15)
    rows = []
    for d, factor in enumerate(shape):
        level = before if d < 42 else november
        day = HISTORY_START + timedelta(days=d)
        cost = (level * Decimal(f"{factor:.6f}") / len(HOURS)).quantize(Decimal("0.000001"))
        rows += [
            ledger_row(
                category="batch", tier="premium", cost=cost, occurred_at=day + timedelta(hours=h)
            )
            for h in HOURS
        ]
    insert_rows(app.engine, rows)


def evaluate_every_six_hours(app: Governance, days: int) -> list[tuple[datetime, list[int]]]:
    """For each evaluation of November's first ``days`` days: its time, and the levels at which
    batch's forecast crossed then."""
    found = []
    for step in range(1, days * 4):  # the last at 18:00 on the last day
        at = NOVEMBER + timedelta(hours=6 * step)
        result = run_evaluation(app.config, app.engine, at, at)
        levels = [
            c.level for c in result.crossed if c.category == "batch" and c.basis == "forecast"
        ]
        found.append((at, levels))
    return found


def test_a_busier_month_before_sets_off_no_forecast_crossing(make_app: AppFactory) -> None:
    app = make_app(replace=SMALL)
    spend(app, before=Decimal(10), november=Decimal(5))  # November on track for 150.00: 60%
    found = evaluate_every_six_hours(app, 30)
    assert [(at, levels) for at, levels in found if levels] == []
    with app.engine.connect() as conn:
        last = conn.execute(select(evaluations.c.inputs).order_by(evaluations.c.id.desc())).first()
    assert last is not None
    batch = last.inputs["batch"]
    assert batch["forecast_method"] == "weekday-trend"
    assert batch["forecast_history_weight"] < 0.01  # the month before did not set the level
    assert Decimal(140) < Decimal(batch["forecast"]) < Decimal(160)


def test_a_month_at_two_and_a_half_times_the_one_before_crosses_by_day_five(
    make_app: AppFactory,
) -> None:
    app = make_app(replace=SMALL)
    spend(app, before=Decimal(5), november=Decimal("12.5"))  # on track for 375.00: 150%
    found = evaluate_every_six_hours(app, 5)
    crossed = {level: at for at, levels in found for level in levels}
    assert set(crossed) >= {90, 100}
    assert crossed[90] <= NOVEMBER + timedelta(days=5)  # by the end of day 5
    last = run_evaluation(app.config, app.engine, found[-1][0], found[-1][0])
    assert "2026-11/batch/premium-standard" in [d.id for d in last.directives]
    with app.engine.connect() as conn:
        inputs = conn.execute(select(evaluations.c.inputs).order_by(evaluations.c.id)).scalars()
        methods = [i["batch"]["forecast_method"] for i in inputs]
    assert methods[0] == "run-rate" and methods[-1] == "weekday-trend"
