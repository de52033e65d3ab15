"""`governance demo` on real ledgers: the files' formats, the accounting, reruns, the month's story.

The demos here run against the starter config with a tenth of its budget: the calibration is
relative to the allocations, so the month is the same in shape, with a tenth of the rows.
A category's actual spend is what `governance status` reports: its budget spend, where each
provider-day's bill replaces the gateway's cost of that day.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from governance.cli import main
from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.demo import run_demo
from governance.demo.run import Demo, write_month
from governance.demo.scenario import DEFAULT_SEED
from governance.domain.periods import period_containing
from governance.domain.usage import Tokens
from governance.ingest.service import report_document
from governance.jsonout import rfc3339
from governance.ledger.tables import ledger, quarantine
from governance.services import reports
from governance.services.pricing import Pricer
from tests.integration.conftest import NOW, AppFactory

SMALL = ('amount = "50000.00"', 'amount = "5000.00"')
# Each folder's files, and the format that detection must tell from their content.
FORMATS = {
    "litellm": "litellm",
    "openai": "openai-costs",
    "anthropic": "anthropic-cost",
    "focus": "focus",
}
OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def _run(app: Governance, where: Path, label: str | None) -> tuple[Demo, dict[str, Any]]:
    result = run_demo(app, where, label)
    document = report_document(result.reports, "USD")
    assert document["read"] == document["added"] + document["duplicates"] + document["quarantined"]
    return result, document


def _formats_are_detected(document: dict[str, Any]) -> None:
    for entry in document["files"]:
        assert entry["format"] == FORMATS[Path(entry["path"]).parent.name], entry
        assert "error" not in entry


def _rows(app: Governance) -> list[Any]:
    names = ("layer", "source", "provider", "model", "category", "occurred_at", "cost")
    with app.engine.connect() as conn:
        query = select(*(ledger.c[name] for name in (*names, "cost_basis")))
        return list(conn.execute(query))


def _percent(app: Governance, label: str, as_of: datetime) -> dict[str, float]:
    """Each category's actual spend at ``as_of``, in percent of its allocation."""
    document = reports.status_document(app.config, app.engine, app.period(label), as_of)
    return {c["name"]: c["percent"] for c in document["categories"]}


