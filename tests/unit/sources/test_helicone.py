"""The helicone reader on Helicone request query results (tests/fixtures/helicone)."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from governance.domain.usage import UsageRecord
from governance.sources import helicone
from governance.sources.base import Parsed, Rejected
from governance.sources.formats import detect_file
from tests.unit.sources.readers import FIXTURES, first_item, november, read, records

_read = partial(read, name="helicone")
_records = partial(records, name="helicone")
_at = november
PAGE = FIXTURES / "helicone" / "query_page.json"
ROWS = FIXTURES / "helicone" / "rows.jsonl"
BAD = FIXTURES / "helicone" / "bad.jsonl"
ERROR = FIXTURES / "helicone" / "error.json"


PAGE_RECORDS = [
    UsageRecord(
        source_key="5b0c6f1e-3f7a-4d2b-9c1e-0a8b7c6d5e4f",
        occurred_at=_at(3, 9, 15, 2, 123000),
        model="gpt-4o-mini",
        provider="openai",
        input_tokens=1200,
        output_tokens=250,
        cost=Decimal("0.00033"),
        team="search",
        tags=("team:search", "environment:prod"),
    ),
    UsageRecord(  # prompt_tokens is the fresh input only; session id and path are dropped
        source_key="d8e9f0a1-b2c3-4d4e-8f5a-6b7c8d9e0f1a",
        occurred_at=_at(4, 23, 59, 59, 999000),
        model="claude-3-5-sonnet-20241022",
        provider="anthropic",
        input_tokens=3700,
        cached_input_tokens=3000,
        cache_write_tokens=500,
        output_tokens=400,
        cost=Decimal("0.009375"),
        team="data-eng",
        tags=("Helicone-Session-Name:nightly-etl", "team:data-eng", "category:batch"),
    ),
    UsageRecord(  # reasoning kept out of completion_tokens; a property with its header prefix
        source_key="1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
        occurred_at=_at(5, 8, 31, 10, 500000),
        model="o3-mini-2025-01-31",
        provider="openai",
        input_tokens=500,
        output_tokens=2336,
        cost=Decimal("0.0108284"),
        team="platform",
        project="code-review",
        tags=("Project:code-review", "team:platform"),
    ),
    UsageRecord(  # answered from Helicone's cache
        source_key="9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        occurred_at=_at(3, 9, 16, 40, 120000),
        model="gpt-4o-mini",
        provider="openai",
        cost=Decimal(0),
        cache_hit=True,
        team="search",
        tags=("team:search", "environment:prod"),
    ),
]

ROW_RECORDS = [
    UsageRecord(  # an older /v1/request/query row: costUSD only, request_model first
        source_key="3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        occurred_at=_at(5, 14, 20, 0, 481000),
        model="gpt-4o",
        provider="openai",
        input_tokens=1000,
        output_tokens=1000,
        cost=Decimal("0.0125"),
        tags=("environment:staging",),
    ),
    UsageRecord(  # request_model null: the response's model
        source_key="e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
        occurred_at=_at(5, 15, 0, 0),
        model="claude-3-haiku-20240307",
        provider="anthropic",
        input_tokens=2000,
        output_tokens=300,
        cost=Decimal("0.000875"),
    ),
    UsageRecord(  # straight from ClickHouse: naive UTC time, quoted counts, no price known
        source_key="f0e1d2c3-b4a5-4968-8778-695a4b3c2d1e",
        occurred_at=_at(5, 16, 45, 12),
        model="llama-3.1-70b-instruct",
        provider="custom",
        input_tokens=900,
        output_tokens=100,
        cost=Decimal(0),
        team="ml-platform",
        tags=("team:ml-platform",),
    ),
]


def test_a_query_page_becomes_exact_usage_records() -> None:
    assert _records(PAGE) == PAGE_RECORDS


def test_rows_as_json_lines_become_exact_usage_records() -> None:
    assert _records(ROWS) == ROW_RECORDS


def test_cost_wins_over_costusd_and_totals_to_the_cent() -> None:
    page = _records(PAGE)
    assert page[1].cost == Decimal("0.009375")  # its costUSD (0.0066) ignores the cache
    total = sum((record.cost or Decimal(0) for record in page), Decimal(0))
    assert total == Decimal("0.0205334")
    assert total.quantize(Decimal("0.01")) == Decimal("0.02")


def test_page_locations_name_the_row() -> None:
    locations = [result.location for result in _read(PAGE)]
    assert locations == [f"{PAGE}:1 data[{index}]" for index in range(4)]


def test_bad_rows_are_rejected_with_the_reason_and_reading_goes_on() -> None:
    results = _read(BAD)
    reasons = [result.reason for result in results if isinstance(result, Rejected)]
    assert len(reasons) == 5
    assert "missing field 'request_id'" in reasons[0]
    assert "'request_created_at' is not a time" in reasons[1]
    assert "negative cost" in reasons[2] and "-0.002" in reasons[2]
    assert reasons[3].startswith("not JSON")
    assert "'prompt_tokens' is not a count" in reasons[4]
    assert isinstance(results[-1], Parsed)


def test_an_error_answer_is_rejected_with_helicones_message() -> None:
    [result] = _read(ERROR)
    assert isinstance(result, Rejected)
    assert "error" in result.reason and "Invalid API key" in result.reason


def test_a_json_array_of_rows_is_read_item_by_item(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in ROWS.read_text().splitlines()]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([rows[0], 42], indent=2))
    first, second = _read(path)
    assert isinstance(first, Parsed) and first.record.cost == Decimal("0.0125")
    assert isinstance(second, Rejected) and second.location == f"{path}:1 [1]"


@pytest.mark.parametrize("path", [PAGE, ROWS])
def test_helicone_files_are_detected(path: Path) -> None:
    fmt, _ = detect_file(path)
    assert fmt.name == "helicone"


def test_sniff_rejects_every_other_formats_fixture() -> None:
    others = [p for p in FIXTURES.glob("*/*") if p.is_file() and p.parent.name != "helicone"]
    assert others, "no other fixtures to compare with"
    for path in others:
        assert not helicone.sniff(first_item(path)), path


def test_sniff_tells_a_helicone_page_from_a_litellm_spend_logs_page() -> None:
    litellm_row = first_item(FIXTURES / "litellm" / "spend_logs.jsonl")
    ui_page = {"data": [litellm_row], "total": 1, "page": 1, "page_size": 50, "total_pages": 1}
    assert not helicone.sniff(ui_page)
    assert helicone.sniff({"data": [PAGE_ROW], "error": None})


PAGE_ROW = {"request_id": "r-1", "request_created_at": "2026-11-03T09:15:02.123Z"}
