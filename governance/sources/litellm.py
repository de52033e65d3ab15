"""LiteLLM: ``LiteLLM_SpendLogs`` rows (JSON, JSONL, CSV, ``/spend/logs/ui`` pages) and
``StandardLoggingPayload`` objects (one per file, as LiteLLM writes them to buckets, or JSONL).

Traps: SpendLogs ``startTime`` is UTC without an offset, the payload's is epoch seconds; cache
hits cost nothing and their SpendLogs ids end ``_cache_hit<ts>``, while a payload's cache hit
reuses the original request's ``id``; cache token counts live in
``metadata.additional_usage_values``; models missing from LiteLLM's price map are logged with
``spend`` 0 although tokens > 0, so the ledger prices them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from governance.domain.categorise import tags_from
from governance.domain.usage import UsageRecord
from governance.sources import fields
from governance.sources.base import Format, ParseResult, ReadContext, parse_one, reject


def _json_field(value: Any) -> Any:
    # CSV exports and some databases hand JSON columns over as text.
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return fields.decode_json(value)
        except json.JSONDecodeError:
            return value
    return value


def _is_spend_log(value: Any) -> bool:
    return isinstance(value, dict) and {"request_id", "spend", "startTime"} <= value.keys()


def _is_payload(value: Any) -> bool:
    return isinstance(value, dict) and {"id", "response_cost", "startTime"} <= value.keys()


def _rows_of(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and isinstance(rows := value.get("data"), list):
        return rows
    return None


def sniff(value: Any) -> bool:
    rows = _rows_of(value)
    sample = rows[0] if rows else value
    return _is_spend_log(sample) or _is_payload(sample)


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "hit")


def _provider(row: Mapping[str, Any]) -> str:
    provider = fields.text(row.get("custom_llm_provider"))
    model = str(row.get("model") or "")
    if provider is None and "/" in model:
        provider = model.split("/", 1)[0]
    return provider or "unknown"


def _cache_tokens(metadata: Mapping[str, Any]) -> tuple[int, int]:
    usage = metadata.get("additional_usage_values") or metadata.get("usage_object") or {}
    usage = _json_field(usage)
    if not isinstance(usage, dict):
        return 0, 0
    read = usage.get("cache_read_input_tokens") or fields.dig(
        usage, "prompt_tokens_details", "cached_tokens"
    )
    write = usage.get("cache_creation_input_tokens")
    return fields.integer(read, "cache_read_input_tokens"), fields.integer(
        write, "cache_creation_input_tokens"
    )


def _common(row: Mapping[str, Any], metadata: Mapping[str, Any]) -> dict[str, Any]:
    cached, written = _cache_tokens(metadata)
    labels = _json_field(metadata.get("spend_logs_metadata"))
    tags = tags_from(_json_field(row.get("request_tags")))
    if isinstance(labels, dict):
        tags += tags_from(labels)
    return {
        "model": str(row.get("model") or ""),
        "provider": _provider(row),
        "input_tokens": fields.integer(row.get("prompt_tokens"), "prompt_tokens"),
        "cached_input_tokens": cached,
        "cache_write_tokens": written,
        "output_tokens": fields.integer(row.get("completion_tokens"), "completion_tokens"),
        "team": fields.text(metadata.get("user_api_key_team_alias"))
        or fields.text(row.get("team_id"))
        or fields.text(metadata.get("user_api_key_team_id")),
        "project": fields.text(labels.get("project")) if isinstance(labels, dict) else None,
        "api_key": fields.text(metadata.get("user_api_key_alias"))
        or fields.text(row.get("api_key"))
        or fields.text(metadata.get("user_api_key_hash")),
        "tags": tags,
    }


def spend_log(row: Mapping[str, Any]) -> UsageRecord:
    """A ``LiteLLM_SpendLogs`` row."""
    request_id = str(fields.require(row, "request_id"))
    metadata = _json_field(row.get("metadata")) or {}
    if not isinstance(metadata, dict):
        metadata = {}
    return UsageRecord(
        source_key=request_id,
        occurred_at=fields.timestamp(row.get("startTime"), "startTime"),
        cost=fields.amount(row.get("spend"), "spend"),
        cache_hit="_cache_hit" in request_id or _truthy(row.get("cache_hit")),
        **_common(row, metadata),
    )


def logging_payload(row: Mapping[str, Any]) -> UsageRecord:
    """A ``StandardLoggingPayload``; a cache hit is keyed by its own start time."""
    request_id = str(fields.require(row, "id"))
    started = fields.timestamp(row.get("startTime"), "startTime")
    cache_hit = row.get("cache_hit") is True or _truthy(row.get("cache_hit"))
    metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
    key = f"{request_id}_cache_hit{started.timestamp():.6f}" if cache_hit else request_id
    return UsageRecord(
        source_key=key,
        occurred_at=started,
        cost=fields.amount(row.get("response_cost"), "response_cost"),
        cache_hit=cache_hit,
        **_common(row, metadata or {}),
    )


def _record(row: Any) -> UsageRecord:
    if _is_payload(row) and not _is_spend_log(row):
        return logging_payload(row)
    if not isinstance(row, dict):
        raise fields.BadRecord("not a LiteLLM spend log row")
    return spend_log(row)


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    rows = _rows_of(value)
    if rows is None:
        yield parse_one(location, value, _record)
        return
    if isinstance(value, dict) and not rows:
        return  # an empty page
    for index, row in enumerate(rows):
        where = f"{location} data[{index}]" if isinstance(value, dict) else f"{location} [{index}]"
        if not isinstance(row, dict):
            yield reject(where, "not a LiteLLM spend log row", row)
            continue
        yield parse_one(where, row, _record)


FORMAT = Format(name="litellm", layer="gateway", sniff=sniff, parse=parse)
