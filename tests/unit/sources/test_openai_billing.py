"""The OpenAI billing readers: ``openai-usage`` and ``openai-costs`` pages saved as files."""

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
OPENAI = FIXTURES / "openai"
USAGE_PAGES = [OPENAI / "usage_completions_page1.json", OPENAI / "usage_completions_page2.json"]
COST_PAGES = [OPENAI / "costs_page1.json", OPENAI / "costs_page2.json"]
BILLING = ("openai-usage", "openai-costs", "anthropic-usage", "anthropic-cost")


def records(path: Path, name: str) -> list[UsageRecord]:
    results = list(read_file(path, get_format(name)))
    assert all(isinstance(result, Parsed) for result in results), results
    return [result.record for result in results if isinstance(result, Parsed)]


def rewritten(tmp_path: Path, source: Path, change: Any) -> Path:
    """A copy of ``source`` with its decoded document passed through ``change``."""
    target = tmp_path / source.name
    document = json.loads(source.read_text(), parse_float=Decimal)
    target.write_text(json.dumps(change(document), default=str))
    return target


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def test_usage_pages_keep_tokens_and_leave_cost_to_the_ledger() -> None:
    rows = [row for page in USAGE_PAGES for row in records(page, "openai-usage")]
    assert len(rows) == 9
    first = rows[0]
    assert first.occurred_at == datetime(2026, 11, 1, tzinfo=UTC)
    assert (first.model, first.provider) == ("gpt-4o-2024-08-06", "openai")
    assert (first.project, first.api_key) == ("proj_Qx9dT3kLm2Vb8RwYc4Nz", "key_1aBcD2eFgH3iJkL4")
    # input_tokens already includes the cached tokens: nothing is added to it.
    assert (first.input_tokens, first.cached_input_tokens) == (1843200, 1310720)
    assert (first.output_tokens, first.requests) == (212480, 1402)
    assert all(row.cost is None and row.charge == "usage" for row in rows)
    assert sum(row.input_tokens for row in rows) == 22_768_720
    assert sum(row.cached_input_tokens for row in rows) == 5_151_744
    assert sum(row.output_tokens for row in rows) == 3_923_820
    assert sum(row.requests for row in rows) == 15_695


def test_an_ungrouped_result_is_a_row_without_model_and_counts_cache_writes() -> None:
    [row] = records(OPENAI / "usage_completions_ungrouped.json", "openai-usage")
    assert (row.model, row.project, row.api_key, row.tags) == ("", None, None, ())
    assert (row.input_tokens, row.cached_input_tokens, row.cache_write_tokens) == (
        141201,
        65536,
        3072 + 1024,
    )
    assert row.requests == 470


