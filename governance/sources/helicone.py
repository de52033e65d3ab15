"""Helicone: request query results (``POST /v1/request/query`` and ``/v1/request/query-clickhouse``
answer ``{"data": [row, ...], "error": null}``), or JSON Lines of those rows.

Traps: ``prompt_tokens`` counts only the fresh input: Helicone stores cache reads and cache
writes apart (``prompt_cache_read_tokens``, ``prompt_cache_write_tokens``), so they are added
to make ``input_tokens``; current rows keep ``reasoning_tokens`` out of ``completion_tokens``, so
they are added to the output (older rows have no such field). ``cost`` is USD (ClickHouse keeps it
in nano-dollars and the API divides); older rows carry only ``costUSD``. A cost of 0 with tokens
means Helicone had no price: the ledger prices it. A row whose ``cache_reference_id`` is set (not
the nil UUID) was answered from Helicone's cache: free. ``request_created_at`` is ISO with ``Z``
from the API, but ``YYYY-MM-DD hh:mm:ss.sss`` (UTC, no offset) straight from ClickHouse, which
also quotes its 64-bit counts (``"prompt_tokens": "900"``). The model
is ``request_model``, then ``response_model``, ``model_override``, ``model``. ``properties``
(``request_properties`` on some rows) hold the ``Helicone-Property-*`` labels, the prefix removed
by the proxy but kept by some manual loggers, so it is removed here; Helicone's own
``Helicone-Session-Id`` / ``-Path`` (ids of one conversation) are dropped; every other property is
a tag, and ``team`` / ``project`` (any case) are the team and project. ``provider`` is upper case
(``OPENAI``): lower-cased here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from governance.domain.categorise import tags_from
from governance.domain.usage import UsageRecord
from governance.sources import fields
from governance.sources.base import Format, ParseResult, ReadContext, parse_records, reject

_PREFIX = "helicone-property-"
_DROPPED = frozenset({"helicone-session-id", "helicone-session-path"})
_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def _is_row(value: Any) -> bool:
    return isinstance(value, Mapping) and {"request_id", "request_created_at"} <= value.keys()


def _rows_of(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    rows = value.get("data") if isinstance(value, Mapping) and "error" in value else None
    return rows if isinstance(rows, list) else None


def sniff(value: Any) -> bool:
    rows = _rows_of(value)
    sample = rows[0] if rows else value
    return _is_row(sample)


def _labels(row: Mapping[str, Any]) -> dict[str, Any]:
    properties = row.get("properties") or row.get("request_properties")
    if not isinstance(properties, Mapping):
        return {}
    labels: dict[str, Any] = {}
    for key, value in properties.items():
        name = str(key).strip()
        if name.lower() in _DROPPED:
            continue
        if name.lower().startswith(_PREFIX):
            name = name[len(_PREFIX) :]
        labels[name] = value
    return labels


def _label(labels: Mapping[str, Any], name: str) -> str | None:
    return fields.text(next((v for k, v in labels.items() if k.lower() == name), None))


def _cost(row: Mapping[str, Any]) -> Decimal | None:
    name = "cost" if row.get("cost") is not None else "costUSD"
    cost = fields.amount(row.get(name), name)
    if cost is not None and cost < 0:
        raise fields.BadRecord(f"negative cost: {cost}")
    return cost


def _count(row: Mapping[str, Any], name: str) -> int:
    return fields.integer(row.get(name), name)


def _record(row: Any) -> UsageRecord:
    if not isinstance(row, Mapping):
        raise fields.BadRecord("not a Helicone request row")
    request_id = fields.text(fields.require(row, "request_id"))
    if request_id is None:
        raise fields.BadRecord("missing field 'request_id'")
    read = _count(row, "prompt_cache_read_tokens")
    written = _count(row, "prompt_cache_write_tokens")
    models = ("request_model", "response_model", "model_override", "model")
    labels = _labels(row)
    cache_reference = fields.text(row.get("cache_reference_id"))
    return UsageRecord(
        source_key=request_id,
        occurred_at=fields.timestamp(row.get("request_created_at"), "request_created_at"),
        model=next((str(row[name]) for name in models if fields.text(row.get(name))), ""),
        provider=(fields.text(row.get("provider")) or "unknown").lower(),
        input_tokens=_count(row, "prompt_tokens") + read + written,
        cached_input_tokens=read,
        cache_write_tokens=written,
        output_tokens=_count(row, "completion_tokens") + _count(row, "reasoning_tokens"),
        cost=_cost(row),
        cache_hit=cache_reference is not None and cache_reference != _NIL_UUID,
        team=_label(labels, "team"),
        project=_label(labels, "project"),
        tags=tags_from(labels),
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    if isinstance(value, Mapping) and "error" in value and not isinstance(value.get("data"), list):
        # A failed query is answered {"data": null, "error": "..."}: nothing to read.
        yield reject(location, f"Helicone answered with an error: {value.get('error')}", value)
        return
    yield from parse_records(value, location, _record, "a Helicone request row")


FORMAT = Format(name="helicone", layer="gateway", sniff=sniff, parse=parse)
