"""The FOCUS reader: the specification's AI samples, FOCUS 1.0 files, BOMs, revisions, bad rows."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from governance.domain.tiers import TierMap
from governance.domain.usage import LedgerRules, UsageRecord, to_ledger_row
from governance.sources import focus
from governance.sources.base import Parsed, ReadContext, Rejected
from governance.sources.containers import Item, read_items
from governance.sources.formats import read_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "focus"
CONFORMANCE = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "focus"


def _conformance(name: str) -> Path:
    """A sample of the FOCUS specification; missing samples skip, or fail under CI=true."""
    path = CONFORMANCE / name
    if not path.is_file():
        reason = f"FOCUS conformance sample {path} is missing"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def _records(path: Path) -> list[UsageRecord]:
    results = list(read_file(path, focus.FORMAT))
    assert all(isinstance(result, Parsed) for result in results), results
    return [result.record for result in results if isinstance(result, Parsed)]


def _tokens(record: UsageRecord) -> tuple[int, int, int, int]:
    return (
        record.input_tokens,
        record.cached_input_tokens,
        record.cache_write_tokens,
        record.output_tokens,
    )


ROW = {
    "BilledCost": "3.00",
    "BillingAccountId": "acct-1",
    "BillingCurrency": "USD",
    "ChargeCategory": "Usage",
    "ChargeClass": "",
    "ChargePeriodStart": "2025-03-01T00:00:00Z",
    "ChargePeriodEnd": "2025-03-02T00:00:00Z",
    "ConsumedQuantity": "1000",
    "ConsumedUnit": "Tokens",
    "ServiceProviderName": "Solora AI",
    "SkuId": "sku-in",
    "SkuPriceId": "price-in",
    "SkuPriceDetails": '{"ModelId": "solora-1", "TokenDirection": "Input"}',
}


def _one(**changes: str) -> UsageRecord:
    (result,) = focus.parse({**ROW, **changes}, "test:1", ReadContext())
    assert isinstance(result, Parsed), result
    return result.record


def _reason(**changes: Any) -> str:
    (result,) = focus.parse({**ROW, **changes}, "test:1", ReadContext())
    assert isinstance(result, Rejected), result
    return result.reason


@pytest.mark.parametrize(
    ("name", "rows", "total"),
    [
        ("per_token_ai_model_api.csv", 2, Decimal("94.50")),
        ("multi_model_usage.csv", 4, Decimal("104.50")),
        ("ai_prompt_caching_a.csv", 4, Decimal("33.9")),
    ],
)
def test_conformance_samples_add_up_to_their_billed_cost(
    name: str, rows: int, total: Decimal
) -> None:
    records = _records(_conformance(name))
    assert len(records) == rows
    assert sum(record.cost or Decimal(0) for record in records) == total
    assert len({record.source_key for record in records}) == rows
    assert {(r.provider, r.currency, r.charge) for r in records} == {("solora ai", "USD", "usage")}


def test_model_ids_come_from_sku_price_details() -> None:
    per_token = _records(_conformance("per_token_ai_model_api.csv"))
    multi = _records(_conformance("multi_model_usage.csv"))
    assert [r.model for r in per_token] == ["solora-saturn-4.8"] * 2
    assert [r.model for r in multi] == ["solora-atlas-5.5"] * 2 + ["solora-atlas-5.4-mini"] * 2
    assert {r.api_key for r in multi} == {"key_02SOLORAATLAS"}


def test_prompt_caching_routes_tokens_by_direction_and_cache_action() -> None:
    records = _records(_conformance("ai_prompt_caching_a.csv"))
    assert [_tokens(r) for r in records] == [
        (500_000, 0, 0, 0),  # Uncached input
        (2_000_000, 0, 2_000_000, 0),  # Write: input counts cache writes too
        (8_000_000, 8_000_000, 0, 0),  # Read: input counts cache reads too
        (0, 0, 0, 1_500_000),  # Output
    ]
    assert {r.model for r in records} == {"solora-reasoning-pro"}
    assert {r.occurred_at for r in records} == {datetime(2025, 1, 1, tzinfo=UTC)}


def test_focus_1_0_without_ai_columns_reads_costs_with_no_model() -> None:
    usage, requests, tax, credit = _records(FIXTURES / "focus_1_0.csv")
    assert [r.model for r in (usage, requests, tax, credit)] == ["", "", "", ""]
    assert usage.cost == Decimal("12.3456789012345")
    assert requests.cost == Decimal("1.5E-7")
    assert (usage.provider, requests.provider) == ("microsoft", "anthropic")  # PublisherName
    assert (usage.project, requests.project) == ("sub-123", "research")  # SubAccountName
    assert usage.tags == ("team:search", "env:prod")
    # Tokens without SkuPriceDetails have no direction: not split into input and output.
    assert _tokens(usage) == (0, 0, 0, 0)
    assert [r.charge for r in (usage, requests, tax, credit)] == [
        "usage",
        "usage",
        "adjustment",
        "credit",
    ]
    assert credit.cost == Decimal("-5.00")


def test_a_bom_file_is_read_and_recognised() -> None:
    path = FIXTURES / "bom.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    first = next(item for item in read_items(path, "csv") if isinstance(item, Item))
    assert focus.sniff(first.value)
    (record,) = _records(path)
    assert (record.cost, record.currency, record.model) == (
        Decimal("0.75"),
        "EUR",
        "mistral-large-2411",
    )
    assert _tokens(record) == (0, 0, 0, 250_000)


def test_a_revised_re_export_keeps_the_keys_and_changes_the_costs() -> None:
    day1 = _records(FIXTURES / "export_day1.csv")
    day2 = _records(FIXTURES / "export_day2.csv")
    # Day 2 also writes "" for "(null)", "+00:00" for "Z" and the tags in another order.
    assert [r.source_key for r in day1] == [r.source_key for r in day2]
    assert [r.cost for r in day1] == [Decimal("3.00"), Decimal("1.20")]
    assert [r.cost for r in day2] == [Decimal("3.45"), Decimal("1.32")]


@pytest.mark.parametrize(
    "change",
    [
        {"SkuId": "sku-other"},
        {"SkuPriceId": "price-other"},
        {"ChargePeriodStart": "2025-03-02T00:00:00Z"},
        {"ChargeCategory": "Adjustment"},
        {"SubAccountId": "proj-b"},
        {"ResourceId": "res-2"},
        {"CredentialId": "key-2"},
        {"Tags": '{"team": "search"}'},
    ],
)
def test_the_key_follows_the_identity_columns(change: dict[str, str]) -> None:
    assert _one(**change).source_key != _one().source_key


def test_the_key_ignores_the_cost_and_the_description() -> None:
    assert _one(BilledCost="9.99", ChargeDescription="restated").source_key == _one().source_key


def test_a_correction_negating_a_row_and_its_restatement_have_two_keys() -> None:
    negation = _one(ChargeClass="Correction", BilledCost="-1500", ConsumedQuantity="-1000")
    restated = _one(ChargeClass="Correction", BilledCost="1200", ConsumedQuantity="800")
    assert negation.source_key != restated.source_key
    assert (negation.charge, _tokens(negation)) == ("adjustment", (0, 0, 0, 0))
    assert (restated.charge, restated.input_tokens) == ("usage", 800)


def test_tokens_need_the_unit_tokens_and_a_direction() -> None:
    assert _one(ConsumedUnit="TOKENS").input_tokens == 1000
    assert _one(ConsumedUnit="Token-Hours").input_tokens == 0  # cache storage
    assert _one(ConsumedQuantity="1000.0").input_tokens == 1000
    both = _one(SkuPriceDetails='{"ModelId": "solora-1"}')
    assert (both.model, _tokens(both)) == ("solora-1", (0, 0, 0, 0))
    output = '{"TokenDirection": "Output", "TokenCacheAction": "Read"}'
    assert _tokens(_one(SkuPriceDetails=output)) == (0, 0, 0, 1000)


def test_a_zero_cost_drawdown_is_never_priced() -> None:
    record = _one(BilledCost="0.00")
    rules = LedgerRules(
        tiers=TierMap(),
        rules=(),
        currency="USD",
        fx={},
        price=lambda model, provider, tokens, when: (Decimal("99"), "USD"),
    )
    row = to_ledger_row(record, rules, focus.FORMAT.layer)  # a bill's zero is the truth
    assert (row["cost"], row["cost_basis"], row["input_tokens"]) == (Decimal(0), "reported", 1000)
    # The same record from a gateway would be one whose price was missing: priced.
    assert to_ledger_row(record, rules, "gateway")["cost"] == Decimal(99)


def test_provider_falls_back_to_provider_name_then_publisher() -> None:
    assert _one(ServiceProviderName="", ProviderName="AWS").provider == "aws"
    assert _one(ServiceProviderName="", PublisherName="Anthropic").provider == "anthropic"
    assert _one(ServiceProviderName="").provider == "unknown"


def test_bad_rows_are_rejected_with_their_reason_and_line() -> None:
    results = list(read_file(FIXTURES / "bad_rows.csv", focus.FORMAT))
    assert isinstance(results[0], Parsed)
    reasons = {r.location.rsplit(":", 1)[1]: r.reason for r in results if isinstance(r, Rejected)}
    # Fragments: the field readers' wording is theirs; the column and the value must be named.
    expected = {
        "3": ("'BilledCost'", "'12,50'"),
        "4": ("missing field 'ChargePeriodStart'",),
        "5": ("'BillingCurrency'", "'XX'"),
        "6": ("missing field 'BilledCost'",),
        "7": ("'BilledCost'", "'NaN'"),
        "8": ("unknown ChargeCategory 'Refund'",),
        "9": ("'SkuPriceDetails' is not JSON",),
    }
    assert reasons.keys() == expected.keys()
    for line, fragments in expected.items():
        assert all(fragment in reasons[line] for fragment in fragments), reasons[line]


def test_more_bad_rows() -> None:
    assert _reason(BillingCurrency="") == "missing field 'BillingCurrency'"
    assert _reason(ChargePeriodEnd="soon") == "'ChargePeriodEnd' is not a time: 'soon'"
    assert _reason(Tags='["a"]') == "'Tags' is not a JSON object: '[\"a\"]'"
    assert "whole count" in _reason(ConsumedQuantity="1.5")
    (result,) = focus.parse(["not", "a", "row"], "test:1", ReadContext())
    assert isinstance(result, Rejected)


def test_sniff_recognises_focus_rows_only() -> None:
    assert focus.sniff(ROW)
    assert not focus.sniff({"request_id": "r", "spend": "1", "startTime": "2025-01-01"})
    assert not focus.sniff({"BilledCost": "1", "ChargePeriodStart": "2025-01-01"})
    assert not focus.sniff([ROW])
