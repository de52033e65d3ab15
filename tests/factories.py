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
        "priced_model": None,
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
    """Write rows as the ingest does: the ledger and its rollups in one transaction."""
    from governance.ledger.rollups import RollupDelta

    rollup = RollupDelta()
    for row in rows:
        rollup.add(row)
    with engine.begin() as conn:
        conn.execute(ledger.insert(), rows)
        rollup.flush(conn)


def rollups_match_ledger(engine: Engine) -> None:
    """Assert that both rollups hold exactly the ledger's sums, computed here independently."""
    from collections import defaultdict

    from sqlalchemy import select

    from governance.ledger.tables import rollup_daily, rollup_hourly

    want_hourly: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [Decimal(0), 0, 0, 0, 0])
    want_daily: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [Decimal(0), 0, 0, 0, 0, 0])
    with engine.connect() as conn:
        for row in conn.execute(select(ledger)).mappings():
            at = row["occurred_at"]
            hour = (at.replace(minute=0, second=0, microsecond=0), row["provider"], row["layer"],
                    row["category"])  # fmt: skip
            sums = want_hourly[hour]
            sums[0] += row["cost"]
            sums[1] += row["requests"]
            sums[2] += row["input_tokens"]
            sums[3] += row["output_tokens"]
            sums[4] += 1
            day = (at.date(), row["provider"], row["layer"], row["category"], row["tier"],
                   row["model"], row["team"] or "")  # fmt: skip
            totals = want_daily[day]
            totals[0] += row["cost"]
            totals[1] += row["requests"]
            totals[2] += row["input_tokens"]
            totals[3] += row["output_tokens"]
            totals[4] += 1
            totals[5] += row["cost_basis"] == "unpriced"
        hourly = {
            (r.hour, r.provider, r.layer, r.category): [
                r.cost,
                r.requests,
                r.input_tokens,
                r.output_tokens,
                r.rows,
            ]
            for r in conn.execute(select(rollup_hourly))
            if r.rows != 0
        }
        daily = {
            (r.day, r.provider, r.layer, r.category, r.tier, r.model, r.team): [
                r.cost,
                r.requests,
                r.input_tokens,
                r.output_tokens,
                r.rows,
                r.unpriced,
            ]
            for r in conn.execute(select(rollup_daily))
            if r.rows != 0
        }
    assert hourly == dict(want_hourly)
    assert daily == dict(want_daily)
