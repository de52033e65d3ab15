"""Hostile values through the real ingest path (a configured source, as the daemon reads it), on
both ledgers: issue #14 rows 1 (money and counts beyond 64 bits), 2 (lone surrogates) and 6
(year 0001, 9999). Before, each one stopped its batch, every later file of the run and every
later run; now the record is quarantined with its reason and the rest is read."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dashboard import theme
from dashboard.context import PageContext
from dashboard.pages import data as data_page
from dashboard.pages import spend as spend_page
from governance.cli import main
from governance.context import Governance
from governance.ingest import quarantine as quarantined
from governance.ingest.service import ingest, ledger_rules, report_document
from governance.ledger.tables import ledger
from tests.integration.conftest import NOW, AppFactory
from tests.integration.hostile import SPECS, WHEN, Spec, put, write

BIGINT = 2**63
TOO_COSTLY = 9_223_372_037  # dollars: one nano-unit more than a BIGINT holds, rounded


def _source(spec: Spec, folder: Path) -> str:
    mapping = "".join(f'{k} = "{v}"\n' for k, v in spec.context.mapping.items())
    return (f'[[sources]]\nname = "hostile"\nformat = "{spec.name}"\npath = "{folder}/*"\n'
            + (f"[sources.mapping]\n{mapping}" if mapping else ""))  # fmt: skip


def _suffix(spec: Spec) -> str:
    return {"jsonl": ".jsonl", "page": ".json", "csv": ".csv"}[spec.kind]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """The source's folder (apart from the SQLite ledger's)."""
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def _run(app: Governance) -> dict[str, Any]:
    document = report_document(ingest(app, [], source_name="hostile"), "USD")
    assert document["read"] == document["added"] + document["duplicates"] + document["quarantined"]
    return document


def _markers(app: Governance, spec: Spec) -> set[str]:
    """The markers of the source's ledger rows (their id, or their project for billing rows)."""
    column = (
        ledger.c.project if spec.kind == "page" or spec.name == "focus" else ledger.c.source_key
    )
    with app.engine.connect() as conn:
        return set(conn.execute(select(column).where(ledger.c.source == "hostile")).scalars())


def _reasons(app: Governance) -> dict[str, str]:
    """Held records by what they hold (the raw text) -> reason."""
    held = quarantined.list_held(app.engine, "hostile")
    return {quarantined.show(app.engine, i["id"])["raw"]: i["reason"] for i in held}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_money_and_counts_beyond_64_bits_are_held_and_the_run_goes_on(
    make_app: AppFactory, logs: Path, name: str
) -> None:
    spec = SPECS[name]
    bad = [spec.record("good-1")]
    if spec.cost is not None:  # in the format's unit: cents where it counts cents
        cost = TOO_COSTLY * 100 if spec.cents else TOO_COSTLY
        value = str(cost) if name == "anthropic-cost" else cost  # a decimal string there
        bad.append(put(spec.record("big-cost"), spec.cost, value))
    if spec.tokens is not None:
        bad.append(put(spec.record("big-count"), spec.tokens, BIGINT))
    write(spec, logs / f"a{_suffix(spec)}", bad)
    write(spec, logs / f"b{_suffix(spec)}", [spec.record("good-2")])  # a later file of the run
    app = make_app(_source(spec, logs))

    first = _run(app)
    assert (first["added"], first["quarantined"]) == (2, len(bad) - 1)
    assert _markers(app, spec) == {"good-1", "good-2"}
    reasons = _reasons(app)
    assert len(reasons) == len(bad) - 1
    assert all("beyond what the ledger holds" in reason for reason in reasons.values()), reasons
    assert _run(app)["read"] == 0  # the cursor moved past them: the source is not stuck


@pytest.mark.parametrize("name", ["litellm", "openai-usage", "anthropic-usage"])
def test_a_price_that_makes_a_cost_beyond_64_bits_holds_the_record(
    make_app: AppFactory, logs: Path, name: str
) -> None:
    spec = SPECS[name]
    assert spec.tokens is not None
    record = spec.record("priced")
    if spec.cost is not None:
        record = put(record, spec.cost, 0)  # a gateway's 0 with tokens: priced by the ledger
    write(spec, logs / f"a{_suffix(spec)}", [put(record, spec.tokens, 10**15),
                                                 spec.record("small")])  # fmt: skip
    # 10^15 tokens at $5,000 per million: $5e12, beyond the ledger's $9.2e9.
    prices = '[prices."*"]\ninput = "5000"\noutput = "5000"\n'
    app = make_app(_source(spec, logs) + prices)
    document = _run(app)
    assert (document["added"], document["quarantined"]) == (1, 1)
    (reason,) = _reasons(app).values()
    assert "beyond what the ledger holds" in reason and "as priced for" in reason


