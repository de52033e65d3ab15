"""OpenRouter: generation records, the ``data`` object of ``GET /api/v1/generation?id=...``.

A file holds one response ``{"data": {...}}``, a bare data object, a JSON array of either, or
JSON Lines of either.

Traps: bill on the provider's own counts ``native_tokens_prompt`` / ``native_tokens_completion``,
not the normalised ``tokens_prompt`` / ``tokens_completion`` (GPT-4o's tokenizer, for rankings);
the normalised ones are used only where a native count is null. ``native_tokens_cached`` (cache
reads) is part of the prompt count and ``native_tokens_reasoning`` part of the completion count
(reasoning is billed as output), so neither is added; cache writes are not reported. With BYOK
(``is_byok``) the provider bills the customer's own key: ``total_cost`` is only OpenRouter's fee
(0 within the free BYOK allowance) and the spend is ``total_cost + upstream_inference_cost``; a
BYOK record without ``upstream_inference_cost`` is left unpriced (cost None) so that the ledger
prices its tokens rather than count the fee alone. ``provider_name`` is a display name
(``Google AI Studio``): lower-cased. ``model`` keeps its vendor prefix (``openai/gpt-4o``); the
ledger strips it. An error answer ``{"error": {"code", "message"}}`` is rejected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from governance.domain.usage import UsageRecord
from governance.sources import fields
from governance.sources.base import Format, ParseResult, ReadContext, parse_records


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(value.get("data"), Mapping):
        return value["data"]
    return value


def _is_generation(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and {"id", "created_at", "model"} <= value.keys()
        and ("total_cost" in value or "native_tokens_prompt" in value)
    )


def sniff(value: Any) -> bool:
    sample = value[0] if isinstance(value, list) and value else value
    return _is_generation(_unwrap(sample))


def _tokens(data: Mapping[str, Any], kind: str) -> int:
    native = f"native_tokens_{kind}"
    if data.get(native) is not None:
        return fields.integer(data.get(native), native)
    return fields.integer(data.get(f"tokens_{kind}"), f"tokens_{kind}")


def _non_negative(data: Mapping[str, Any], name: str) -> Decimal | None:
    amount = fields.amount(data.get(name), name)
    if amount is not None and amount < 0:
        raise fields.BadRecord(f"negative {name}: {amount}")
    return amount


def _cost(data: Mapping[str, Any]) -> Decimal | None:
    name = "total_cost" if data.get("total_cost") is not None else "usage"
    cost = _non_negative(data, name)
    if data.get("is_byok") is not True:
        return cost
    upstream = _non_negative(data, "upstream_inference_cost")
    if upstream is None:
        return None
    return upstream + (cost or Decimal(0))


def _record(value: Any) -> UsageRecord:
    data = _unwrap(value)
    if not isinstance(data, Mapping):
        raise fields.BadRecord("not an OpenRouter generation record")
    if "error" in data and "id" not in data:
        error = data["error"]
        message = error.get("message") if isinstance(error, Mapping) else error
        raise fields.BadRecord(f"OpenRouter answered with an error: {message}")
    generation_id = fields.text(fields.require(data, "id"))
    if generation_id is None:
        raise fields.BadRecord("missing field 'id'")
    return UsageRecord(
        source_key=generation_id,
        occurred_at=fields.timestamp(data.get("created_at"), "created_at"),
        model=str(data.get("model") or ""),
        provider=(fields.text(data.get("provider_name")) or "unknown").lower(),
        input_tokens=_tokens(data, "prompt"),
        cached_input_tokens=fields.integer(
            data.get("native_tokens_cached"), "native_tokens_cached"
        ),
        output_tokens=_tokens(data, "completion"),
        cost=_cost(data),
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    yield from parse_records(value, location, _record, "an OpenRouter generation record")


FORMAT = Format(name="openrouter", layer="gateway", sniff=sniff, parse=parse)
