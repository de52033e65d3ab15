"""The mapped csv and jsonl formats: any table, read through its source's column mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from governance.domain.usage import UsageRecord
from governance.sources import mapped
from governance.sources.base import Parsed, ParseResult, ReadContext, Rejected
from governance.sources.formats import get_format, read_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mapped"

CSV_MAPPING = {
    "id": "req_id",
    "time": "ts",
    "model": "llm",
    "provider": "vendor",
    "cost": "cost_cents",
    "currency": "cur",
    "input_tokens": "in_tok",
    "cached_input_tokens": "cached",
    "output_tokens": "out_tok",
    "team": "team",
    "tags": "labels",
}
JSONL_MAPPING = {
    "id": "id",
    "time": "created",
    "model": "model",
    "cost": "cost",
    "input_tokens": "usage.prompt_tokens",
    "cached_input_tokens": "usage.prompt_tokens_details.cached_tokens",
    "output_tokens": "usage.completion_tokens",
    "team": "metadata.team",
    "tags": "metadata.tags",
}
CENTS = {"cost_unit": "cents"}


def _read(name: str, context: ReadContext) -> list[ParseResult]:
    fmt = mapped.FORMATS["jsonl" if name.endswith(".jsonl") else "csv"]
    return list(read_file(FIXTURES / name, fmt, context))


def _parsed(results: list[ParseResult]) -> list[UsageRecord]:
    return [result.record for result in results if isinstance(result, Parsed)]


def _reasons(results: list[ParseResult]) -> dict[str, str]:
    """Reasons by line number."""
    return {r.location.rsplit(":", 1)[1]: r.reason for r in results if isinstance(r, Rejected)}


def test_csv_rows_through_the_mapping_with_costs_in_cents() -> None:
    first, second = _parsed(_read("requests.csv", ReadContext(CSV_MAPPING, CENTS)))
    assert first.source_key == "r1"
    assert first.occurred_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert (first.cost, first.currency) == (Decimal("1.25"), "USD")
    assert (first.model, first.provider) == ("openai/gpt-4o-mini", "openai")  # prefix
    assert (first.input_tokens, first.cached_input_tokens, first.output_tokens) == (1000, 200, 50)
    assert (first.requests, first.team, first.tags) == (1, "search", ("env:prod",))
    assert (second.cost, second.currency) == (Decimal("0.005"), "USD")
    assert second.occurred_at == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)  # naive means UTC
    assert (second.provider, second.cached_input_tokens, second.team) == ("anthropic", 0, None)
    assert second.tags == ("batch", "nightly")


def test_costs_are_dollars_without_a_cost_unit() -> None:
    first, _ = _parsed(_read("requests.csv", ReadContext(CSV_MAPPING)))
    assert first.cost == Decimal("125")


def test_bad_csv_rows_are_rejected_with_the_column_named() -> None:
    reasons = _reasons(_read("requests.csv", ReadContext(CSV_MAPPING, CENTS)))
    assert reasons.keys() == {"4", "5", "6"}
    assert "'ts'" in reasons["4"] and "yesterday" in reasons["4"]
    assert "'in_tok'" in reasons["5"] and "-3" in reasons["5"]
    assert reasons["6"] == "missing field 'req_id' (mapped to id)"


def test_jsonl_reads_dotted_paths_into_nested_objects() -> None:
    results = _read("generations.jsonl", ReadContext(JSONL_MAPPING))
    first, second = _parsed(results)
    assert (first.source_key, first.cost) == ("g1", Decimal("0.0123"))
    assert first.occurred_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)  # epoch seconds
    assert (first.input_tokens, first.cached_input_tokens, first.output_tokens) == (1200, 1000, 300)
    assert (first.team, first.tags, first.provider) == ("search", ("interactive", "eu"), "unknown")
    # A key that itself holds a dot wins over the nested path; a numeric id becomes text.
    assert (second.source_key, second.input_tokens, second.output_tokens) == ("42", 7, 3)
    assert second.provider == "anthropic"


def test_bad_jsonl_lines_are_rejected() -> None:
    reasons = _reasons(_read("generations.jsonl", ReadContext(JSONL_MAPPING)))
    assert reasons.keys() == {"3", "4", "5"}
    assert reasons["3"].startswith("not a record")
    assert reasons["4"] == "missing field 'created' (mapped to time)"
    assert "'cost'" in reasons["5"] and "abc" in reasons["5"]


@pytest.mark.parametrize(
    ("mapping", "options", "fragment"),
    [
        ({"time": "ts"}, {}, "no 'id'"),
        ({"id": "req_id"}, {}, "no 'time'"),
        ({}, {}, "no 'id' and 'time'"),
        ({**CSV_MAPPING, "output_token": "out_tok"}, {}, "unknown keys 'output_token'"),
        (CSV_MAPPING, {"cost_unit": "euros"}, "cost_unit is 'euros'"),
    ],
)
def test_a_bad_mapping_rejects_every_record_saying_why(
    mapping: dict[str, str], options: dict[str, object], fragment: str
) -> None:
    results = _read("requests.csv", ReadContext(mapping, options))
    assert len(results) == 5
    assert all(isinstance(r, Rejected) and fragment in r.reason for r in results), results


def test_a_json_list_of_records_is_read_item_by_item() -> None:
    rows = [{"id": "a", "created": 1740823200}, {"id": "b"}]
    results = list(mapped.parse(rows, "page.json:1", ReadContext(JSONL_MAPPING)))
    assert [r.location for r in results] == ["page.json:1 [0]", "page.json:1 [1]"]
    assert [type(r) for r in results] == [Parsed, Rejected]


def test_an_unknown_currency_is_rejected_naming_its_column() -> None:
    row = {"req_id": "x", "ts": "2025-03-01T00:00:00Z", "cur": "XX"}
    (result,) = mapped.parse(row, "t.csv:2", ReadContext(CSV_MAPPING))
    assert isinstance(result, Rejected)
    assert result.reason.startswith("'cur': ") and "'XX'" in result.reason


def test_tags_given_as_a_json_text_cell_must_be_json() -> None:
    row = {"req_id": "x", "ts": "2025-03-01T00:00:00Z", "labels": "{not json"}
    (result,) = mapped.parse(row, "t.csv:2", ReadContext(CSV_MAPPING))
    assert isinstance(result, Rejected)
    assert result.reason.startswith("'labels' is not JSON")


def test_the_mapped_formats_are_never_detected_and_are_found_by_name() -> None:
    for name in ("csv", "jsonl"):
        fmt = get_format(name)
        assert fmt is mapped.FORMATS[name]
        assert (fmt.name, fmt.layer) == (name, "gateway")
        assert not fmt.sniff({"id": "x", "time": "2025-01-01"})
