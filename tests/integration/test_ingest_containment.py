"""Containment at the writer, on both ledgers: rows the database itself refuses (values that got
past every check before it) are found by halving the batch; they are quarantined with the
database's reason and the rest commit with the cursor. Before, the whole batch failed, and with
it every later run of the source."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from governance.ingest import quarantine as quarantined
from governance.ingest.writer import BatchWriter, Cursor, Origin, load_cursor, start_run
from governance.ledger.tables import ingest_runs, ledger, quarantine
from governance.sources.base import Rejected
from tests.factories import ledger_row, rollups_match_ledger
from tests.integration.conftest import NOW

# Values no ledger column can hold, as a bug in a check (or a check forgotten) would let by.
POISON: dict[int, dict[str, Any]] = {
    3: {"cost": Decimal("1e10")},
    17: {"input_tokens": 2**63},
    29: {"team": "half \ud83d"},
    38: {"output_tokens": -(2**63) - 1},
}


def _row(i: int, layer: str) -> dict[str, Any]:
    row = ledger_row(source_key=f"k{i}", requests=0 if layer == "billing" else 1)
    del row["layer"], row["source"], row["ingested_at"]
    return row | POISON.get(i, {})


@pytest.mark.parametrize("layer", ["gateway", "billing"])
def test_rows_the_database_refuses_are_found_and_held_and_the_rest_commit(
    ledger_engine: Engine, layer: str
) -> None:
    run_id = start_run(ledger_engine, "src", NOW)
    writer = BatchWriter(ledger_engine, "src", "jsonl", layer, run_id)  # type: ignore[arg-type]
    rows = [_row(i, layer) for i in range(40)]
    origins = [Origin(f"f.jsonl:{i}", {"id": f"k{i}", "token": "sk-secret-value-1"})
               for i in range(40)]  # fmt: skip
    rejected = [Rejected("f.jsonl:40", "not JSON", "{")]
    counts = writer.write(rows, rejected, Cursor("f.jsonl", {"offset": 41}), NOW, origins=origins)

    assert (counts.read, counts.added, counts.quarantined) == (41, 36, 5)
    with ledger_engine.connect() as conn:
        keys = set(conn.execute(select(ledger.c.source_key)).scalars())
        run = conn.execute(select(ingest_runs).where(ingest_runs.c.id == run_id)).mappings().one()
    assert keys == {f"k{i}" for i in range(40) if i not in POISON}
    assert (run["read"], run["added"], run["quarantined"]) == (41, 36, 5)
    assert load_cursor(ledger_engine, "src", "f.jsonl") == {"offset": 41}
    held = {item["location"]: item for item in quarantined.list_held(ledger_engine)}
    assert set(held) == {"f.jsonl:40", *(f"f.jsonl:{i}" for i in POISON)}
    for i in POISON:
        reason = held[f"f.jsonl:{i}"]["reason"]
        assert reason.startswith("the ledger refused it: ") and "\n" not in reason
        raw = quarantined.show(ledger_engine, held[f"f.jsonl:{i}"]["id"])["raw"]
        assert f'"k{i}"' in raw and "sk-secret-value-1" not in raw  # redacted as any record
    rollups_match_ledger(ledger_engine)


def test_a_retried_record_the_database_refuses_again_stays_held(ledger_engine: Engine) -> None:
    run_id = start_run(ledger_engine, "src", NOW)
    writer = BatchWriter(ledger_engine, "src", "jsonl", "gateway", run_id)
    writer.write([], [Rejected("f.jsonl:1", "no [fx] rate", '{"id": "k1"}')], None, NOW)
    (item,) = quarantined.list_held(ledger_engine)
    good, bad = _row(1, "gateway"), _row(3, "gateway")  # 3: a cost beyond 64 bits
    origins = [Origin("f.jsonl:1", {}, item["id"]), Origin("f.jsonl:1", {}, item["id"])]
    counts = writer.write([good, bad], [], None, NOW, [item["id"]], origins)
    assert (counts.added, counts.quarantined, counts.kept) == (1, 1, [item["id"]])
    (still,) = quarantined.list_held(ledger_engine)
    assert still["id"] == item["id"] and still["reason"].startswith("the ledger refused it")
    with ledger_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(quarantine)).scalar_one() == 1
