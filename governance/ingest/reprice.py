"""`governance reprice`: unpriced rows priced once a price exists (a new `[prices]` entry,
or a newer genai-prices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from governance.domain.usage import BadRecord, LedgerRules, Tokens, in_budget_currency
from governance.ledger.errors import translate_db_errors
from governance.ledger.rollups import RollupDelta
from governance.ledger.tables import ledger

_BATCH = 1000


@dataclass
class RepriceReport:
    examined: int = 0
    priced: int = 0
    cost: Decimal = Decimal(0)


def reprice(engine: Engine, rules: LedgerRules, since: datetime | None = None) -> RepriceReport:
    """Price every unpriced row (since ``since``) that now has a price; each batch commits."""
    report = RepriceReport()
    last_id = 0
    while True:
        query = (
            select(ledger)
            .where(ledger.c.cost_basis == "unpriced", ledger.c.id > last_id)
            .order_by(ledger.c.id)
            .limit(_BATCH)
        )
        if since is not None:
            query = query.where(ledger.c.occurred_at >= since)
        with translate_db_errors(engine), engine.begin() as conn:
            rows = conn.execute(query).mappings().all()
            if not rows:
                return report
            rollup = RollupDelta()
            for row in rows:
                report.examined += 1
                tokens = Tokens(
                    row["input_tokens"],
                    row["cached_input_tokens"],
                    row["cache_write_tokens"],
                    row["output_tokens"],
                )
                priced = rules.price(row["model"], row["provider"], tokens, row["occurred_at"])
                if priced is None:
                    continue
                try:
                    money = in_budget_currency(*priced, rules)
                except BadRecord:
                    continue  # priced in a currency without an [fx] rate: stays unpriced
                repriced = {**money, "cost_basis": "priced"}
                conn.execute(update(ledger).where(ledger.c.id == row["id"]).values(repriced))
                rollup.add(dict(row), -1)
                rollup.add({**row, **repriced})
                report.priced += 1
                report.cost += Decimal(str(money["cost"]))
            rollup.flush(conn)
        last_id = rows[-1]["id"]
