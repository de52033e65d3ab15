"""The overview's read model on real ledgers: the numbers of `governance status`, each
category's days for its burn chart, its directives with their reasons, its drivers, and how
fresh it all is."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from governance.services.evaluate import run_evaluation
from governance.services.overview import read_overview
from governance.services.reports import status_document
from tests.factories import insert_rows, ledger_row
from tests.integration.conftest import NOW, AppFactory

SMALL = ('amount = "50000.00"', 'amount = "1000.00"')  # batch 250.00, critical 400.00


def day(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, n, hour, tzinfo=UTC)


def test_the_overview_is_governance_status_with_its_days_and_reasons(
    make_app: AppFactory,
) -> None:
    app = make_app(replace=SMALL)
    insert_rows(
        app.engine,
        [ledger_row(category="batch", tier="premium", model="gpt-4o", team="data-eng",
                    cost=Decimal("20.5"), occurred_at=day(n)) for n in range(1, 21)]
        + [ledger_row(category="critical", team="payments", cost=Decimal(10),
                      occurred_at=day(n)) for n in range(2, 25)],
    )  # fmt: skip
    run_evaluation(app.config, app.engine, NOW, NOW)
    overview = read_overview(app.config, app.engine, app.period(), NOW)
    status = status_document(app.config, app.engine, app.period(), NOW)

    assert overview.budget == Decimal(1000) and overview.thresholds == (70, 90, 100)
    assert [c.name for c in overview.categories] == [c["name"] for c in status["categories"]]
    for shown, item in zip(overview.categories, status["categories"], strict=True):
        for field in ("allocation", "spend", "forecast", "forecast_low", "forecast_high"):
            assert getattr(shown, field) == Decimal(item[field]), (shown.name, field)
        assert len(shown.daily) == 24 and sum(shown.daily) == shown.spend
    assert overview.spend == Decimal(410 + 220)  # the 24th at noon is not before NOW

    batch, critical = overview.categories[2], overview.categories[0]
    assert batch.over and batch.percent == Decimal("164.0") and not critical.over
    assert batch.daily[0] == Decimal("20.5") and batch.daily[20:] == [0, 0, 0, 0]
    assert [d.id for d in batch.directives] == status["categories"][2]["directives"] != []
    assert all(d.reason.startswith("batch ") for d in batch.directives)
    assert batch.top_models == [("gpt-4o", Decimal(410))]
    assert batch.top_teams == [("data-eng", Decimal(410))]
    assert {(c["level"], c["basis"]) for c in batch.crossed} >= {(100, "actual")}

    assert overview.freshness.has_data and overview.freshness.evaluated_at == NOW
    assert overview.freshness.last_ingest is None  # rows written by the test, not an ingest


def test_an_empty_ledger_says_it_has_no_data(make_app: AppFactory) -> None:
    app = make_app()
    overview = read_overview(app.config, app.engine, app.period(), NOW)
    assert not overview.freshness.has_data and overview.freshness.evaluated_at is None
    assert [c.name for c in overview.categories] == ["critical", "standard", "batch"]
    assert all(c.spend == 0 and c.directives == [] for c in overview.categories)
