"""Evaluation on real ledgers: crossings once, directives composed, revoked, lifted by a
raised allocation, expired at the period's end; a non-UTC budget's period edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from governance.ledger import evaluations as store
from governance.ledger.tables import directive_versions, evaluations
from governance.services.evaluate import run_evaluation
from governance.services.reports import status_document
from tests.factories import insert_rows, ledger_row
from tests.integration.conftest import AppFactory

SMALL = ('amount = "50000.00"', 'amount = "1000.00"')  # batch: 25% = 250.00


def day(n: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, n, hour, tzinfo=UTC)


def batch_spend(days: range, per_day: str, tier: str = "premium") -> list[dict[str, object]]:
    return [
        ledger_row(category="batch", tier=tier, cost=Decimal(per_day), occurred_at=day(n))
        for n in days
    ]


def test_the_lifecycle_of_a_month(make_app: AppFactory) -> None:
    app = make_app(replace=SMALL)
    insert_rows(app.engine, batch_spend(range(1, 6), "20"))
    early = run_evaluation(app.config, app.engine, day(6, 0), day(6, 0))
    assert sorted((c.level, c.basis) for c in early.crossed if c.category == "batch") == [
        (70, "forecast"), (90, "forecast"), (100, "forecast"),
    ]  # fmt: skip
    assert [d.id for d in early.directives] == ["2026-10/batch/premium-standard"]
    again = run_evaluation(app.config, app.engine, day(6, 0), day(6, 0))
    assert again.crossed == [] and again.version == early.version
    with app.engine.begin() as conn:
        assert store.revoke(conn, "2026-10/batch/premium-standard", "ops", "test", day(6, 1))
    insert_rows(app.engine, batch_spend(range(6, 13), "25", tier="standard"))
    later = run_evaluation(app.config, app.engine, day(13, 0), day(13, 0))
    assert [(c.level, c.basis) for c in later.crossed if c.category == "batch"] == [
        (70, "actual"), (90, "actual"), (100, "actual"),
    ]  # fmt: skip
    assert [d.id for d in later.directives] == ["2026-10/batch/standard-economy"]  # revoked stays
    with app.engine.connect() as conn:
        _, document = store.latest_version(conn) or ("", {})
    assert document["routes"] == {"batch": {"standard": "economy"}}
    assert document["version"] == later.version != early.version

    raised = make_app(replace=('amount = "50000.00"', 'amount = "2000.00"'))
    lifted = run_evaluation(raised.config, raised.engine, day(13, 1), day(13, 1))
    assert lifted.directives == []
    with app.engine.connect() as conn:
        statuses = {r.id: r.status for r in store.all_rows(conn, "2026-10")}
        versions = conn.execute(select(func.count()).select_from(directive_versions)).scalar()
        stored = conn.execute(select(evaluations.c.inputs).order_by(evaluations.c.id)).scalars()
        first_inputs = next(iter(stored))
    assert statuses == {
        "2026-10/batch/premium-standard": "revoked",
        "2026-10/batch/standard-economy": "lifted",
    }
    assert versions == 3  # early, later, lifted: re-evaluating the same set publishes nothing
    assert first_inputs["batch"]["spend"] == "100.00"

    status = status_document(app.config, app.engine, early.period, day(13, 2))
    batch = next(c for c in status["categories"] if c["name"] == "batch")
    assert [(c["level"], c["basis"]) for c in batch["crossed"]][:3] == [
        (70, "forecast"), (90, "forecast"), (100, "forecast"),
    ]  # fmt: skip
    assert batch["spend"] == "275.00" and batch["directives"] == []


def test_directives_expire_when_the_period_ends(make_app: AppFactory) -> None:
    app = make_app(replace=SMALL)
    insert_rows(app.engine, batch_spend(range(1, 12), "30"))
    october = run_evaluation(app.config, app.engine, day(12), day(12))
    assert len(october.directives) == 2
    november = datetime(2026, 11, 2, tzinfo=UTC)
    run_evaluation(app.config, app.engine, november, november)
    with app.engine.connect() as conn:
        assert {r.status for r in store.all_rows(conn, "2026-10")} == {"expired"}
        assert store.active_rows(conn, november) == []
        _, document = store.latest_version(conn) or ("", {})
    assert document["directives"] == [] and document["version"].startswith("2026-11:")


def test_a_non_utc_budget_counts_its_own_local_month(make_app: AppFactory) -> None:
    app = make_app(replace=('timezone = "UTC"', 'timezone = "Europe/Berlin"'))
    late_october_utc = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 Nov in Berlin
    insert_rows(
        app.engine,
        [
            ledger_row(category="batch", cost=Decimal(7), occurred_at=late_october_utc),
            ledger_row(category="batch", cost=Decimal(5), occurred_at=day(31, 22)),  # 23:00 local
        ],
    )
    november = run_evaluation(app.config, app.engine, datetime(2026, 11, 3, tzinfo=UTC),
                              datetime(2026, 11, 3, tzinfo=UTC))  # fmt: skip
    assert november.period.start == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert november.states["batch"].spend == Decimal(7)
    october = status_document(
        app.config, app.engine, november.period.previous(), day(31, 23) + timedelta(hours=2)
    )
    assert next(c for c in october["categories"] if c["name"] == "batch")["spend"] == "5.00"
