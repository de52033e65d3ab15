"""OpenAI usage: pages of ``GET /v1/organization/usage/completions`` (Admin API).

A page is ``{"object": "page", "data": [bucket], "has_more", "next_page"}``; a bucket is
``{"object": "bucket", "start_time", "end_time", "results": [...]}`` with epoch-second times;
each result (``"object": "organization.usage.completions.result"``) counts the tokens and
``num_model_requests`` of one combination of the ``group_by`` values (``project_id``,
``user_id``, ``api_key_id``, ``model``, ``batch``, ``service_tier``, ``api_source``).

Traps: ``input_tokens`` already includes the cached (``input_cached_tokens``) and cache-write
(``input_cache_write_tokens``, ``input_cache_write_12h_tokens``) tokens, which is our convention
too, so nothing is added; a field that was not grouped by is null, ``model`` included (the row
is kept, model ""); there is no cost: the ledger prices the tokens; a result has no id: its key
is a hash of the bucket start and the group values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from governance.domain.usage import UsageRecord
from governance.sources import buckets, fields
from governance.sources.base import Format, ParseResult, ReadContext

NAME = "openai-usage"
RESULT_OBJECT = "organization.usage.completions.result"
_CACHE_WRITES = ("input_cache_write_tokens", "input_cache_write_12h_tokens")
# Counts, not group values: a revised bucket changes them and must keep its key.
_MEASURES = frozenset(
    {
        "input_tokens",
        "output_tokens",
        "input_cached_tokens",
        "input_uncached_tokens",
        "input_text_tokens",
        "input_audio_tokens",
        "input_image_tokens",
        "input_cached_text_tokens",
        "input_cached_audio_tokens",
        "input_cached_image_tokens",
        "output_text_tokens",
        "output_audio_tokens",
        "output_image_tokens",
        "num_model_requests",
        *_CACHE_WRITES,
    }
)
# Group values without a column of their own, kept as tags for the category rules.
_LABELS = ("user_id", "batch", "service_tier", "api_source")


def sniff(value: Any) -> bool:
    result = buckets.first_result(value)
    return result is not None and result.get("object") == RESULT_OBJECT


def _record(page: Mapping[str, Any]) -> UsageRecord:
    bucket, result = buckets.unwrap(page)
    start = fields.timestamp(bucket.get("start_time"), "start_time")
    input_tokens = fields.integer(fields.require(result, "input_tokens"), "input_tokens")
    cached = fields.integer(result.get("input_cached_tokens"), "input_cached_tokens")
    written = sum(fields.integer(result.get(name), name) for name in _CACHE_WRITES)
    if cached + written > input_tokens:
        raise fields.BadRecord(
            f"cached ({cached}) and cache-write ({written}) tokens exceed input_tokens"
            f" ({input_tokens}), which includes them"
        )
    return UsageRecord(
        source_key=buckets.result_key(NAME, start, result, _MEASURES),
        occurred_at=start,
        model=fields.text(result.get("model")) or "",
        provider="openai",
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        cache_write_tokens=written,
        output_tokens=fields.integer(result.get("output_tokens"), "output_tokens"),
        requests=fields.integer(result.get("num_model_requests"), "num_model_requests"),
        cost=None,
        project=fields.text(result.get("project_id")),
        api_key=fields.text(result.get("api_key_id")),
        tags=buckets.labels(result, _LABELS),
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    return buckets.parse(value, location, "an OpenAI completions usage page", _record)


FORMAT = Format(name=NAME, layer="billing", sniff=sniff, parse=parse)
