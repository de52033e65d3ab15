"""Arbitrary input never escapes a reader as an exception: every record it yields is Parsed or
Rejected, and every Parsed one becomes a ledger row or a BadRecord the runner quarantines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.domain.formats import FORMAT_NAMES
from governance.domain.tiers import TierMap
from governance.domain.usage import BadRecord, LedgerRules, to_ledger_row
from governance.sources.base import Parsed, ReadContext, Rejected, parse_safely
from governance.sources.formats import get_format

RULES = LedgerRules(
    tiers=TierMap.from_mapping({"premium": ["gpt-4o"]}),
    rules=(),
    currency="USD",
    fx={"EUR": Decimal("1.08")},
    price=lambda model, provider, tokens, when: (Decimal("0.01"), "USD"),
)
CONTEXT = ReadContext(
    mapping={"id": "id", "time": "time", "model": "model", "cost": "cost"},
    options={},
)
# Field names the readers look for, so that generated records reach deep into them.
KEYS = [
    "request_id", "id", "spend", "startTime", "model", "prompt_tokens", "completion_tokens",
    "metadata", "cost", "created_at", "request_created_at", "total_cost", "native_tokens_prompt",
    "data", "results", "start_time", "starting_at", "amount", "currency", "input_tokens",
    "output_tokens", "BilledCost", "ChargePeriodStart", "BillingCurrency", "SkuPriceDetails",
    "time", "object", "value", "uncached_input_tokens", "cache_creation", "is_byok",
    "request_model", "properties", "req_units", "ChargeCategory", "request_tags",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["2026-11-03T09:15:02", "1762161400.5", "usd", "EUR", "-1", "Tokens", "{}"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=8)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FORMAT_NAMES), value=values)
def test_any_value_ends_as_a_row_or_a_quarantined_record(name: str, value: Any) -> None:
    fmt = get_format(name)
    for result in parse_safely(fmt, value, "f.jsonl:1", CONTEXT):
        assert isinstance(result, Parsed | Rejected)
        if isinstance(result, Rejected):
            assert result.reason and isinstance(result.raw, str)
            # parse_safely's net catches reader bugs; a reader must name the problem itself.
            assert "reader failed" not in result.reason, result.reason
            continue
        try:
            row = to_ledger_row(result.record, RULES, fmt.layer)
        except BadRecord as exc:
            assert str(exc)
            continue
        assert isinstance(row["cost"], Decimal) and row["cost"].is_finite()
        occurred = row["occurred_at"]
        assert isinstance(occurred, datetime) and occurred.utcoffset() is not None


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(FORMAT_NAMES), sniffed=values)
def test_sniffing_never_raises(name: str, sniffed: Any) -> None:
    assert get_format(name).sniff(sniffed) in (True, False)
