"""The portkey reader on Portkey log export rows (tests/fixtures/portkey)."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from governance.domain.usage import UsageRecord
from governance.sources import portkey
from governance.sources.base import Parsed, Rejected
from governance.sources.formats import detect_file
from tests.unit.sources.readers import FIXTURES, first_item, november, read, records

_read = partial(read, name="portkey")
_records = partial(records, name="portkey")
_at = november
EXPORT = FIXTURES / "portkey" / "export.jsonl"
BAD = FIXTURES / "portkey" / "bad.jsonl"


EXPECTED = [
    UsageRecord(
        source_key="f3c4a1e2-7b5d-4c9e-8a1f-2d3e4b5c6a70",
        occurred_at=_at(3, 9, 15, 2, 123000),
        model="gpt-4o-mini",
        provider="openai",
        input_tokens=1200,
        output_tokens=250,
        cost=Decimal("0.00033"),
        team="search",
        tags=("_user:u-12", "team:search", "environment:prod"),
    ),
    UsageRecord(
        source_key="0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
        occurred_at=_at(3, 10, 2, 11, 870000),
        model="gpt-4o",
        provider="openai",
        input_tokens=5000,
        cached_input_tokens=4096,
        output_tokens=300,
        cost=Decimal("0.01038"),
        team="support",
        project="helpdesk-bot",
        tags=("_user:u-40", "team:support", "project:helpdesk-bot"),
    ),
    UsageRecord(  # OpenAI-shaped answer from Anthropic: req_units left the cache out
        source_key="c1d2e3f4-a5b6-4c7d-8e9f-a0b1c2d3e4f5",
        occurred_at=_at(4, 23, 59, 59, 999000),
        model="claude-3-5-sonnet-20241022",
        provider="anthropic",
        input_tokens=3700,
        cached_input_tokens=3000,
        cache_write_tokens=500,
        output_tokens=400,
        cost=Decimal("0.009375"),
        team="data-eng",
        project="nightly-etl",
        tags=("Team:data-eng", "Project:nightly-etl", "category:batch"),
    ),
    UsageRecord(  # Anthropic's own messages route: req_units already counts the cache reads
        source_key="7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918",
        occurred_at=_at(5, 8, 30, 45, 2000),
        model="claude-3-5-haiku-20241022",
        provider="anthropic",
        input_tokens=2198,
        cached_input_tokens=2048,
        output_tokens=80,
        cost=Decimal("0.00060384"),
        team="support",
        tags=("_user:triage-bot", "team:support"),
    ),
    UsageRecord(  # not priced by Portkey yet: no cost columns
        source_key="2b3c4d5e-6f70-4819-a2b3-c4d5e6f70819",
        occurred_at=_at(5, 23, 59, 58, 310000),
        model="gpt-4o-mini",
        provider="openai",
        input_tokens=800,
        output_tokens=120,
        cost=None,
        team="search",
        tags=("_user:u-12", "team:search"),
    ),
    UsageRecord(  # answered from Portkey's cache
        source_key="5d6e7f80-9a1b-4c2d-8e3f-40516273849a",
        occurred_at=_at(3, 9, 16, 40, 120000),
        model="gpt-4o-mini",
        provider="openai",
        input_tokens=1200,
        output_tokens=250,
        cost=Decimal(0),
        cache_hit=True,
        team="search",
        tags=("_user:u-12", "team:search", "environment:prod"),
    ),
]


def test_export_rows_become_exact_usage_records() -> None:
    assert _records(EXPORT) == EXPECTED


def test_cost_is_cents_divided_by_100_exactly() -> None:
    costs = [record.cost for record in _records(EXPORT)]
    assert costs[1] == Decimal("0.01038")  # "cost": 1.038 cents
    assert str(costs[3]) == "0.00060384"  # no digit lost, no float on the way
    reported = [cost for cost in costs if cost is not None]
    assert sum(reported, Decimal(0)) == Decimal("0.02068884")
    assert sum(reported, Decimal(0)).quantize(Decimal("0.01")) == Decimal("0.02")


def test_a_row_without_cost_is_left_to_the_ledger_to_price() -> None:
    recent = _records(EXPORT)[4]
    assert recent.cost is None
    assert (recent.input_tokens, recent.output_tokens) == (800, 120)


def test_locations_name_the_file_line() -> None:
    assert [result.location for result in _read(EXPORT)] == [f"{EXPORT}:{n}" for n in range(1, 7)]


def test_bad_rows_are_rejected_with_the_reason_and_reading_goes_on() -> None:
    results = _read(BAD)
    reasons = [result.reason for result in results if isinstance(result, Rejected)]
    assert len(reasons) == 5
    assert "missing field 'id'" in reasons[0]
    assert reasons[1].startswith("not JSON")
    assert "negative cost" in reasons[2] and "-0.5" in reasons[2]
    assert "'created_at' is not a time" in reasons[3]
    assert "'req_units' is not a count" in reasons[4]
    last = results[-1]
    assert isinstance(last, Parsed)
    assert last.record.source_key == "6b7c8d9e-0f1a-4b2c-93d4-f5a6b7c8d9e0"


def test_a_json_array_of_rows_is_read_item_by_item(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in EXPORT.read_text().splitlines()[:2]]
    path = tmp_path / "logs.json"
    path.write_text(json.dumps([*rows, "not a row"], indent=2))
    results = _read(path)
    assert [type(result) for result in results] == [Parsed, Parsed, Rejected]
    assert results[2].location == f"{path}:1 [2]"
    assert [r.record.cost for r in results if isinstance(r, Parsed)] == [
        Decimal("0.00033"),
        Decimal("0.01038"),
    ]


def test_the_export_is_detected_as_portkey() -> None:
    fmt, kind = detect_file(EXPORT)
    assert (fmt.name, kind) == ("portkey", "jsonl")


def test_sniff_rejects_every_other_formats_fixture() -> None:
    others = [p for p in FIXTURES.glob("*/*") if p.is_file() and p.parent.name != "portkey"]
    assert others, "no other fixtures to compare with"
    for path in others:
        assert not portkey.sniff(first_item(path)), path


@pytest.mark.parametrize(
    "value",
    [
        {"id": "gen-1", "created_at": "2026-11-03T09:15:02Z", "model": "openai/gpt-4o"},
        {"request_id": "r1", "spend": 0.1, "startTime": "2026-11-03T09:15:02"},
        {"data": [{"request_id": "r1", "request_created_at": "2026-11-03T09:15:02Z"}]},
        {"id": "x", "ai_model": "gpt-4o"},  # one Portkey column is not enough
        [],
    ],
)
def test_sniff_is_false_on_other_producers_records(value: Any) -> None:
    assert not portkey.sniff(value)
