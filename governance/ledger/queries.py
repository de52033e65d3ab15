"""Read models over the ledger: spend per category and per dimension for a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from governance.domain.periods import local_day
from governance.ledger.tables import ledger
from governance.ledger.types import Money, epoch_seconds

Dimension = Literal["tier", "category", "model", "team", "provider", "day"]
DIMENSIONS: Final[tuple[str, ...]] = ("tier", "category", "model", "team", "provider", "day")

# Every UTC offset in use is a multiple of 15 minutes, so 15-minute buckets fold into local days.
_BUCKET_SECONDS: Final = 900


@dataclass(frozen=True)
class SpendRow:
    key: str | None
    cost: Decimal
    requests: int
    input_tokens: int
    output_tokens: int

    def __add__(self, other: SpendRow) -> SpendRow:
        return SpendRow(
            self.key,
            self.cost + other.cost,
            self.requests + other.requests,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
        )


def _in_window(start: datetime, end: datetime) -> ColumnElement[bool]:
    return (ledger.c.occurred_at >= start) & (ledger.c.occurred_at < end)


def spend_by_category(conn: Connection, start: datetime, end: datetime) -> dict[str, Decimal]:
    """Total cost per category of the rows that occurred in ``[start, end)``."""
    query = (
        select(ledger.c.category, func.sum(ledger.c.cost, type_=Money()))
        .where(_in_window(start, end))
        .group_by(ledger.c.category)
    )
    return {category: total for category, total in conn.execute(query)}


def spend_by(
    conn: Connection, by: Dimension, start: datetime, end: datetime, timezone: str
) -> list[SpendRow]:
    """Cost, requests and tokens per value of ``by`` in ``[start, end)``, by cost descending.

    ``day`` is the calendar day in ``timezone`` (an ISO date string).
    """
    key: ColumnElement[Any] = (
        epoch_seconds(ledger.c.occurred_at) // _BUCKET_SECONDS if by == "day" else ledger.c[by]
    )
    query = (
        select(
            key,
            func.sum(ledger.c.cost, type_=Money()),
            func.sum(ledger.c.requests),
            func.sum(ledger.c.input_tokens),
            func.sum(ledger.c.output_tokens),
        )
        .where(_in_window(start, end))
        .group_by(key)
    )
    rows: dict[str | None, SpendRow] = {}
    for value, cost, requests, input_tokens, output_tokens in conn.execute(query):
        key_value = _local_day(int(value), timezone) if by == "day" else value
        row = SpendRow(key_value, cost, int(requests), int(input_tokens), int(output_tokens))
        rows[key_value] = rows[key_value] + row if key_value in rows else row
    return sorted(rows.values(), key=lambda r: (-r.cost, r.key or ""))


def _local_day(bucket: int, timezone: str) -> str:
    return local_day(datetime.fromtimestamp(bucket * _BUCKET_SECONDS, UTC), timezone).isoformat()
