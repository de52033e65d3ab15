"""What the overview offers and says about periods, on real ledgers: the periods with spend
(from the rollups) and the current one, whether the current one has only begun and which is
the last full one; from which day forecast crossings can happen; each category's state as
the worse of its spend's and its forecast's levels; an ended period's downgrades."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import event

from governance.context import Governance
from governance.domain.periods import BEGUN_DAYS, period_for_label
from governance.domain.thresholds import FORECAST_MIN_DAYS
from governance.ledger.read_models.periods import read_period_choice
from governance.services.evaluate import run_evaluation
from governance.services.overview import read_overview
from tests.factories import insert_rows, ledger_row
from tests.integration.conftest import AppFactory


def test_the_periods_offered_are_those_with_spend_and_the_current_one(
    make_app: AppFactory,
) -> None:
    app = make_app()
    zone = app.config.budget.timezone
    october, december = (period_for_label(x, zone) for x in ("2026-10", "2026-12"))
    insert_rows(app.engine, [ledger_row(occurred_at=october.start + timedelta(hours=h))
                             for h in (1, 24 * 20)])  # fmt: skip
    statements: list[str] = []
    event.listen(app.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with app.engine.connect() as conn:
        early = read_period_choice(conn, zone, december.start + timedelta(days=1, hours=12))
        later = read_period_choice(conn, zone, december.start + timedelta(days=BEGUN_DAYS))
    assert not any(" ledger" in s for s in statements)  # the rollups only, never a ledger scan
    assert early.labels == ["2026-12", "2026-10"] and early.current.label == "2026-12"
    assert early.last_full == "2026-10"  # the newest ended period with spend, November has none
    assert early.begun_only and early.current.elapsed_days(early.now) == 1.5
    assert not later.begun_only and later.last_full == "2026-10"


def _spend(app: Governance, paces: dict[str, Decimal], start: datetime, hours: int) -> None:
    """Each category's spend at its pace (share of its allocation over 30 days), hourly."""
    config = app.config
    rows = []
    for name, pace in paces.items():
        hourly = config.budget.amount * config.categories[name].share / 100 * pace / (30 * 24)
        rows += [ledger_row(category=name, team=name, cost=hourly.quantize(Decimal("0.0001")),
                            occurred_at=start + timedelta(hours=h, minutes=5))
                 for h in range(hours)]  # fmt: skip
    insert_rows(app.engine, rows)


def test_the_state_is_the_worse_of_spend_and_forecast_and_forecast_crossings_wait(
    make_app: AppFactory,
) -> None:
    app = make_app()
    november = period_for_label("2026-11", app.config.budget.timezone)  # 30 days
    paces = {"critical": Decimal("0.5"), "standard": Decimal("0.8"), "batch": Decimal("1.2")}
    _spend(app, paces, november.start, 9)
    day_one = november.start + timedelta(hours=9)
    overview = read_overview(app.config, app.engine, november, day_one)
    states = {c.name: overview.state(c) for c in overview.categories}
    assert states == {
        "critical": (None, "actual"),
        "standard": (70, "forecast"),  # 0.8% used, forecast 80%
        "batch": (100, "forecast"),
    }
    standard = overview.categories[1]
    assert standard.level("actual", overview.thresholds) is None
    assert standard.forecast_percent == Decimal("80.0")
    wait = int(FORECAST_MIN_DAYS) + 1  # DESIGN 6: 3 elapsed days, so from day 4
    assert overview.forecast_crossings_from == wait == 4
    day_four = november.day_starts()[wait - 1]
    for at, expected in ((day_four - timedelta(seconds=1), 4), (day_four, None)):
        assert read_overview(app.config, app.engine, november, at).forecast_crossings_from == (
            expected
        )


def test_an_ended_period_shows_the_downgrades_it_had(make_app: AppFactory) -> None:
    app = make_app()
    november = period_for_label("2026-11", app.config.budget.timezone)
    _spend(app, {"batch": Decimal("1.5")}, november.start, 24 * 30)
    for at in (november.day_starts()[20], november.end):
        run_evaluation(app.config, app.engine, at, at)
    later = november.end + timedelta(days=3)
    overview = read_overview(app.config, app.engine, november, later)
    assert overview.ended and overview.forecast_crossings_from is None
    batch = next(c for c in overview.categories if c.name == "batch")
    assert [d.id for d in batch.directives] == [
        "2026-11/batch/premium-standard",
        "2026-11/batch/standard-economy",
    ]
    assert all(d.until == november.end for d in batch.directives)
    assert overview.state(batch) == (100, "actual")