def test_the_current_month_up_to_now(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(replace=SMALL)
    result, document = _run(app, tmp_path / "demo", None)
    assert (result.period.label, result.until) == ("2026-11", NOW)
    _formats_are_detected(document)
    logs = sorted(p.name for p in (tmp_path / "demo" / "litellm").iterdir())
    assert logs == [f"2026-11-{day:02d}.jsonl" for day in range(1, 25)]
    with app.engine.connect() as conn:
        reasons = [r for (r,) in conn.execute(select(quarantine.c.reason))]
    assert document["quarantined"] == len(reasons) == 4
    for words in ("not JSON", "negative cost", "missing field 'startTime'", "no GBP rate"):
        assert any(words in reason for reason in reasons), (words, reasons)
    rows = _rows(app)
    assert {r.model for r in rows if r.cost_basis == "unpriced"} == {"acme-ft-7b"}
    assert {r.model for r in rows if r.cost_basis == "priced"} == {"llama-3.1-70b"}
    assert max(r.occurred_at for r in rows) < NOW
    # Billing lags: the day in progress has gateway rows and no bill yet.
    billed = {r.occurred_at.date() for r in rows if r.source in ("openai-costs", "anthropic-cost")}
    assert max(billed) == date(2026, 11, 23)
    assert date(2026, 11, 24) in {r.occurred_at.date() for r in rows if r.layer == "gateway"}
    used = _percent(app, "2026-11", NOW)
    assert used["batch"] > 100 and used["critical"] < 70 and used["standard"] < 70
    again, second = _run(app, tmp_path / "demo", None)
    assert (again.changed, second["added"], second["cost"]) == (0, 0, "0.00")


def test_a_past_month_whole_with_the_batch_overspend(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(replace=SMALL)
    _, document = _run(app, tmp_path / "demo", "2026-10")
    _formats_are_detected(document)
    assert document["quarantined"] > 0
    at_end = _percent(app, "2026-10", OCTOBER[1])
    assert at_end["batch"] >= 100
    for name in ("critical", "standard"):
        assert 55 < at_end[name] < 70, name
    by_the_19th = _percent(app, "2026-10", datetime(2026, 10, 20, tzinfo=UTC))
    assert 70 <= by_the_19th["batch"] < 100
    rows = _rows(app)
    daily: dict[date, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.layer == "gateway" and row.category != "batch":
            daily[row.occurred_at.date()] += row.cost
    weekend = [cost for day, cost in daily.items() if day.weekday() >= 5]
    weekday = [cost for day, cost in daily.items() if day.weekday() < 5]
    assert max(weekend) < min(weekday)
    vertex = [r for r in rows if r.provider == "google cloud"]
    assert {r.layer for r in vertex} == {"billing"}
    assert {r.model for r in vertex} == {"gemini-1.5-pro", "gemini-2.0-flash"}
    assert {r.category for r in vertex} == {"critical", "standard"}
    _bills_drift_from_the_gateway(rows)


def _bills_drift_from_the_gateway(rows: list[Any]) -> None:
    """Each provider's daily bill is within 1-3% of its gateway cost, but for one day beyond 5%."""
    gateway: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    billed: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for row in rows:
        key = (row.provider, row.occurred_at.date())
        if row.layer == "gateway" and row.provider in ("openai", "anthropic"):
            gateway[key] += row.cost
        elif row.source in ("openai-costs", "anthropic-cost"):
            billed[key] += row.cost
    assert set(billed) == set(gateway)
    drifts = {key: abs(billed[key] / gateway[key] - 1) for key in billed}
    outliers = sorted(key for key, drift in drifts.items() if drift > Decimal("0.05"))
    assert outliers == [("anthropic", date(2026, 10, 16)), ("openai", date(2026, 10, 6))]
    assert all(
        Decimal("0.0099") < d < Decimal("0.0301") for k, d in drifts.items() if k not in outliers
    )


def _app_at(when: datetime, tmp_path: Path) -> Governance:
    config = parse_config(starter_config_text().replace(*SMALL), "test.toml", tmp_path)
    return Governance(config, tmp_path / "governance.toml", {}, lambda: when)


def test_files_only_grow_as_the_clock_moves_on(tmp_path: Path) -> None:
    early = datetime(2026, 11, 10, 6, 30, tzinfo=UTC)
    where = tmp_path / "demo"
    files, _, until = write_month(
        _app_at(early, tmp_path), where, _app_at(early, tmp_path).period(), 7
    )
    assert until == early
    before = {path: path.read_bytes() for path in files if path.suffix in (".jsonl", ".csv")}
    later = _app_at(NOW, tmp_path)
    write_month(later, where, later.period(), 7)
    for path, content in before.items():
        now = path.read_bytes()
        assert now.startswith(content), path  # appended to, never rewritten: cursors stay valid
        assert (now == content) == (path.name < "2026-11-10"), path


def test_the_first_hours_of_a_month_write_what_there_is(tmp_path: Path) -> None:
    app = _app_at(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), tmp_path)
    files, changed, _ = write_month(app, tmp_path / "demo", app.period(), DEFAULT_SEED)
    assert [p.name for p in files] == ["2026-12-01.jsonl"] and changed == 1


def test_gateway_spend_is_the_list_price_of_the_tokens(tmp_path: Path) -> None:
    app = _app_at(datetime(2026, 11, 3, tzinfo=UTC), tmp_path)
    files, _, _ = write_month(app, tmp_path / "demo", app.period(), DEFAULT_SEED)
    price = Pricer(app.config.prices, "USD")
    rows = []
    for line in files[0].read_text().splitlines()[:300:3]:
        try:
            rows.append(json.loads(line, parse_float=Decimal))
        except json.JSONDecodeError:
            continue  # the truncated line planted on the 1st
    priced = [r for r in rows if r["spend"] > 0 and r["cache_hit"] == "False"]
    assert len(priced) > 20
    for row in priced:
        usage = row["metadata"]["additional_usage_values"]
        if row["custom_llm_provider"] == "anthropic":
            cached, written = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
        else:
            cached, written = usage["prompt_tokens_details"]["cached_tokens"], 0
        tokens = Tokens(row["prompt_tokens"], cached, written, row["completion_tokens"])
        when = datetime.fromisoformat(row["startTime"]).replace(tzinfo=UTC)
        listed = price(row["model"], row["custom_llm_provider"], tokens, when)
        assert listed is not None
        assert abs(row["spend"] - listed[0]) <= listed[0] * Decimal("1e-9"), row["request_id"]


def test_the_command_prints_one_json_document(tmp_path: Path) -> None:
    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text().replace(*SMALL), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(config), "init"]).exit_code == 0
    # The command runs on the real clock: last month is whole, whenever the test runs.
    month = period_containing(datetime.now(UTC), "UTC").previous()
    args = ["--config", str(config), "demo", "--period", month.label, "--json"]
    result = runner.invoke(main, [*args, "--if-empty"], catch_exceptions=False)  # it is empty
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["dir"] == str(tmp_path / "demo")
    assert document["period"]["start"] == rfc3339(month.start)
    assert document["period"]["until"] == rfc3339(month.end)
    pages = -(-month.days // 7)  # 7 daily buckets a page
    assert document["files"] == len(document["ingest"]["files"]) == month.days + 2 * pages + 1
    assert document["evaluations"] == month.days - 1  # each midnight after the first
    again = json.loads(runner.invoke(main, args, catch_exceptions=False).output)
    assert (again["ingest"]["read"], again["ingest"]["added"]) == (0, 0)
    assert again["evaluations"] == 0  # the month's midnights are evaluated already
    status = json.loads(
        runner.invoke(
            main, ["--config", str(config), "status", "--json", "--period", month.label]
        ).output
    )
    batch = next(c for c in status["categories"] if c["name"] == "batch")
    crossed_days = {c["at"][:10] for c in batch["crossed"]}
    assert len(crossed_days) > 1  # crossed on the days they happened, not all at once
    skipped = runner.invoke(main, [*args, "--if-empty"], catch_exceptions=False)
    assert json.loads(skipped.output) == {
        "skipped": "the ledger is not empty",
        "ledger_rows": document["ingest"]["added"],
    }
    skipped = runner.invoke(main, [*args[:-1], "--if-empty"], catch_exceptions=False)
    assert skipped.output.startswith("the ledger holds ") and "(--if-empty)" in skipped.output
    future = runner.invoke(main, ["--config", str(config), "demo", "--period", "2999-01"])
    assert future.exit_code == 1 and "has not started" in future.output
    assert [p.default for p in main.commands["demo"].params if p.name == "seed"] == [DEFAULT_SEED]


def test_in_a_period_s_first_week_the_demo_writes_last_month_whole(tmp_path: Path) -> None:
    import time_machine

    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text().replace(*SMALL), encoding="utf-8")
    runner = CliRunner()
    args = ["--config", str(config), "demo", "--json"]
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=UTC), tick=False):
        assert runner.invoke(main, ["--config", str(config), "init"]).exit_code == 0
        document = json.loads(runner.invoke(main, args, catch_exceptions=False).output)
        status = runner.invoke(main, ["--config", str(config), "status", "--json",
                                      "--period", "2026-12"]).output  # fmt: skip
        hint = runner.invoke(main, ["--config", str(config), "status"]).output.splitlines()[-1]
    last_full = "the last full one: governance status --period 2026-12"
    assert hint == f"the period 2027-01 has only begun; {last_full}"
    assert document["period"]["label"] == "2027-01"
    assert document["period"]["until"] == "2027-01-01T00:30:00Z"
    [december] = document["earlier"]
    assert december["period"] == {
        "label": "2026-12",
        "start": "2026-12-01T00:00:00Z",
        "end": "2027-01-01T00:00:00Z",
        "until": "2027-01-01T00:00:00Z",
    }
    assert december["evaluations"] == 30 and december["ingest"]["added"] > 0
    batch = next(c for c in json.loads(status)["categories"] if c["name"] == "batch")
    assert {c["level"] for c in batch["crossed"]} == {70, 90, 100}  # a month worth looking at
    with time_machine.travel(datetime(2027, 1, 7, 0, 30, tzinfo=UTC), tick=False):
        later = json.loads(runner.invoke(main, args, catch_exceptions=False).output)
    assert later["period"]["label"] == "2027-01" and "earlier" in later  # day 7 is still early
    with time_machine.travel(datetime(2027, 1, 20, 12, 0, tzinfo=UTC), tick=False):
        late = json.loads(runner.invoke(main, args, catch_exceptions=False).output)
    assert "earlier" not in late and late["ingest"]["added"] > 0  # the month since day 7
