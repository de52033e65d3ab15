"""Portkey: log export rows (JSONL, one log per line, holding the fields the exporter asked for).

Traps: ``cost`` is in **US cents** (``cost_currency`` names the currency, USD): it is divided by
100 exactly; it is absent or null on rows Portkey has not priced yet, and such rows are priced by
the ledger from their tokens. Tokens are ``req_units`` / ``res_units``. Cache counts exist only
in the exported ``response`` body: OpenAI's ``usage.prompt_tokens_details.cached_tokens`` are part
of ``req_units``; Anthropic's ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` are
part of it on the native messages route (``usage.input_tokens``) but not when Portkey answered in
OpenAI's shape (its ``prompt_tokens`` is then Anthropic's uncached ``input_tokens``), so there
they are added. ``cache_status`` HIT or SEMANTIC HIT is an answer from Portkey's cache: free.
``metadata`` holds the caller's labels: every label becomes a tag; the team is the ``team``
label and the project the ``project`` label (any case); ``_user`` (Portkey's user label) stays a
tag only. The export has no API key field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from governance.domain.categorise import tags_from
from governance.domain.usage import UsageRecord
from governance.sources import fields
from governance.sources.base import Format, ParseResult, ReadContext, parse_records

_MARKERS = frozenset({"ai_org", "ai_model", "req_units", "res_units", "cost_currency"})
_CACHE_HITS = frozenset({"HIT", "SEMANTIC HIT"})


def _is_log(value: Any) -> bool:
    # Any two Portkey column names beside "id": an export holds only the requested fields.
    return isinstance(value, Mapping) and "id" in value and len(_MARKERS & value.keys()) >= 2


def sniff(value: Any) -> bool:
    sample = value[0] if isinstance(value, list) and value else value
    return _is_log(sample)


def _usage(row: Mapping[str, Any]) -> Mapping[str, Any]:
    response = fields.json_text(row.get("response"))
    body = fields.dig(response, "body")
    usage = fields.dig(body if isinstance(body, Mapping) else response, "usage")
    return usage if isinstance(usage, Mapping) else {}


def _tokens(row: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """Input (all of it), cache reads, cache writes, output."""
    usage = _usage(row)
    read = fields.integer(usage.get("cache_read_input_tokens"), "cache_read_input_tokens")
    written = fields.integer(
        usage.get("cache_creation_input_tokens"), "cache_creation_input_tokens"
    )
    input_tokens = fields.integer(row.get("req_units"), "req_units")
    if "input_tokens" not in usage:
        input_tokens += read + written
    if not read:
        cached = fields.dig(usage, "prompt_tokens_details", "cached_tokens")
        read = fields.integer(cached, "prompt_tokens_details.cached_tokens")
    return input_tokens, read, written, fields.integer(row.get("res_units"), "res_units")


def _cost(row: Mapping[str, Any]) -> Decimal | None:
    cents = fields.amount(row.get("cost"), "cost")
    if cents is None:
        return None
    if cents < 0:
        raise fields.BadRecord(f"negative cost: {cents} cents")
    return cents.scaleb(-2)  # moving the exponent is exact; dividing would round


def _label(labels: Mapping[str, Any], name: str) -> str | None:
    found = next((value for key, value in labels.items() if str(key).lower() == name), None)
    return fields.text(found)


def _record(row: Any) -> UsageRecord:
    if not isinstance(row, Mapping):
        raise fields.BadRecord("not a Portkey log row")
    log_id = fields.text(fields.require(row, "id"))
    if log_id is None:
        raise fields.BadRecord("missing field 'id'")
    input_tokens, read, written, output = _tokens(row)
    labels = fields.json_text(row.get("metadata"))
    if not isinstance(labels, Mapping):
        labels = {}
    return UsageRecord(
        source_key=log_id,
        occurred_at=fields.timestamp(row.get("created_at"), "created_at"),
        model=str(row.get("ai_model") or ""),
        provider=(fields.text(row.get("ai_org")) or "unknown").lower(),
        input_tokens=input_tokens,
        cached_input_tokens=read,
        cache_write_tokens=written,
        output_tokens=output,
        cost=_cost(row),
        currency=fields.currency(row.get("cost_currency")),
        cache_hit=str(row.get("cache_status") or "").strip().upper() in _CACHE_HITS,
        team=_label(labels, "team"),
        project=_label(labels, "project"),
        tags=tags_from(labels),
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    yield from parse_records(value, location, _record, "a Portkey log row")


FORMAT = Format(name="portkey", layer="gateway", sniff=sniff, parse=parse)
