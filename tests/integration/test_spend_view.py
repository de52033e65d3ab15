"""The spend view on real ledgers: billing replaces the gateway per provider-day, exactly, and a
moment inside an hour replays exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from governance.domain.periods import period_for_label
from governance.ledger.spend_view import category_spend, history, spend_by
from governance.ledger.tables import ledger
from tests.factories import insert_rows, ledger_row

OCT = period_for_label("2026-10", "UTC")
DAY = datetime(2026, 10, 7, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def test_billing_replaces_gateway_spend_per_provider_day(ledger_engine: Engine) -> None:
    gateway, billing = {"layer": "gateway"}, {"layer": "billing", "requests": 0}
    insert_rows(
        ledger_engine,
        [
            ledger_row(**gateway, provider="openai", category="batch", cost=Decimal(30),
                       occurred_at=at(9)),
            ledger_row(**gateway, provider="openai", category="critical", cost=Decimal(10),
                       occurred_at=at(15)),
            ledger_row(**billing, source="openai-costs", provider="openai", category="standard",
                       cost=Decimal(44), occurred_at=at(0)),
            ledger_row(**gateway, provider="anthropic", category="batch", cost=Decimal(5),
                       occurred_at=at(11)),
            ledger_row(**billing, source="focus", provider="google", category="standard",
                       cost=Decimal(12), occurred_at=at(0)),
        ],
    )  # fmt: skip
    with ledger_engine.connect() as conn:
        spent = category_spend(conn, OCT, OCT.end)
        by_provider = {r.key: r.cost for r in spend_by(conn, "provider", OCT, OCT.end)}
        by_day = spend_by(conn, "day", OCT, OCT.end)
    assert {name: c.total for name, c in spent.items()} == {
        "batch": Decimal("38"),
        "critical": Decimal("11"),
        "standard": Decimal("12"),
    }
    assert spent["batch"].daily[6] == Decimal("38") and len(spent["batch"].daily) == 31
    assert by_provider == {
        "openai": Decimal("44"),
        "google": Decimal("12"),
        "anthropic": Decimal("5"),
    }
    assert [(r.key, r.cost) for r in by_day] == [("2026-10-07", Decimal("61"))]


def test_a_moment_inside_an_hour_counts_only_what_came_before(ledger_engine: Engine) -> None:
    insert_rows(
        ledger_engine,
        [
            ledger_row(cost=Decimal("1"), occurred_at=at(10, 15)),
            ledger_row(cost=Decimal("2"), occurred_at=at(10, 45)),
            ledger_row(cost=Decimal("4"), occurred_at=at(9, 59)),
        ],
    )
    with ledger_engine.connect() as conn:
        assert category_spend(conn, OCT, at(10, 30))["standard"].total == Decimal("5")
        assert category_spend(conn, OCT, at(10))["standard"].total == Decimal("4")
        assert category_spend(conn, OCT, at(11))["standard"].total == Decimal("7")
        assert category_spend(conn, OCT, at(10, 45))["standard"].total == Decimal("5")
        assert category_spend(conn, OCT, at(10, 50))["standard"].total == Decimal("7")


def test_now_reads_its_hour_from_the_rollup_not_the_ledger(ledger_engine: Engine) -> None:
    """Evaluating "now" (no row of the hour at or after it) must not read the hour's rows from
    the ledger: their number grows with the traffic. Seen here by removing them from the
    ledger alone: the rollup still counts them."""
    insert_rows(ledger_engine, [ledger_row(cost=Decimal("1"), occurred_at=at(10, 15))])
    with ledger_engine.begin() as conn:
        conn.execute(delete(ledger))
    with ledger_engine.connect() as conn:
        assert category_spend(conn, OCT, at(10, 50))["standard"].total == Decimal("1")


def test_history_gives_each_category_its_recent_days(ledger_engine: Engine) -> None:
    spend = {(9, 30, 8): 3, (9, 1, 0): 2, (10, 1, 0): 9}
    insert_rows(
        ledger_engine,
        [
            ledger_row(
                category="batch",
                cost=Decimal(cost),
                occurred_at=datetime(2026, month, d, hour, tzinfo=UTC),
            )
            for (month, d, hour), cost in spend.items()
        ],
    )
    with ledger_engine.connect() as conn:
        past = history(conn, OCT.start, 42)
    assert len(past["batch"]) == 42
    assert past["batch"][-1] == Decimal(3) and past["batch"][-30] == Decimal(2)
    assert sum(past["batch"]) == Decimal(5)  # October's own day is not history
