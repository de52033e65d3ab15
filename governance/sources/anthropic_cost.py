"""Anthropic cost: pages of ``GET /v1/organizations/cost_report`` (Admin API).

Same page and bucket shape as the usage report (daily buckets, RFC 3339 ``starting_at``);
a result is ``{"amount": "123.45", "currency": "USD", ...}`` plus, when grouped by
``description``, its parsed parts (``cost_type``, ``model``, ``token_type``, ``service_tier``,
``context_window``, ``inference_geo``) and, when grouped by workspace, ``workspace_id``.

Traps: ``amount`` is a decimal STRING in the currency's lowest unit, cents for USD, with
fractional cents ("123.78912" is $1.2378912): it is divided by 100 exactly; ``model`` is null
for non-token costs (web search, code execution) and when not grouped by description;
``workspace_id`` null is the default workspace; a negative amount is not a usage row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from governance.domain.usage import UsageRecord
from governance.sources import buckets, fields
from governance.sources.base import Format, ParseResult, ReadContext

NAME = "anthropic-cost"
_MEASURES = frozenset({"amount"})
_LABELS = ("cost_type", "token_type", "service_tier", "context_window", "inference_geo")
# Any of these in a result makes it a usage result, not a cost one.
_TOKEN_FIELDS = ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens")


def sniff(value: Any) -> bool:
    result = buckets.first_result(value)
    return (
        result is not None
        and "amount" in result
        and not isinstance(result["amount"], Mapping)  # OpenAI's is {"value", "currency"}
        and "object" not in result
        and not any(name in result for name in _TOKEN_FIELDS)
    )


def _from_cents(cents: Decimal) -> Decimal:
    # Moving the exponent is exact whatever the digits; dividing would round to the context.
    sign, digits, exponent = cents.as_tuple()
    if not isinstance(exponent, int):  # fields.amount has already refused NaN and infinity
        raise fields.BadRecord(f"'amount' is not a finite amount: {cents}")
    return Decimal((sign, digits, exponent - 2))


def _record(page: Mapping[str, Any]) -> UsageRecord:
    bucket, result = buckets.unwrap(page)
    start = fields.timestamp(bucket.get("starting_at"), "starting_at")
    cents = fields.amount(fields.require(result, "amount"), "amount")
    if cents is None:
        raise fields.BadRecord("missing field 'amount'")
    cost = _from_cents(cents)
    if cost < 0:
        raise fields.BadRecord(f"negative cost {cost} on a usage row")
    return UsageRecord(
        source_key=buckets.result_key(NAME, start, result, _MEASURES),
        occurred_at=start,
        model=fields.text(result.get("model")) or "",
        provider="anthropic",
        requests=0,  # a cost row stands for no request of its own
        cost=cost,
        currency=fields.currency(result.get("currency")),
        project=fields.text(result.get("workspace_id")),
        tags=buckets.labels(result, _LABELS),
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    return buckets.parse(value, location, "an Anthropic cost report page", _record)


FORMAT = Format(name=NAME, layer="billing", sniff=sniff, parse=parse)
