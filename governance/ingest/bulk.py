"""Ledger rows inserted through the driver's own executemany: at ingest rates SQLAlchemy's
per-row parameter processing costs more than the database does. Values are converted here
exactly as the column types (Money, UTCDateTime, JSON) would convert them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection

from governance.domain.money import to_nanos
from governance.ledger.tables import ledger
from governance.ledger.types import stored_time

# Columns taken as they are, then the five that need converting, in this order.
_CONVERTED = ("cost", "original_cost", "occurred_at", "ingested_at", "tags")
_PLAIN = [c.name for c in ledger.columns if c.name != "id" and c.name not in _CONVERTED]
_COLUMNS = [*_PLAIN, *_CONVERTED]
_plain = itemgetter(*_PLAIN)


def _nanos(value: Decimal | None) -> int | None:
    return None if value is None else to_nanos(value)


def bulk_insert(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (every ledger column but id), skipping keys already present; the count
    inserted."""
    if not rows:
        return 0
    dialect = conn.dialect.name

    def time(value: datetime) -> str | datetime:
        return stored_time(value, dialect)

    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO ledger ({', '.join(_COLUMNS)}) VALUES ({', '.join([marker] * len(_COLUMNS))})"
        " ON CONFLICT (source, source_key) DO NOTHING"
    )
    ingested = {row["ingested_at"] for row in rows}
    ingested_at = {when: time(when) for when in ingested}
    values = [
        (
            *_plain(row),
            to_nanos(row["cost"]),
            _nanos(row["original_cost"]),
            time(row["occurred_at"]),
            ingested_at[row["ingested_at"]],
            json.dumps(row["tags"]),
        )
        for row in rows
    ]
    result = conn.exec_driver_sql(statement, values)
    return result.rowcount if result.rowcount >= 0 else len(rows)
