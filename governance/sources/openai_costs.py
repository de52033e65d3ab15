"""OpenAI costs: pages of ``GET /v1/organization/costs`` (Admin API).

Same page and bucket shape as the usage pages (daily buckets only, epoch-second
``start_time``); each result (``"object": "organization.costs.result"``) is
``{"amount": {"value": 0.06, "currency": "usd"}, "line_item", "project_id", "api_key_id"}``,
the group values being null unless grouped by them (``line_item`` reads like
``"gpt-4o-2024-08-06, input"``), plus ``quantity`` on some line items.

Traps: ``amount.value`` is dollars as a JSON number, read exactly (never through float); the
currency is lower case ISO 4217 ("usd"); a cost result carries no model and no token counts,
so the row is the reported amount alone (model ""); a negative amount is not a usage row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from governance.domain.usage import UsageRecord
from governance.sources import buckets, fields
from governance.sources.base import Format, ParseResult, ReadContext

NAME = "openai-costs"
RESULT_OBJECT = "organization.costs.result"
_MEASURES = frozenset({"amount", "quantity"})
_LABELS = ("line_item",)


def sniff(value: Any) -> bool:
    result = buckets.first_result(value)
    return result is not None and result.get("object") == RESULT_OBJECT


def _record(page: Mapping[str, Any]) -> UsageRecord:
    bucket, result = buckets.unwrap(page)
    start = fields.timestamp(bucket.get("start_time"), "start_time")
    money = result.get("amount")
    if not isinstance(money, Mapping):
        raise fields.BadRecord("missing field 'amount'")
    cost = fields.amount(money.get("value"), "amount.value")
    if cost is None:
        raise fields.BadRecord("missing field 'amount.value'")
    if cost < 0:
        raise fields.BadRecord(f"negative cost {cost} on a usage row")
    return UsageRecord(
        source_key=buckets.result_key(NAME, start, result, _MEASURES),
        occurred_at=start,
        model="",
        provider="openai",
        requests=0,  # a cost row stands for no request of its own: the usage rows count them
        cost=cost,
        currency=fields.currency(money.get("currency")),
        project=fields.text(result.get("project_id")),
        api_key=fields.text(result.get("api_key_id")),
        tags=buckets.labels(result, _LABELS),
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    return buckets.parse(value, location, "an OpenAI costs page", _record)


FORMAT = Format(name=NAME, layer="billing", sniff=sniff, parse=parse)
