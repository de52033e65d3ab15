"""The ledger on SQLite and PostgreSQL: exact money, UTC time, unique source keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError

from governance.ledger.tables import ledger
from governance.ledger.types import Money
from tests.factories import insert_rows, ledger_row


def test_hundred_thousand_tenths_of_a_microdollar_sum_to_exactly_one_cent(
    ledger_engine: Engine,
) -> None:
    rows = [
        ledger_row(source_key=f"k{i}", cost=Decimal("0.0000001"), tags=None) for i in range(100_000)
    ]
    insert_rows(ledger_engine, rows)
    with ledger_engine.connect() as conn:
        total = conn.execute(select(func.sum(ledger.c.cost, type_=Money()))).scalar_one()
        count = conn.execute(select(func.count()).select_from(ledger)).scalar_one()
    assert count == 100_000
    assert isinstance(total, Decimal)
    assert total == Decimal("0.01")


def test_amounts_finer_than_a_nano_unit_round_half_even_once(ledger_engine: Engine) -> None:
    insert_rows(
        ledger_engine,
        [
            ledger_row(source_key="a", cost=Decimal("0.0000000015")),
            ledger_row(source_key="b", cost=Decimal("0.0000000025")),
            ledger_row(source_key="c", cost=Decimal("123456789.123456789")),
        ],
    )
    with ledger_engine.connect() as conn:
        costs = dict(conn.execute(select(ledger.c.source_key, ledger.c.cost)).all())
    assert costs == {
        "a": Decimal("0.000000002"),
        "b": Decimal("0.000000002"),
        "c": Decimal("123456789.123456789"),
    }


def test_times_come_back_as_the_same_utc_instant(ledger_engine: Engine) -> None:
    tokyo = timezone(timedelta(hours=9))
    insert_rows(ledger_engine, [ledger_row(occurred_at=datetime(2026, 11, 1, 8, 30, tzinfo=tokyo))])
    with ledger_engine.connect() as conn:
        occurred = conn.execute(select(ledger.c.occurred_at)).scalar_one()
    assert occurred == datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert occurred.tzinfo is UTC


def test_naive_times_are_refused(ledger_engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        insert_rows(ledger_engine, [ledger_row(occurred_at=datetime(2026, 11, 1))])


def test_source_and_source_key_are_unique(ledger_engine: Engine) -> None:
    insert_rows(ledger_engine, [ledger_row(source_key="same")])
    with pytest.raises(IntegrityError):
        insert_rows(ledger_engine, [ledger_row(source_key="same")])
    insert_rows(ledger_engine, [ledger_row(source="portkey", source_key="same")])


def test_tags_round_trip_as_json(ledger_engine: Engine) -> None:
    insert_rows(ledger_engine, [ledger_row(tags=["category:critical", "env:prod"])])
    with ledger_engine.connect() as conn:
        assert conn.execute(select(ledger.c.tags)).scalar_one() == ["category:critical", "env:prod"]
