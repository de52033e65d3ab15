"""Money leaves the product on the nano grid (at most 9 decimals), in every JSON document: the
CLI's --json, GET /directives and /api/v1/status, on SQLite and PostgreSQL. A bill spread over
the gateway's rows of its provider-day is where endless decimals are born (31 x 20 / 30)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from governance.api import Server, make_wsgi_app
from governance.cli import main
from governance.context import Governance
from governance.ledger.spend_view import DIMENSIONS
from tests.factories import insert_rows, ledger_row
from tests.integration.conftest import AppFactory
from tests.integration.test_api import SMALL, fetch, nov

MONEY = re.compile(r"-?\d+(\.\d{1,9})?")
DECIMAL = re.compile(r"-?\d+\.\d+")  # how every money string of ours looks (2 decimals at least)


def strings(document: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in ``document`` with the key it is under."""
    if isinstance(document, str):
        yield key, document
    elif isinstance(document, dict):
        for name, value in document.items():
            yield from strings(value, str(name))
    elif isinstance(document, list):
        for value in document:
            yield from strings(value, key)


def money_of(document: Any) -> dict[str, list[str]]:
    """The decimal strings of ``document`` by key; each must be on the nano grid."""
    found: dict[str, list[str]] = {}
    for key, text in strings(document):
        if DECIMAL.fullmatch(text):
            assert MONEY.fullmatch(text), f"{key}: {text} is off the nano grid"
            found.setdefault(key, []).append(text)
    return found


def billed_batch(app: Governance) -> None:
    """Five November days of premium batch (20) and standard (10) traffic on openai, each
    day billed 31: the bill spread gives batch 20.666... and standard 10.333... a day."""
    rows = []
    for day in range(1, 6):
        rows += [
            ledger_row(category="batch", tier="premium", model="gpt-4o", team="data-eng",
                       cost=Decimal(20), occurred_at=nov(day)),
            ledger_row(category="standard", cost=Decimal(10), occurred_at=nov(day, 13)),
            ledger_row(layer="billing", source="openai-costs", cost=Decimal(31),
                       occurred_at=nov(day, 0)),
        ]  # fmt: skip
    insert_rows(app.engine, rows)


def cli_json(app: Governance, *args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--json"], obj={"app": app})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_every_json_document_writes_money_on_the_nano_grid(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(replace=SMALL)
    billed_batch(app)
    log = tmp_path / "spend.jsonl"
    log.write_text(
        '{"request_id": "r-1", "spend": 0.1234567891234, "model": "gpt-4o-mini", '
        '"startTime": "2026-11-05T10:00:00", "prompt_tokens": 3, "completion_tokens": 1}\n'
        "not json\n",
        encoding="utf-8",
    )
    found: dict[str, list[str]] = {}
    documents = [
        cli_json(app, "ingest", str(log), "--format", "litellm"),
        cli_json(app, "evaluate", "--at", "2026-11-06T00:00:00Z"),
        cli_json(app, "status"),
        *(cli_json(app, "spend", "--by", by) for by in DIMENSIONS),
        cli_json(app, "directives"),
        cli_json(app, "alerts", "list"),
        cli_json(app, "quarantine", "list"),
    ]
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=2) as server:
        for path in ("/directives", "/api/v1/status", "/api/v1/status?period=2026-11"):
            status, _, body = fetch(server.url, path)
            assert status == 200, body
            documents.append(json.loads(body))
    api.close()
    for document in documents:
        for key, texts in money_of(document).items():
            found.setdefault(key, []).extend(texts)
    # The spread amounts were seen, rounded: not a test that found no money to look at.
    assert {"spend", "forecast", "allocation", "cost", "total", "budget"} <= set(found)
    # Each day's bill is split to the nano and in full (on 5 Nov the log's row takes its share
    # too): the five days make 155.00 exactly.
    (directive,) = cli_json(app, "directives")["directives"]
    assert directive["trigger"]["spend"] == "103.333333335"
    spent = {c["name"]: c["spend"] for c in cli_json(app, "status")["categories"]}
    assert (spent["batch"], spent["standard"]) == ("103.333333335", "51.666666665")
    assert cli_json(app, "spend", "--by", "category")["total"] == "155.00"  # the bills
