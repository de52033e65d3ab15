"""Pulling the billing APIs (a local stand-in over real sockets) into real ledgers: pagination,
the request each provider documents, the open-bucket cursor, re-pulls and revised buckets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from governance.context import Governance
from governance.ingest.pull import pull
from governance.ingest.writer import load_cursor
from governance.ledger.tables import ledger, quarantine
from tests.integration.conftest import AppFactory
from tests.standins.provider_api import ProviderApi, fixture_buckets

KEY = "sk-admin-Zq8vT1x9-not-a-real-key"
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)  # the 2026-11-04 buckets are still open
NOV_1, NOV_3 = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    format: str
    path: str
    fixtures: tuple[str, ...]
    results: int  # results in the buckets up to NOW
    group_by: list[str]


CASES = {
    "openai-costs": Case(
        "openai-costs",
        "/v1/organization/costs",
        ("openai/costs_page1.json", "openai/costs_page2.json"),
        8,
        ["project_id", "line_item"],
    ),
    "openai-usage": Case(
        "openai-usage",
        "/v1/organization/usage/completions",
        ("openai/usage_completions_page1.json", "openai/usage_completions_page2.json"),
        9,
        ["project_id", "api_key_id", "model", "batch"],
    ),
    "anthropic-usage": Case(
        "anthropic-usage",
        "/v1/organizations/usage_report/messages",
        ("anthropic/usage_messages_page1.json", "anthropic/usage_messages_page2.json"),
        7,
        ["api_key_id", "workspace_id", "model", "service_tier", "context_window"],
    ),
    "anthropic-cost": Case(
        "anthropic-cost",
        "/v1/organizations/cost_report",
        ("anthropic/cost_report_page1.json", "anthropic/cost_report_page2.json"),
        12,
        ["workspace_id", "description"],
    ),
}
EXACT_TOTALS = {"openai-costs": Decimal("26.45457"), "anthropic-cost": Decimal("12.5123852")}


class Sleeps(list[float]):
    """The injected sleep: records what it was asked to wait, and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def api() -> Iterator[ProviderApi]:
    with ProviderApi(KEY, max_page_size=1).running() as running:
        yield running


def source_app(
    make_app: AppFactory, fmt: str, url: str, key: str = KEY, **options: Any
) -> Governance:
    opts = ", ".join(f"{name} = {value!r}" for name, value in options.items())
    toml = (
        f'[[sources]]\nname = "billing"\nformat = "{fmt}"\nurl = "{url}"\n'
        f'api_key_env = "ADMIN_KEY"\noptions = {{ {opts} }}\n'
    ).replace("'", '"')
    return replace(make_app(toml), environ={"ADMIN_KEY": key}, clock=lambda: NOW)


