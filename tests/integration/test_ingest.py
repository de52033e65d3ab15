"""Ingesting files into real ledgers: counts, idempotence, cursors, quarantine, fx, reprice."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from governance.context import Governance
from governance.ingest import quarantine as quarantined
from governance.ingest.reprice import reprice
from governance.ingest.service import ingest, ledger_rules, report_document
from governance.ingest.writer import BatchWriter, start_run
from governance.ledger.tables import ledger, quarantine
from governance.sources.base import ReadContext
from tests.factories import ledger_row, rollups_match_ledger
from tests.integration.conftest import NOW, AppFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SPEND_LOGS = FIXTURES / "litellm" / "spend_logs.jsonl"


def _doc(app: Governance, paths: list[Path], format_name: str | None = "litellm") -> dict[str, Any]:
    reports = ingest(app, [str(p) for p in paths], format_name)
    document = report_document(reports, "USD")
    assert document["read"] == document["added"] + document["duplicates"] + document["quarantined"]
    return document


def _ledger(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ledger.c.source_key,
                ledger.c.cost,
                ledger.c.cost_basis,
                ledger.c.tier,
                ledger.c.category,
                ledger.c.model,
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _held(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(quarantine).where(quarantine.c.status == "held")
        ).scalar_one()


def test_litellm_rows_are_priced_tiered_and_categorised(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    document = _doc(app, [SPEND_LOGS])
    assert (document["read"], document["added"], document["quarantined"]) == (4, 4, 0)
    rows = _ledger(app.engine)
    first = rows["chatcmpl-9f1c2a7e-0b1d-4c55-9d1e-1a2b3c4d5e6f"]
    assert first == (Decimal("0.00042"), "reported", "standard", "critical", "gpt-4o-mini")
    # A cache hit is free, whatever its tokens.
    assert rows["chatcmpl-2b7d_cache_hit1762161400.12"][:2] == (Decimal(0), "reported")
    # spend 0 with tokens: LiteLLM had no price; the starter's [prices] has llama at 0.05/M.
    assert rows["chatcmpl-77aa0e11"] == (
        Decimal("0.00015"),
        "priced",
        "economy",
        "batch",
        "llama-3.1-70b",
    )
    assert rows["msg_01XyZ"][3] == "batch"  # team ml-platform
    assert Decimal(document["cost"]) == Decimal("0.00042") + Decimal("0.00015") + Decimal("0.0105")


def test_re_ingesting_adds_nothing(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app()
    _doc(app, [SPEND_LOGS])
    again = _doc(app, [SPEND_LOGS])
    assert (again["read"], again["added"], again["cost"]) == (0, 0, "0.00")
    copy = tmp_path / "copy.jsonl"
    shutil.copy(SPEND_LOGS, copy)
    copied = _doc(app, [copy])
    rollups_match_ledger(app.engine)
    assert (copied["read"], copied["added"], copied["duplicates"], copied["cost"]) == (
        4,
        0,
        4,
        "0.00",
    )
    assert len(_ledger(app.engine)) == 4


def _line(request_id: str, spend: str = "0.001", model: str = "gpt-4o") -> str:
    return (
        json.dumps(
            {
                "request_id": request_id,
                "spend": Decimal(spend),
                "startTime": "2026-11-05T10:00:00",
                "model": model,
                "prompt_tokens": 10,
                "completion_tokens": 5,
                "custom_llm_provider": "openai",
                "metadata": {},
                "request_tags": [],
            },
            default=str,
        ).replace(f'"{spend}"', spend)
        + "\n"
    )


def test_appended_files_resume_and_replaced_files_restart(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    log = tmp_path / "gateway.jsonl"
    log.write_text(_line("a") + _line("b"))
    assert _doc(app, [log])["added"] == 2
    with log.open("a") as handle:
        handle.write(_line("c"))
        handle.write(_line("d")[:-20])  # still being written: no newline yet
    resumed = _doc(app, [log])
    assert (resumed["read"], resumed["added"]) == (1, 1)
    with log.open("a") as handle:
        handle.write(_line("d")[-20:])
    assert _doc(app, [log])["added"] == 1
    log.write_text(_line("a") + _line("e"))  # truncated and rewritten
    replaced = _doc(app, [log])
    assert (replaced["read"], replaced["added"], replaced["duplicates"]) == (2, 1, 1)
    assert sorted(_ledger(app.engine)) == ["a", "b", "c", "d", "e"]
    rollups_match_ledger(app.engine)


def test_bad_records_are_quarantined_once_with_where_and_why(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    log = tmp_path / "bad.jsonl"
    log.write_text(
        _line("ok")
        + "{not json\n"
        + _line("neg", spend="-1")
        + json.dumps({"request_id": "t", "spend": 1, "startTime": "yesterday-ish"})
        + "\n"
        + json.dumps(
            {
                "request_id": "k",
                "spend": 1,
                "startTime": "2026-11-05T10:00:00",
                "metadata": {"user_api_key": "sk-live-abcdefghijklmnop"},
                "prompt_tokens": "many",
            }
        )
        + "\n"
    )
    document = _doc(app, [log])
    assert (document["read"], document["added"], document["quarantined"]) == (5, 1, 4)
    items = {i["location"]: i for i in quarantined.list_held(app.engine)}
    assert set(items) == {f"{log}:2", f"{log}:3", f"{log}:4", f"{log}:5"}
    assert "not JSON" in items[f"{log}:2"]["reason"]
    assert "negative cost" in items[f"{log}:3"]["reason"]
    assert "startTime" in items[f"{log}:4"]["reason"]
    assert "prompt_tokens" in items[f"{log}:5"]["reason"]
    raw = quarantined.show(app.engine, items[f"{log}:5"]["id"])["raw"]
    assert "sk-live" not in raw and "***" in raw
    log.write_text(_line("first") + log.read_text())  # rewritten: read again from the start
    again = _doc(app, [log])
    assert (again["read"], again["added"], again["duplicates"], again["quarantined"]) == (
        6,
        1,
        1,
        4,
    )
    assert _held(app.engine) == 4  # the same records at the same places are held once


def test_bad_lines_are_held_as_written_each_one(make_app: AppFactory, tmp_path: Path) -> None:
    """Lines that differ only in fields the reader ignores are distinct records: each is held,
    with its own text (not the typed row's, which drops those fields)."""
    app = make_app()
    log = tmp_path / "bad.jsonl"
    bad = [{"spend": 1, "startTime": "2026-11-05T10:00:00", "trace": f"t-{n}"} for n in range(25)]
    log.write_text("".join(json.dumps(line) + "\n" for line in bad))
    document = _doc(app, [log])
    assert (document["read"], document["quarantined"]) == (25, 25)
    assert _held(app.engine) == 25
    item = quarantined.list_held(app.engine)[0]
    assert '"trace"' in quarantined.show(app.engine, item["id"])["raw"]


def test_a_currency_without_a_rate_is_held_until_the_config_has_one(
    make_app: AppFactory, tmp_path: Path
) -> None:
    log = tmp_path / "eur.csv"
    log.write_text("id,when,model,cost,currency\nr1,2026-11-05T10:00:00Z,gpt-4o,10.00,GBP\n")
    source = f"""
[[sources]]
name = "eu-proxy"
format = "csv"
path = "{log}"
mapping = {{ id = "id", time = "when", model = "model", cost = "cost", currency = "currency" }}
"""
    app = make_app(source)
    document = report_document(ingest(app, [], None, "eu-proxy"), "USD")
    assert document["quarantined"] == 1
    (item,) = quarantined.list_held(app.engine)
    assert "GBP" in item["reason"]
    fixed = make_app(source + "\n", replace=('EUR = "1.08"', 'EUR = "1.08"\nGBP = "1.25"'))
    contexts = {"eu-proxy": ReadContext(fixed.source("eu-proxy").mapping)}
    report = quarantined.retry(fixed.engine, ledger_rules(fixed), fixed.clock, contexts)
    assert (report.retried, report.released, report.held) == (1, 1, 0)
    assert _ledger(fixed.engine)["r1"][0] == Decimal("12.5")
    assert _held(fixed.engine) == 0
    rollups_match_ledger(fixed.engine)


def test_reprice_prices_rows_once_a_price_exists(make_app: AppFactory, tmp_path: Path) -> None:
    log = tmp_path / "new-model.jsonl"
    log.write_text(_line("x", spend="0", model="hosted_vllm/acme-7b"))
    app = make_app()
    document = _doc(app, [log])
    assert (document["added"], document["unpriced"], document["files"][0]["unpriced"]) == (1, 1, 1)
    assert _ledger(app.engine)["x"][:2] == (Decimal(0), "unpriced")
    assert reprice(app.engine, ledger_rules(app)).priced == 0
    priced = make_app('[prices."acme-*"]\ninput = "1.00"\noutput = "2.00"\n')
    report = reprice(priced.engine, ledger_rules(priced))
    assert (report.examined, report.priced) == (1, 1)
    assert _ledger(priced.engine)["x"][:2] == (Decimal("0.00002"), "priced")
    rollups_match_ledger(priced.engine)


def test_a_revised_billing_bucket_replaces_its_old_values(ledger_engine: Engine) -> None:
    run_id = start_run(ledger_engine, "openai-costs", NOW)
    writer = BatchWriter(ledger_engine, "openai-costs", "openai-costs", "billing", run_id)
    bucket = ledger_row(source_key="bucket-1", cost=Decimal("10.00"))
    del bucket["layer"], bucket["source"], bucket["ingested_at"]
    first = writer.write([bucket], [], None, NOW)
    assert (first.added, first.cost) == (1, Decimal("10.00"))
    same = writer.write([bucket], [], None, NOW)
    assert (same.added, same.duplicates, same.cost) == (0, 1, Decimal(0))
    revised = writer.write([bucket | {"cost": Decimal("12.50")}], [], None, NOW)
    assert (revised.read, revised.added, revised.duplicates, revised.cost) == (
        1,
        1,
        0,
        Decimal("2.50"),
    )
    with ledger_engine.connect() as conn:
        costs = (
            conn.execute(select(ledger.c.cost).where(ledger.c.source == "openai-costs"))
            .scalars()
            .all()
        )
    assert costs == [Decimal("12.50")]
    rollups_match_ledger(ledger_engine)
