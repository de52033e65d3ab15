"""Rollup increments: what a batch adds to (or, for a revised bucket, takes from) the hourly
and daily rollups, written in the batch's own transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from governance.domain.money import to_nanos
from governance.ledger.types import stored_time, utc_hour

_HOURLY_KEY = ("hour", "provider", "layer", "category")
_DAILY_KEY = ("day", "provider", "layer", "category", "tier", "model", "team")
_HOURLY_SUMS = ("cost", "requests", "input_tokens", "output_tokens", "rows")
_DAILY_SUMS = ("cost", "requests", "input_tokens", "output_tokens", "rows", "unpriced")


class RollupDelta:
    """Sums of ledger rows, per rollup key, waiting to be added."""

    def __init__(self) -> None:
        self.hourly: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        self.daily: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])

    def add(self, row: Mapping[str, Any], sign: int = 1) -> None:
        """Count ``row`` (a full ledger row) once more, or once less with ``sign=-1``."""
        instant: datetime = row["occurred_at"]
        cost = to_nanos(Decimal(row["cost"])) * sign
        requests = int(row["requests"]) * sign
        input_tokens = int(row["input_tokens"]) * sign
        output_tokens = int(row["output_tokens"]) * sign
        hourly = self.hourly[(instant, row["provider"], row["layer"], row["category"])]
        hourly[0] += cost
        hourly[1] += requests
        hourly[2] += input_tokens
        hourly[3] += output_tokens
        hourly[4] += sign
        daily = self.daily[
            (
                instant.astimezone(UTC).date(),
                row["provider"],
                row["layer"],
                row["category"],
                row["tier"],
                row["model"],
                row["team"] or "",
            )
        ]
        daily[0] += cost
        daily[1] += requests
        daily[2] += input_tokens
        daily[3] += output_tokens
        daily[4] += sign
        daily[5] += sign if row["cost_basis"] == "unpriced" else 0

    def flush(self, conn: Connection) -> None:
        """Add the sums to the rollups (upserts) and start again."""
        sqlite = conn.dialect.name == "sqlite"
        marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        hours: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for (instant, *rest), sums in self.hourly.items():
            merged = hours[(stored_time(utc_hour(instant), conn.dialect.name), *rest)]
            for i, value in enumerate(sums):
                merged[i] += value
        _upsert(conn, "rollup_hourly", _HOURLY_KEY, _HOURLY_SUMS, hours, marker)
        days = {
            (day.isoformat() if sqlite else day, *rest): v for (day, *rest), v in self.daily.items()
        }
        _upsert(conn, "rollup_daily", _DAILY_KEY, _DAILY_SUMS, days, marker)
        self.hourly.clear()
        self.daily.clear()


def _upsert(
    conn: Connection,
    table: str,
    key: tuple[str, ...],
    sums: tuple[str, ...],
    values: Mapping[tuple[Any, ...], list[int]],
    marker: str,
) -> None:
    if not values:
        return
    columns = (*key, *sums)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in sums)
    )
    conn.exec_driver_sql(statement, [(*k, *v) for k, v in values.items()])


def rebuild(conn: Connection) -> None:
    """Recompute both rollups from the whole ledger (a repair; ingest keeps them current)."""
    sqlite = conn.dialect.name == "sqlite"
    hour = (
        "strftime('%Y-%m-%d %H:00:00.000000', occurred_at)"
        if sqlite
        else "date_trunc('hour', occurred_at)"
    )
    day = "date(occurred_at)" if sqlite else "CAST(occurred_at AS DATE)"
    conn.exec_driver_sql("DELETE FROM rollup_hourly")
    conn.exec_driver_sql("DELETE FROM rollup_daily")
    conn.exec_driver_sql(
        f"INSERT INTO rollup_hourly (hour, provider, layer, category, cost, requests, "
        f"input_tokens, output_tokens, rows) "
        f"SELECT {hour}, provider, layer, category, SUM(cost), SUM(requests), "
        f"SUM(input_tokens), SUM(output_tokens), COUNT(*) "
        f"FROM ledger GROUP BY {hour}, provider, layer, category"
    )
    conn.exec_driver_sql(
        f"INSERT INTO rollup_daily (day, provider, layer, category, tier, model, team, cost, "
        f"requests, input_tokens, output_tokens, rows, unpriced) "
        f"SELECT {day}, provider, layer, category, tier, model, COALESCE(team, ''), SUM(cost), "
        f"SUM(requests), SUM(input_tokens), SUM(output_tokens), COUNT(*), "
        f"SUM(CASE WHEN cost_basis = 'unpriced' THEN 1 ELSE 0 END) "
        f"FROM ledger GROUP BY {day}, provider, layer, category, tier, model, COALESCE(team, '')"
    )
