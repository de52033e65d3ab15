"""Anthropic usage: pages of ``GET /v1/organizations/usage_report/messages`` (Admin API).

A page is ``{"data": [bucket], "has_more", "next_page"}`` (no ``object`` fields); a bucket is
``{"starting_at", "ending_at", "results": [...]}`` with RFC 3339 times, one per ``1m``/``1h``/
``1d`` span, empty spans included; a result counts ``uncached_input_tokens``,
``cache_read_input_tokens``, ``cache_creation.{ephemeral_5m,ephemeral_1h}_input_tokens``,
``output_tokens`` and ``server_tool_use.web_search_requests`` for one combination of the
``group_by`` values (``api_key_id``, ``workspace_id``, ``model``, ``service_tier``,
``context_window``, ``inference_geo``, ``account_id``, ``service_account_id``, ``speed``).

Traps: input is split in three and our ``input_tokens`` is their sum (uncached + cache read +
both cache writes); the cache writes are nested under ``cache_creation``; there is no request
count (rows say 0 requests) and no cost: the ledger prices the tokens; ``workspace_id`` null
means the default workspace (or not grouped by workspace).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from governance.domain.usage import UsageRecord
from governance.sources import buckets, fields
from governance.sources.base import Format, ParseResult, ReadContext

NAME = "anthropic-usage"
_WRITES = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
_MEASURES = frozenset(
    {"uncached_input_tokens", "cache_read_input_tokens", "output_tokens", "cache_creation"}
)
_LABELS = (
    "service_tier",
    "context_window",
    "inference_geo",
    "account_id",
    "service_account_id",
    "speed",
)


def sniff(value: Any) -> bool:
    # Cost results carry "amount" and no token counts; OpenAI results carry "object".
    result = buckets.first_result(value)
    return (
        result is not None
        and "uncached_input_tokens" in result
        and "amount" not in result
        and "object" not in result
    )


def _record(page: Mapping[str, Any]) -> UsageRecord:
    bucket, result = buckets.unwrap(page)
    start = fields.timestamp(bucket.get("starting_at"), "starting_at")
    uncached = fields.integer(
        fields.require(result, "uncached_input_tokens"), "uncached_input_tokens"
    )
    read = fields.integer(result.get("cache_read_input_tokens"), "cache_read_input_tokens")
    creation = result.get("cache_creation")
    if creation is not None and not isinstance(creation, Mapping):
        raise fields.BadRecord(f"'cache_creation' is not an object: {creation!r}")
    written = sum(
        fields.integer(fields.dig(creation, name), f"cache_creation.{name}") for name in _WRITES
    )
    return UsageRecord(
        source_key=buckets.result_key(NAME, start, result, _MEASURES),
        occurred_at=start,
        model=fields.text(result.get("model")) or "",
        provider="anthropic",
        input_tokens=uncached + read + written,
        cached_input_tokens=read,
        cache_write_tokens=written,
        output_tokens=fields.integer(result.get("output_tokens"), "output_tokens"),
        requests=0,  # the report counts tokens, not requests
        cost=None,
        project=fields.text(result.get("workspace_id")),
        api_key=fields.text(result.get("api_key_id")),
        tags=buckets.labels(result, _LABELS),
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    return buckets.parse(value, location, "an Anthropic messages usage report page", _record)


FORMAT = Format(name=NAME, layer="billing", sniff=sniff, parse=parse)
