"""The spend page's read model on real ledgers: billing spread before any filter, totals equal
to `governance spend --by X`, the day in progress counted whole, periods that have data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.engine import Engine

from governance.domain.money import from_nanos, to_nanos
from governance.domain.periods import period_for_label
from governance.ledger.read_models.spend import (
    DIMENSIONS,
    per_day,
    periods_with_data,
    select_rows,
    spend_frame,
    totals,
)
from governance.ledger.spend_view import spend_by
from tests.factories import insert_rows, ledger_row

OCT = period_for_label("2026-10", "UTC")
GATEWAY, BILLING = {"layer": "gateway"}, {"layer": "billing", "requests": 0}


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def _rows() -> list[dict[str, object]]:
    return [
        ledger_row(**GATEWAY, team="search", category="batch", model="gpt-4o", tier="premium",
                   cost=Decimal(30), occurred_at=at(7, 9)),
        ledger_row(**GATEWAY, team="payments", category="critical", cost=Decimal(10),
                   occurred_at=at(7, 15)),
        ledger_row(**BILLING, source="openai-costs", category="standard", cost=Decimal(44),
                   occurred_at=at(7, 0)),
        ledger_row(**GATEWAY, team="search", provider="anthropic", model="claude-3-5-haiku",
                   cost=Decimal("5.5"), occurred_at=at(8)),
        ledger_row(**BILLING, source="focus", provider="google", model="gemini-1.5-pro",
                   tier="premium", cost=Decimal(12), occurred_at=at(8, 0)),
        ledger_row(**GATEWAY, team="search", cost=Decimal(7), occurred_at=at(20, 18)),
    ]  # fmt: skip


def test_billing_is_spread_before_filters_apply(ledger_engine: Engine) -> None:
    insert_rows(ledger_engine, _rows())
    with ledger_engine.connect() as conn:
        frame = spend_frame(conn, OCT, at(20, 12))
    by_team = dict(zip(*totals(frame, "team")[["team", "cost"]].T.values, strict=True))
    # openai's bill of 44 replaces its gateway 30 + 10 on the 7th: search 33, payments 11;
    # google's bill has no gateway traffic: it keeps its own attribution, without a team.
    # The 20th is the UTC day in progress: it counts whole, as in `governance spend`.
    assert by_team == {"search": Decimal("45.5"), "(none)": Decimal(12), "payments": Decimal(11)}
    search = select_rows(frame, {"team": ["search"], "category": [], "provider": None})
    assert totals(search, "provider")["cost"].tolist() == [Decimal(40), Decimal("5.5")]
    assert set(search["team"]) == {"search"}
    assert select_rows(frame, {"team": ["search"], "provider": ["google"]}).empty
    daily = per_day(frame, "provider")
    assert daily.loc[daily["day"] == at(7).date(), "cost"].tolist() == [Decimal(44)]


def test_totals_agree_with_spend_by_for_every_dimension(ledger_engine: Engine) -> None:
    insert_rows(ledger_engine, _rows())
    with ledger_engine.connect() as conn:
        frame = spend_frame(conn, OCT, OCT.end)
        for by in DIMENSIONS:
            # `spend --by category` reads the hourly rollup, which keeps no token counts.
            width = 3 if by == "category" else 5
            want = [
                (r.key or "(none)", _nano(r.cost), r.requests, r.input_tokens, r.output_tokens)
                for r in spend_by(conn, by, OCT, OCT.end)
            ]
            got = totals(frame, by)
            assert list(got.columns) == [by, "cost", "requests", "input_tokens", "output_tokens"]
            shown = [
                (key, _nano(cost), *counts)
                for key, cost, *counts in got.itertuples(index=False, name=None)
            ]
            assert [row[:width] for row in shown] == [row[:width] for row in want], by


def _nano(amount: Decimal) -> Decimal:
    """To the ledger's nano-unit: spreading a bill over finer keys differs beyond it."""
    return from_nanos(to_nanos(amount))


def test_rows_outside_the_period_or_after_as_of_do_not_count(ledger_engine: Engine) -> None:
    insert_rows(
        ledger_engine,
        [
            ledger_row(cost=Decimal(1), occurred_at=datetime(2026, 9, 30, 23, tzinfo=UTC)),
            ledger_row(cost=Decimal(2), occurred_at=at(1, 0)),
            ledger_row(cost=Decimal(4), occurred_at=at(2, 1)),
            ledger_row(cost=Decimal(8), occurred_at=datetime(2026, 11, 1, tzinfo=UTC)),
        ],
    )
    with ledger_engine.connect() as conn:
        assert spend_frame(conn, OCT, OCT.end)["cost"].sum() == Decimal(6)
        assert spend_frame(conn, OCT, at(2, 0))["cost"].sum() == Decimal(2)
        assert spend_frame(conn, OCT, OCT.start).empty


def test_periods_with_data_newest_first_in_the_budget_timezone(ledger_engine: Engine) -> None:
    with ledger_engine.connect() as conn:
        assert periods_with_data(conn, "UTC") == []
    insert_rows(ledger_engine, [ledger_row(occurred_at=datetime(2026, 11, 1, 2, tzinfo=UTC))])
    with ledger_engine.connect() as conn:
        assert periods_with_data(conn, "UTC") == ["2026-11"]
        # 02:00 UTC on 1 November is 22:00 on 31 October in New York: October's, not November's.
        assert periods_with_data(conn, "America/New_York") == ["2026-10"]
        assert periods_with_data(conn, "Asia/Tokyo") == ["2026-11"]
        # 02:00-03:00 UTC is 07:30-08:30 on 1 November in Kolkata (a half-hour offset).
        assert periods_with_data(conn, "Asia/Kolkata") == ["2026-11"]
    insert_rows(ledger_engine, [ledger_row(occurred_at=at(15))])
    with ledger_engine.connect() as conn:
        assert periods_with_data(conn, "UTC") == ["2026-11", "2026-10"]
