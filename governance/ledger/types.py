"""Column types that keep money exact and time in UTC on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from governance.domain.money import from_nanos, to_nanos

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class Money(TypeDecorator[Decimal]):
    """A Decimal amount stored as a BigInteger count of nano-units (1e-9), so SUM() is exact.

    SQLite keeps Numeric as a float and its sums drift; integers do not.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return None if value is None else to_nanos(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        # PostgreSQL's SUM(bigint) is numeric: a Decimal count of nanos, still exact.
        return None if value is None else from_nanos(int(value))


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive (SQLite keeps no offset) and returned aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; times must be aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utc_hour(instant: datetime) -> datetime:
    """The aware UTC hour that ``instant`` falls in (a rollup hour)."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def stored_time(value: datetime, dialect: str) -> str | datetime:
    """``value`` as a UTCDateTime column stores it, for raw driver statements: naive UTC, and
    on SQLite the very text SQLAlchemy writes, so that comparisons with bound times hold."""
    naive = value.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(" ", "microseconds") if dialect == "sqlite" else naive
