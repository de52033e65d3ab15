"""Ledger rows for tests, with every required column filled in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from governance.ledger.tables import ledger

_keys = itertools.count(1)


def ledger_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "layer": "gateway",
        "source": "litellm",
        "source_key": f"req-{next(_keys)}",
        "occurred_at": datetime(2026, 11, 10, 12, 0, tzinfo=UTC),
        "provider": "openai",
        "model": "gpt-4o-mini",
        "tier": "standard",
        "category": "standard",
        "team": None,
        "project": None,
        "api_key_hash": None,
        "tags": [],
        "requests": 1,
        "input_tokens": 100,
        "cached_input_tokens": 0,
        "cache_write_tokens": 0,
        "output_tokens": 50,
        "cost": Decimal("0.01"),
        "currency": "USD",
        "cost_basis": "reported",
        "original_cost": None,
        "original_currency": None,
        "fx_rate": None,
        "ingested_at": datetime(2026, 11, 10, 12, 5, tzinfo=UTC),
    }
    row.update(overrides)
    return row


def insert_rows(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(ledger.insert(), rows)