def test_lone_surrogates_are_held_or_stored_escaped_never_failing_the_batch(
    make_app: AppFactory, logs: Path
) -> None:
    # A file name that is not UTF-8 reaches Python as surrogate escapes too.
    spec = SPECS["litellm"]
    records = [
        spec.record("ok"),
        spec.record("team") | {"metadata": {"user_api_key_team_alias": "search \ud83d"}},
        spec.record("tag") | {"request_tags": ["env:\udc00"]},
        spec.record("key") | {"api_key": "sk-\ud83d-half"},  # hashed: all of it that is kept
        spec.record("neg") | {"spend": -1, "user": "\ud83d"},  # held for its cost
    ]
    # Written as JSON writers write them (\\ud83d); a file name that is not UTF-8 reaches
    # Python as surrogate escapes too.
    write(spec, logs / os.fsdecode(b"gateway-\xff.jsonl"), records)
    app = make_app(_source(spec, logs))
    document = _run(app)
    assert (document["read"], document["added"], document["quarantined"]) == (5, 2, 3)
    assert _markers(app, spec) == {"ok", "key"}
    held = {item["location"].rsplit(":", 1)[1]: item for item in quarantined.list_held(app.engine)}
    assert set(held) == {"2", "3", "5"}
    assert "a lone surrogate (U+D83D" in held["2"]["reason"]
    assert "a lone surrogate (U+DC00" in held["3"]["reason"]
    assert "\\udcff" in held["2"]["location"]  # the file name, escaped where it cannot be stored
    raw = quarantined.show(app.engine, held["5"]["id"])["raw"]
    assert json.loads(raw)["user"] == "\ud83d"  # what was read, escaped: a retry meets the same
    retried = quarantined.retry(app.engine, ledger_rules(app), app.clock, {})
    assert (retried.retried, retried.released) == (3, 0)
    assert _run(app)["read"] == 0  # its cursor, kept under the escaped name, is found again


def test_times_before_2000_or_after_tomorrow_are_held_and_pages_and_cli_still_answer(
    make_app: AppFactory, logs: Path
) -> None:
    spec = SPECS["litellm"]
    times = {
        "go-zero": "0001-01-01T00:00:00",
        "year-9999": "9999-12-31T23:59:59",
        "last-century": "1999-12-31T23:59:59",
        "in-two-days": (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S"),
        "in-an-hour": (NOW + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "ok": WHEN.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    write(spec, logs / "a.jsonl", [put(spec.record(k), spec.time, v) for k, v in times.items()])
    # West of UTC, year 0001 in the ledger once made the Spend page answer 500.
    west = ('timezone = "UTC"', 'timezone = "America/Los_Angeles"')
    app = make_app(_source(spec, logs), replace=west)
    assert app.config.budget.timezone == "America/Los_Angeles"
    document = _run(app)
    assert (document["added"], document["quarantined"]) == (2, 4)
    assert _markers(app, spec) == {"ok", "in-an-hour"}
    reasons = sorted(_reasons(app).values())
    assert sum("is before 2000-01-01" in r for r in reasons) == 2
    assert sum("more than a day after now" in r for r in reasons) == 2

    theme.register_template()
    context = PageContext(app)
    spend_page.layout(context)
    data_page.layout(context)
    runner = CliRunner()
    held = quarantined.list_held(app.engine)
    for args in (
        ["spend", "--by", "day"],
        ["status"],
        ["quarantine", "list"],
        ["quarantine", "show", str(held[0]["id"])],
        ["quarantine", "list", "--json"],
    ):
        result = runner.invoke(main, args, obj={"app": app}, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
    with app.engine.connect() as conn:
        earliest = conn.execute(select(func.min(ledger.c.occurred_at))).scalar_one()
    assert earliest.year >= 2000
