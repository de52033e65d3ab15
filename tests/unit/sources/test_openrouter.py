"""The openrouter reader on /api/v1/generation records (tests/fixtures/openrouter)."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from governance.domain.usage import UsageRecord
from governance.sources import openrouter
from governance.sources.base import Parsed, Rejected
from governance.sources.formats import detect_file
from tests.unit.sources.readers import FIXTURES, first_item, november, read, records

_read = partial(read, name="openrouter")
_records = partial(records, name="openrouter")
_at = november
ONE = FIXTURES / "openrouter" / "generation.json"
LINES = FIXTURES / "openrouter" / "generations.jsonl"
ARRAY = FIXTURES / "openrouter" / "generations_array.json"
BAD = FIXTURES / "openrouter" / "bad.jsonl"


def test_one_response_becomes_an_exact_usage_record_on_native_tokens() -> None:
    assert _records(ONE) == [
        UsageRecord(
            source_key="gen-1793697302-Xq3bVt9RkLmN2pQr7sWz",
            occurred_at=_at(3, 9, 15, 2, 433273),
            model="openai/gpt-4o-mini",
            provider="openai",
            input_tokens=1200,  # tokens_prompt says 1187
            output_tokens=250,  # tokens_completion says 246
            cost=Decimal("0.00033"),
        )
    ]


LINE_RECORDS = [
    UsageRecord(  # cache reads are part of the native prompt count
        source_key="gen-1793836799-Kp4sLm8NqR2tUv6WxY0z",
        occurred_at=_at(4, 23, 59, 59, 120004),
        model="anthropic/claude-3.5-sonnet",
        provider="anthropic",
        input_tokens=3700,
        cached_input_tokens=3000,
        output_tokens=400,
        cost=Decimal("0.009"),
    ),
    UsageRecord(  # BYOK: OpenRouter's 5% fee plus what the provider billed the key
        source_key="gen-1793757600-Rt5yUi7oPa9sDf1gHj3k",
        occurred_at=_at(4, 16, 40, 0, 812310),
        model="openai/gpt-4o",
        provider="openai",
        input_tokens=2000,
        output_tokens=290,
        cost=Decimal("0.008295"),
    ),
    UsageRecord(  # BYOK within the free allowance: no fee, the provider's bill only
        source_key="gen-1793761200-Zx8cVb6nMq4wEr2tYu0i",
        occurred_at=_at(4, 17, 40, 0, 54117),
        model="google/gemini-2.0-flash-001",
        provider="google ai studio",
        input_tokens=8000,  # tokens_prompt says 7421
        output_tokens=2000,  # tokens_completion says 1655
        cost=Decimal("0.0016"),
    ),
    UsageRecord(  # reasoning is part of the completion count
        source_key="gen-1793863870-Lo9iKj7uHy5gTf3rDe1w",
        occurred_at=_at(5, 8, 31, 10, 500950),
        model="openai/o3-mini",
        provider="openai",
        input_tokens=500,
        output_tokens=2336,
        cost=Decimal("0.0108284"),
    ),
    UsageRecord(  # native counts null: the normalised ones stand in
        source_key="gen-1793880000-Mn2bVc4xZl6kJh8gFd0s",
        occurred_at=_at(5, 13, 0, 0),
        model="mistralai/mistral-small-3.1-24b-instruct",
        provider="mistral",
        input_tokens=640,
        output_tokens=120,
        cost=Decimal("0.0001"),
    ),
]


def test_json_lines_of_wrapped_and_bare_records_become_exact_usage_records() -> None:
    assert _records(LINES) == LINE_RECORDS


def test_byok_spend_is_total_cost_plus_upstream_and_totals_to_the_cent() -> None:
    costs = [record.cost for record in _records(LINES)]
    assert costs[1] == Decimal("0.000395") + Decimal("0.0079")
    total = sum((cost for cost in costs if cost is not None), Decimal(0))
    assert total == Decimal("0.0298234")
    assert total.quantize(Decimal("0.01")) == Decimal("0.03")


def test_a_json_array_is_read_and_byok_without_upstream_cost_is_left_unpriced() -> None:
    byok, llama = _records(ARRAY)
    assert byok.source_key == "gen-1793890800-Qw1eRt3yUi5oPa7sDf9g"
    assert byok.cost is None  # total_cost 0.0 is only the fee: the ledger prices the tokens
    assert (byok.input_tokens, byok.output_tokens) == (1500, 200)
    assert (llama.provider, llama.input_tokens, llama.cost) == (
        "deepinfra",
        1031,
        Decimal("0.000126"),
    )
    assert [result.location for result in _read(ARRAY)] == [f"{ARRAY}:1 [0]", f"{ARRAY}:1 [1]"]


def test_bad_records_are_rejected_with_the_reason_and_reading_goes_on() -> None:
    results = _read(BAD)
    reasons = [result.reason for result in results if isinstance(result, Rejected)]
    assert len(reasons) == 6
    assert "missing field 'id'" in reasons[0]
    assert "missing field 'created_at'" in reasons[1]
    assert "negative total_cost" in reasons[2] and "-0.004" in reasons[2]
    assert reasons[3].startswith("not JSON")
    assert "'native_tokens_prompt' is not a count" in reasons[4]
    assert "error" in reasons[5] and "Generation not found" in reasons[5]
    assert isinstance(results[-1], Parsed)


def test_a_negative_upstream_cost_is_rejected(tmp_path: Path) -> None:
    data = json.loads(ONE.read_text())["data"] | {"is_byok": True, "upstream_inference_cost": -1}
    path = tmp_path / "generation.json"
    path.write_text(json.dumps({"data": data}))
    [result] = _read(path)
    assert isinstance(result, Rejected) and "negative upstream_inference_cost" in result.reason


@pytest.mark.parametrize("path", [ONE, LINES, ARRAY])
def test_openrouter_files_are_detected(path: Path) -> None:
    fmt, _ = detect_file(path)
    assert fmt.name == "openrouter"


def test_sniff_rejects_every_other_formats_fixture() -> None:
    others = [p for p in FIXTURES.glob("*/*") if p.is_file() and p.parent.name != "openrouter"]
    assert others, "no other fixtures to compare with"
    for path in others:
        assert not openrouter.sniff(first_item(path)), path


@pytest.mark.parametrize(
    "value",
    [
        {"error": {"code": 404, "message": "Generation not found"}},
        {"data": [{"id": "gen-1", "created_at": "2026-11-03T09:15:02Z", "model": "m"}]},
        {"id": "f3c4a1e2", "created_at": "2026-11-03T09:15:02Z", "ai_model": "gpt-4o", "cost": 1},
        {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o"},
    ],
)
def test_sniff_is_false_on_other_producers_records(value: Any) -> None:
    assert not openrouter.sniff(value)
