"""LiteLLM: ``LiteLLM_SpendLogs`` rows (JSON, JSONL, CSV, ``/spend/logs/ui`` pages) and
``StandardLoggingPayload`` objects (one per file, as LiteLLM writes them to buckets, or JSONL).

Traps: SpendLogs ``startTime`` is UTC without an offset, the payload's is epoch seconds; cache
hits cost nothing and their SpendLogs ids end ``_cache_hit<ts>``, while a payload's cache hit
reuses the original request's ``id``; cache token counts live in
``metadata.additional_usage_values``; models missing from LiteLLM's price map are logged with
``spend`` 0 although tokens > 0, so the ledger prices them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from governance.domain.categorise import tags_from
from governance.domain.usage import BadRecord, UsageRecord
from governance.sources import fields
from governance.sources.base import Format, Parsed, ParseResult, ReadContext, parse_records
from governance.sources.containers import decode_json


class _Metadata(msgspec.Struct):
    user_api_key_alias: str | None = None
    user_api_key_team_alias: str | None = None
    user_api_key_team_id: str | None = None
    user_api_key_hash: str | None = None
    spend_logs_metadata: dict[str, Any] | None = None
    additional_usage_values: dict[str, Any] | None = None
    usage_object: dict[str, Any] | None = None


class _ModelMap(msgspec.Struct):
    model_map_key: str | None = None  # the price-map entry the payload's cost came from


class _Row(msgspec.Struct):
    """The fields read from a SpendLogs row (``request_id``, ``spend``) or a payload (``id``,
    ``response_cost``); typed, so that a JSON line decodes straight into it, exactly."""

    request_id: str | None = None
    id: str | None = None
    startTime: datetime | float | None = None  # LiteLLM's own name
    spend: Decimal | None = None
    response_cost: Decimal | None = None
    model: str | None = None
    custom_llm_provider: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cache_hit: bool | str | None = None
    team_id: str | None = None
    api_key: str | None = None
    request_tags: list[Any] | dict[str, Any] | None = None
    metadata: _Metadata | None = None
    model_map_information: _ModelMap | None = None


_LINE = msgspec.json.Decoder(_Row)
ROUTER_RECORD = "governance"  # the key of spend_logs_metadata a governance hook writes
# Columns that CSV exports and databases hand over as JSON text.
_JSON_COLUMNS = ("metadata", "request_tags")
_METADATA_JSON = ("spend_logs_metadata", "additional_usage_values", "usage_object")


class _Line(NamedTuple):
    """A JSON line decoded into the typed row, with its text: a row that proves bad is held
    as it was written (the typed row drops the fields it does not know)."""

    row: _Row
    text: bytes


def decode_line(line: bytes) -> _Line:
    """A JSON Lines line decoded straight into the typed row (the fast path for big logs)."""
    return _Line(_LINE.decode(line), line)


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


def _typed(row: dict[str, Any]) -> _Row:
    """A decoded row (JSON page, CSV, database) as the typed row; empty cells are absent."""
    clean = {k: fields.json_text(v) if k in _JSON_COLUMNS else v for k, v in row.items() if v != ""}
    metadata = clean.get("metadata")
    if isinstance(metadata, dict):
        clean["metadata"] = {
            k: fields.json_text(v) if k in _METADATA_JSON else v for k, v in metadata.items()
        }
    elif metadata is not None:
        del clean["metadata"]
    try:
        return msgspec.convert(clean, _Row, strict=False)
    except msgspec.ValidationError as exc:
        raise BadRecord(str(exc)) from None


def _truthy(value: bool | str | None) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "hit")


def _provider(row: _Row) -> str:
    provider = fields.text(row.custom_llm_provider)
    if provider is None and row.model and "/" in row.model:
        provider = row.model.split("/", 1)[0]
    return provider or "unknown"


def _cache_tokens(metadata: _Metadata) -> tuple[int, int]:
    usage = metadata.additional_usage_values or metadata.usage_object or {}
    read = usage.get("cache_read_input_tokens") or fields.dig(
        usage, "prompt_tokens_details", "cached_tokens"
    )
    write = usage.get("cache_creation_input_tokens")
    return (
        fields.integer(read, "cache_read_input_tokens"),
        fields.integer(write, "cache_creation_input_tokens"),
    )


def _started(row: _Row) -> datetime:
    if isinstance(row.startTime, datetime):
        return fields.aware(row.startTime)
    return fields.timestamp(row.startTime, "startTime")


def translate(row: _Row) -> UsageRecord:
    """A SpendLogs row, or a ``StandardLoggingPayload`` (whose cache hit reuses the original
    request's ``id``, so it is keyed by its own start time)."""
    metadata = row.metadata or _Metadata()
    started = _started(row)
    cache_hit = _truthy(row.cache_hit)
    if row.request_id:
        key, cost = row.request_id, fields.amount(row.spend, "spend")
        cache_hit = cache_hit or "_cache_hit" in key
    elif row.id:
        key, cost = row.id, fields.amount(row.response_cost, "response_cost")
        if cache_hit:
            key = f"{key}_cache_hit{started.timestamp():.6f}"
    else:
        raise BadRecord("missing field 'request_id'")
    cached, written = _cache_tokens(metadata)
    labels = metadata.spend_logs_metadata
    tags = tags_from(row.request_tags)
    if labels:
        # A router's record of its decision (governance.integrations.litellm) is no label.
        labels = {k: v for k, v in labels.items() if k != ROUTER_RECORD}
        tags += tags_from(labels)
    return UsageRecord(
        source_key=key,
        occurred_at=started,
        model=row.model or "",
        provider=_provider(row),
        input_tokens=fields.integer(row.prompt_tokens, "prompt_tokens"),
        cached_input_tokens=cached,
        cache_write_tokens=written,
        output_tokens=fields.integer(row.completion_tokens, "completion_tokens"),
        cost=cost,
        cache_hit=cache_hit,
        team=fields.text(metadata.user_api_key_team_alias)
        or fields.text(row.team_id)
        or fields.text(metadata.user_api_key_team_id)
        or (fields.text(labels.get("team")) if labels else None),
        project=fields.text(labels.get("project")) if labels else None,
        api_key=fields.text(metadata.user_api_key_alias)
        or fields.text(row.api_key)
        or fields.text(metadata.user_api_key_hash),
        tags=tags,
        priced_model=row.model_map_information.model_map_key if row.model_map_information else None,
    )


def _record(row: Any) -> UsageRecord:
    if not isinstance(row, dict):
        raise BadRecord("not a LiteLLM spend log row")
    return translate(_typed(row))


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    if isinstance(value, _Line):  # a JSON line, decoded by decode_line
        try:
            yield Parsed(location, translate(value.row), value.row)
            return
        except (BadRecord, ValueError, TypeError, AttributeError):
            value = decode_json(value.text)  # the dict path says why, in its words
    yield from parse_records(value, location, _record, "a LiteLLM spend log row")


FORMAT = Format(name="litellm", layer="gateway", sniff=sniff, parse=parse, decode_line=decode_line)