def ledger_total(engine: Engine) -> tuple[int, Decimal, int]:
    """Rows, their cost and their output tokens."""
    with engine.connect() as conn:
        rows = conn.execute(select(ledger.c.cost, ledger.c.output_tokens)).all()
    return len(rows), sum((r.cost for r in rows), Decimal(0)), sum(r.output_tokens for r in rows)


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_a_first_pull_reads_every_page_as_the_provider_documents(
    make_app: AppFactory, api: ProviderApi, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = api.serve(case.path, fixture_buckets(*case.fixtures))
    app = source_app(make_app, case.format, url)
    [report] = pull(app, sleep=Sleeps())
    [entry] = report.files
    assert entry.error is None
    counts = entry.counts
    assert (counts.read, counts.added, counts.quarantined) == (case.results, case.results, 0)
    # One bucket per page (the stand-in's cap): Nov 1 to Nov 4, the open day included.
    assert [r.params.get("page") for r in api.received] == [
        None,
        ["page_000001"],
        ["page_000002"],
        ["page_000003"],
    ]
    first = api.received[0]
    assert first.path == case.path
    if case.format.startswith("openai"):
        assert first.headers["authorization"] == f"Bearer {KEY}"
        assert first.params["start_time"] == [str(int(NOV_1.timestamp()))]
        assert first.params["end_time"] == [str(int(NOW.timestamp()))]
        assert first.params["group_by"] == case.group_by
    else:
        assert first.headers["x-api-key"] == KEY
        assert first.headers["anthropic-version"] == "2023-06-01"
        assert first.params["starting_at"] == ["2026-11-01T00:00:00Z"]
        assert first.params["ending_at"] == ["2026-11-04T12:00:00Z"]
        assert first.params["group_by[]"] == case.group_by
    assert (first.params["bucket_width"], first.params["limit"]) == (["1d"], ["31"])
    rows, cost, _ = ledger_total(app.engine)
    assert rows == case.results
    if case.format in EXACT_TOTALS:
        assert cost == EXACT_TOTALS[case.format] == counts.cost
    assert load_cursor(app.engine, "billing", url) == {"open_since": "2026-11-04T00:00:00+00:00"}
    assert KEY not in caplog.text and "GET" in caplog.text


def test_a_re_pull_asks_from_the_open_bucket_less_the_lookback_and_adds_nothing(
    make_app: AppFactory, api: ProviderApi
) -> None:
    url = api.serve("/v1/organization/costs", fixture_buckets(*CASES["openai-costs"].fixtures))
    app = source_app(make_app, "openai-costs", url)
    pull(app, sleep=Sleeps())
    api.received.clear()
    [report] = pull(app, sleep=Sleeps())
    counts = report.files[0].counts
    assert api.received[0].params["start_time"] == [str(int(NOV_3.timestamp()))]
    # The Nov 3 bucket (2 results) and the empty Nov 4 one, read again: nothing new.
    assert (counts.read, counts.added, counts.duplicates, counts.cost) == (2, 0, 2, Decimal(0))
    assert ledger_total(app.engine)[:2] == (8, EXACT_TOTALS["openai-costs"])


def test_a_revised_bucket_replaces_its_old_value(make_app: AppFactory, api: ProviderApi) -> None:
    buckets = fixture_buckets(*CASES["anthropic-cost"].fixtures)
    url = api.serve("/v1/organizations/cost_report", buckets)
    app = source_app(make_app, "anthropic-cost", url)
    pull(app, sleep=Sleeps())
    buckets[2]["results"][0]["amount"] = "120.7"  # Nov 3, Sonnet input: 98.7 cents revised
    [report] = pull(app, sleep=Sleeps())
    counts = report.files[0].counts
    assert (counts.added, counts.duplicates, counts.cost) == (1, 1, Decimal("0.22"))
    assert ledger_total(app.engine)[:2] == (12, EXACT_TOTALS["anthropic-cost"] + Decimal("0.22"))


def test_options_set_the_start_the_width_and_the_grouping(
    make_app: AppFactory, api: ProviderApi
) -> None:
    url = api.serve("/v1/organization/usage/completions", [])
    app = source_app(
        make_app,
        "openai-usage",
        url,
        start="2026-10-20",
        bucket_width="1h",
        group_by="model, batch",
    )
    [report] = pull(app, sleep=Sleeps())
    assert report.files[0].error is None
    params = api.received[0].params
    assert params["start_time"] == [str(int(datetime(2026, 10, 20, tzinfo=UTC).timestamp()))]
    assert (params["bucket_width"], params["limit"], params["group_by"]) == (
        ["1h"],
        ["168"],
        ["model", "batch"],
    )
    # No bucket came back: the cursor is the start of the hour that holds NOW.
    assert load_cursor(app.engine, "billing", url) == {"open_since": "2026-11-04T12:00:00+00:00"}


def test_bad_results_are_quarantined_at_their_page_and_index(
    make_app: AppFactory, api: ProviderApi
) -> None:
    buckets = fixture_buckets(*CASES["openai-costs"].fixtures)
    buckets[1]["results"][1]["amount"]["value"] = "a lot"
    url = api.serve("/v1/organization/costs", buckets)
    app = source_app(make_app, "openai-costs", url)
    [report] = pull(app, sleep=Sleeps())
    assert (report.files[0].counts.added, report.files[0].counts.quarantined) == (7, 1)
    with app.engine.connect() as conn:
        location = conn.execute(select(quarantine.c.location)).scalar_one()
    assert location == f"{url} page 2 data[0].results[1]"
