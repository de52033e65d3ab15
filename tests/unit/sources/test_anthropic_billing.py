"""The Anthropic billing readers: ``anthropic-usage`` and ``anthropic-cost`` pages as files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from governance.domain.usage import UsageRecord
from governance.sources.base import Parsed, ReadContext, Rejected
from governance.sources.formats import detect_file, get_format, read_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ANTHROPIC = FIXTURES / "anthropic"
USAGE_PAGES = [ANTHROPIC / "usage_messages_page1.json", ANTHROPIC / "usage_messages_page2.json"]
COST_PAGES = [ANTHROPIC / "cost_report_page1.json", ANTHROPIC / "cost_report_page2.json"]
BILLING = ("openai-usage", "openai-costs", "anthropic-usage", "anthropic-cost")
WORKSPACE = "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"
SONNET, HAIKU = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"


def records(path: Path, name: str) -> list[UsageRecord]:
    results = list(read_file(path, get_format(name)))
    assert all(isinstance(result, Parsed) for result in results), results
    return [result.record for result in results if isinstance(result, Parsed)]


def rewritten(tmp_path: Path, source: Path, change: Any) -> Path:
    """A copy of ``source`` with its decoded document passed through ``change``."""
    target = tmp_path / source.name
    target.write_text(json.dumps(change(json.loads(source.read_text()))))
    return target


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def test_usage_input_is_the_sum_of_its_three_parts() -> None:
    rows = [row for page in USAGE_PAGES for row in records(page, "anthropic-usage")]
    assert len(rows) == 7
    first = rows[0]
    assert first.occurred_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert (first.model, first.provider) == (SONNET, "anthropic")
    assert (first.project, first.api_key) == (WORKSPACE, "apikey_01Rj2N8SVvo6BePZj99NhmiT")
    # 1500 uncached + 200 read from cache + 1000 (1h) + 500 (5m) written to it.
    assert (first.input_tokens, first.cached_input_tokens, first.cache_write_tokens) == (
        3200,
        200,
        1500,
    )
    assert first.output_tokens == 500
    assert first.tags == ("service_tier:standard", "context_window:0-200k")
    assert all(row.cost is None and row.requests == 0 for row in rows)
    assert sum(row.input_tokens for row in rows) == 1_514_283 + 2_311_102 + 124_700
    assert sum(row.cached_input_tokens for row in rows) == 2_311_102
    assert sum(row.cache_write_tokens for row in rows) == 124_700
    assert sum(row.output_tokens for row in rows) == 259_565
    assert rows[1].project is None  # the default workspace


def test_cost_amounts_are_decimal_strings_in_cents() -> None:
    rows = [row for page in COST_PAGES for row in records(page, "anthropic-cost")]
    assert [row.cost for row in rows] == [
        Decimal("1.2345"),
        Decimal("7.5"),
        Decimal("0.0006"),
        Decimal("0.820344"),
        Decimal("0.231050"),
        Decimal("0.15"),
        Decimal("0.10"),
        Decimal("1.2378912"),
        Decimal("0.201"),
        Decimal("0.05"),
        Decimal("0.987"),
        Decimal("0"),
    ]
    assert str(rows[0].cost) == "1.2345"  # moved, not divided: no digits made up or lost
    assert sum(row.cost or Decimal(0) for row in rows) == Decimal("12.5123852")
    assert {row.currency for row in rows} == {"USD"}
    assert {row.provider for row in rows} == {"anthropic"}
    # Web search and code execution costs have no model.
    assert [row.model for row in rows[5:10]] == [HAIKU, "", SONNET, HAIKU, ""]
    assert rows[6].tags == ("cost_type:web_search",)
    assert (rows[0].project, rows[3].project) == (WORKSPACE, None)
    assert all(row.input_tokens == row.output_tokens == row.requests == 0 for row in rows)


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        (
            "anthropic-usage",
            ANTHROPIC / "usage_messages_bad.json",
            {
                "data[0].results[0]": "missing field 'starting_at'",
                "data[1].results[0]": "'uncached_input_tokens' is not a count: 'many'",
                "data[1].results[1]": "'cache_creation' is not an object: 5",
                "data[1].results[2]": "'output_tokens' is negative: -3",
            },
        ),
        (
            "anthropic-cost",
            ANTHROPIC / "cost_report_bad.json",
            {
                "data[0].results[0]": "missing field 'starting_at'",
                "data[1].results[0]": "negative cost -2.5000 on a usage row",
                "data[1].results[1]": "not an ISO 4217 currency code: 'usdx'",
                "data[1].results[2]": "'amount' is not an amount: '12,50'",
                "data[1].results[3]": "missing field 'amount'",
            },
        ),
    ],
)
def test_bad_records_are_rejected_one_by_one_with_reasons(
    name: str, path: Path, expected: dict[str, str]
) -> None:
    results = list(read_file(path, get_format(name)))
    rejected = {
        r.location.removeprefix(f"{path}:1 "): r.reason for r in results if isinstance(r, Rejected)
    }
    assert rejected == expected
    assert len([r for r in results if isinstance(r, Parsed)]) == 1


def test_a_page_without_buckets_is_one_rejected_item() -> None:
    results = list(get_format("anthropic-cost").parse({"error": "x"}, "p", ReadContext()))
    assert [(r.location, r.reason) for r in results if isinstance(r, Rejected)] == [
        ("p", "not an Anthropic cost report page: no 'data' list of buckets")
    ]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("anthropic-usage", ANTHROPIC / "usage_messages_bad.json"),
        ("anthropic-cost", ANTHROPIC / "cost_report_bad.json"),
    ],
)
def test_a_quarantined_result_reads_alone(name: str, path: Path) -> None:
    results = list(read_file(path, get_format(name)))
    for bad in (r for r in results if isinstance(r, Rejected)):
        again = list(get_format(name).parse(json.loads(bad.raw), "retry", ReadContext()))
        assert [r.reason for r in again if isinstance(r, Rejected)] == [bad.reason]
    for good in (r for r in results if isinstance(r, Parsed)):
        assert get_format(name).sniff(good.value)
        [again_parsed] = get_format(name).parse(good.value, "retry", ReadContext())
        assert isinstance(again_parsed, Parsed) and again_parsed.record == good.record


@pytest.mark.parametrize(
    ("name", "pages"), [("anthropic-usage", USAGE_PAGES), ("anthropic-cost", COST_PAGES)]
)
def test_keys_are_stable_and_differ_between_buckets_and_groups(
    name: str, pages: list[Path]
) -> None:
    first = [row.source_key for page in pages for row in records(page, name)]
    second = [row.source_key for page in pages for row in records(page, name)]
    assert first == second
    assert len(set(first)) == len(first)


@pytest.mark.parametrize(
    ("name", "page"), [("anthropic-usage", USAGE_PAGES[0]), ("anthropic-cost", COST_PAGES[0])]
)
def test_keys_do_not_depend_on_the_order_of_json_keys(
    tmp_path: Path, name: str, page: Path
) -> None:
    shuffled = records(rewritten(tmp_path, page, reversed_keys), name)
    assert [r.source_key for r in shuffled] == [r.source_key for r in records(page, name)]


def test_a_revised_bucket_keeps_its_key_with_new_values(tmp_path: Path) -> None:
    def revise(document: dict[str, Any]) -> dict[str, Any]:
        result = document["data"][0]["results"][0]
        result["uncached_input_tokens"] += 25
        result["cache_creation"]["ephemeral_5m_input_tokens"] += 5
        return document

    before = records(USAGE_PAGES[0], "anthropic-usage")[0]
    after = records(rewritten(tmp_path, USAGE_PAGES[0], revise), "anthropic-usage")[0]
    assert after.source_key == before.source_key
    assert (before.input_tokens, after.input_tokens) == (3200, 3230)


def test_the_same_groups_in_another_bucket_have_another_key() -> None:
    rows = records(USAGE_PAGES[0], "anthropic-usage")
    # data[0].results[0] and data[1].results[0]: same key, model, workspace, tier; next day.
    assert (rows[0].api_key, rows[0].model) == (rows[3].api_key, rows[3].model)
    assert rows[0].source_key != rows[3].source_key
    # data[1].results[0] and [1] differ only in their context window.
    assert rows[3].source_key != rows[4].source_key


@pytest.mark.parametrize(
    ("path", "expected"),
    [(page, "anthropic-usage") for page in sorted(ANTHROPIC.glob("usage_*.json"))]
    + [(page, "anthropic-cost") for page in sorted(ANTHROPIC.glob("cost_*.json"))],
)
def test_each_page_is_claimed_by_its_reader_alone(path: Path, expected: str) -> None:
    document = json.loads(path.read_text(), parse_float=Decimal)
    claims = [name for name in BILLING if get_format(name).sniff(document)]
    assert claims == [expected]
    assert detect_file(path)[0].name == expected


@pytest.mark.parametrize("path", sorted((FIXTURES / "litellm").glob("*")))
def test_no_billing_reader_claims_a_litellm_file(path: Path) -> None:
    for line in path.read_text().splitlines():
        value = json.loads(line, parse_float=Decimal)
        assert not [name for name in BILLING if get_format(name).sniff(value)]
    assert detect_file(path)[0].name not in BILLING