def test_costs_are_exact_dollars_in_upper_case_currency_without_model() -> None:
    rows = [row for page in COST_PAGES for row in records(page, "openai-costs")]
    assert [row.cost for row in rows] == [
        Decimal("4.608"),
        Decimal("2.1248"),
        Decimal("1.6384"),
        Decimal("0.768045"),
        Decimal("12.839325000000001"),  # the float's digits, kept as written
        Decimal("0.06"),
        Decimal("4.416"),
        Decimal("0"),
    ]
    assert sum(row.cost or Decimal(0) for row in rows) == Decimal("26.454570000000001")
    assert {row.currency for row in rows} == {"USD"}
    assert {row.model for row in rows} == {""}
    assert {row.provider for row in rows} == {"openai"}
    assert all(row.input_tokens == row.output_tokens == row.requests == 0 for row in rows)
    assert rows[0].tags == ("line_item:gpt-4o-2024-08-06, input",)
    assert rows[3].project == "proj_7HfGs2JpLq0XeUa9Kd3M"


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        (
            "openai-usage",
            OPENAI / "usage_completions_bad.json",
            {
                "data[0].results[0]": "missing field 'start_time'",
                "data[1].results[0]": "'input_tokens' is not a count: '12k'",
                "data[1].results[1]": "cached (5000) and cache-write (0) tokens exceed input_tokens"
                " (1000), which includes them",
                "data[1].results[2]": "result is not an object",
                "data[2]": "not a bucket of an OpenAI completions usage page: no 'results' list",
            },
        ),
        (
            "openai-costs",
            OPENAI / "costs_bad.json",
            {
                "data[0].results[0]": "missing field 'start_time'",
                "data[1].results[0]": "negative cost -3.25 on a usage row",
                "data[1].results[1]": "not an ISO 4217 currency code: 'usdx'",
                "data[1].results[2]": "missing field 'amount'",
                "data[1].results[3]": "'amount.value' is not an amount: 'a lot'",
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
    parsed = [r for r in results if isinstance(r, Parsed)]
    assert len(parsed) == 1 and len(results) == len(expected) + 1


@pytest.mark.parametrize("name", ["openai-usage", "openai-costs"])
def test_a_rejected_result_is_quarantined_as_a_page_that_reads_alone(name: str) -> None:
    path = OPENAI / ("usage_completions_bad.json" if name == "openai-usage" else "costs_bad.json")
    results = list(read_file(path, get_format(name)))
    for bad in (r for r in results if isinstance(r, Rejected) and ".results[" in r.location):
        again = list(get_format(name).parse(json.loads(bad.raw), "retry", ReadContext()))
        assert [r.reason for r in again if isinstance(r, Rejected)] == [bad.reason]
    for good in (r for r in results if isinstance(r, Parsed)):
        [again_parsed] = get_format(name).parse(good.value, "retry", ReadContext())
        assert isinstance(again_parsed, Parsed) and again_parsed.record == good.record


@pytest.mark.parametrize(
    ("name", "pages"), [("openai-usage", USAGE_PAGES), ("openai-costs", COST_PAGES)]
)
def test_keys_are_stable_and_differ_between_buckets_and_groups(
    name: str, pages: list[Path]
) -> None:
    first = [row.source_key for page in pages for row in records(page, name)]
    second = [row.source_key for page in pages for row in records(page, name)]
    assert first == second
    assert len(set(first)) == len(first)
    assert all(len(key) == 32 and int(key, 16) >= 0 for key in first)


@pytest.mark.parametrize(
    ("name", "page"), [("openai-usage", USAGE_PAGES[0]), ("openai-costs", COST_PAGES[0])]
)
def test_keys_do_not_depend_on_the_order_of_json_keys(
    tmp_path: Path, name: str, page: Path
) -> None:
    shuffled = rewritten(tmp_path, page, reversed_keys)
    assert shuffled.read_text() != json.dumps(json.loads(page.read_text()))
    assert [r.source_key for r in records(shuffled, name)] == [
        r.source_key for r in records(page, name)
    ]


def test_a_revised_bucket_keeps_its_key_with_new_values(tmp_path: Path) -> None:
    def revise(document: dict[str, Any]) -> dict[str, Any]:
        document["data"][0]["results"][0]["amount"]["value"] = Decimal("5.01")
        return document

    before = records(COST_PAGES[0], "openai-costs")[0]
    after = records(rewritten(tmp_path, COST_PAGES[0], revise), "openai-costs")[0]
    assert after.source_key == before.source_key
    assert (before.cost, after.cost) == (Decimal("4.608"), Decimal("5.01"))


def test_usage_and_cost_keys_never_collide() -> None:
    usage = {r.source_key for page in USAGE_PAGES for r in records(page, "openai-usage")}
    costs = {r.source_key for page in COST_PAGES for r in records(page, "openai-costs")}
    assert not usage & costs


@pytest.mark.parametrize(
    ("path", "expected"),
    [(page, "openai-usage") for page in sorted(OPENAI.glob("usage_*.json"))]
    + [(page, "openai-costs") for page in sorted(OPENAI.glob("costs_*.json"))],
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


def test_an_empty_page_cannot_be_told_apart_and_reads_as_nothing() -> None:
    empty = {"object": "page", "data": [], "has_more": False, "next_page": None}
    assert not [name for name in BILLING if get_format(name).sniff(empty)]
    assert list(get_format("openai-usage").parse(empty, "p", ReadContext())) == []
