"""Mapped tables (``csv``, ``jsonl``): any gateway's log, read through its source's column mapping.

``ReadContext.mapping`` maps our field names (``FIELDS``) to the file's columns; ``id`` (the
record's key) and ``time`` are required. A JSON column may be a dotted path into nested objects
(``usage.prompt_tokens``), tried after the literal key, since a CSV header or a JSON key may
itself contain dots. ``options["cost_unit"]`` is "dollars" (the default) or "cents".

Traps: the mapping is config and can be wrong, so a mapping without ``id`` or ``time``, with a
key we do not know (a misspelt ``output_token`` would silently drop every output count) or with
an unknown cost unit rejects every record, saying why; CSV cells are all text and an empty cell
means absent; JSON numbers arrive as Decimal; a tags cell is a JSON object or list, or words
separated by commas; the provider, when not mapped, is the model id's prefix
(``openai/gpt-4o``). These formats are never detected: a file of them is any table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from governance.domain.categorise import tags_from
from governance.domain.usage import UNKNOWN_PROVIDER, BadRecord, UsageRecord
from governance.sources import fields
from governance.sources.base import Format, ParseResult, ReadContext, parse_one, reject

FIELDS = (
    *("id", "time", "model", "provider", "cost", "currency"),
    *("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "requests"),
    *("team", "project", "api_key", "tags"),
)
REQUIRED = ("id", "time")
_COUNTS = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")
_COST_UNITS = {"dollars": 0, "cents": -2}  # the power of ten that turns the cost into dollars


def sniff(value: Any) -> bool:
    return False  # any table at all: only a source's config can say a file is one


def _config_problem(context: ReadContext) -> str | None:
    """Why no record can be read with this mapping and these options, or None."""
    mapping = context.mapping
    missing = [name for name in REQUIRED if not mapping.get(name)]
    if missing:
        names = " and ".join(f"'{name}'" for name in missing)
        return f"the source's column mapping has no {names} (required: {', '.join(REQUIRED)})"
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        return f"the source's column mapping has unknown keys {names} (known: {', '.join(FIELDS)})"
    unit = context.options.get("cost_unit", "dollars")
    if unit not in _COST_UNITS:
        return f"option cost_unit is {unit!r}; it must be 'dollars' or 'cents'"
    return None


def _lookup(row: Mapping[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    return fields.dig(row, *column.split(".")) if "." in column else None


class _Row:
    """One record seen through the mapping: values by our field names, None when absent."""

    def __init__(self, row: Mapping[str, Any], mapping: Mapping[str, str]) -> None:
        self.row, self.mapping = row, mapping

    def get(self, name: str) -> Any:
        column = self.mapping.get(name)
        value = None if not column else _lookup(self.row, column)
        return None if isinstance(value, str) and not value.strip() else value

    def column(self, name: str) -> str:
        """The file's column of ``name``: what the field readers name in their reasons."""
        return self.mapping.get(name) or name

    def require(self, name: str) -> Any:
        value = self.get(name)
        if value is None:
            raise BadRecord(f"missing field '{self.column(name)}' (mapped to {name})")
        return value


def _tags(value: Any, column: str) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            value = fields.decode_json(value)
        except json.JSONDecodeError:
            raise BadRecord(f"'{column}' is not JSON: {value[:80]!r}") from None
    elif isinstance(value, str):
        value = [word.strip() for word in value.split(",")]
    return tags_from(value)


def _currency(view: _Row) -> str:
    try:
        return fields.currency(view.get("currency"))
    except BadRecord as exc:
        raise BadRecord(f"'{view.column('currency')}': {exc}") from None


def _record(row: Mapping[str, Any], mapping: Mapping[str, str], unit: str) -> UsageRecord:
    view = _Row(row, mapping)
    key = view.require("id")
    if not isinstance(key, str | int | Decimal):
        raise BadRecord(f"'{view.column('id')}' is not a text or number id: {key!r}")
    cost = fields.amount(view.get("cost"), view.column("cost"))
    model = fields.text(view.get("model")) or ""
    provider = fields.text(view.get("provider"))
    if provider is None and "/" in model:
        provider = model.split("/", 1)[0]
    counts = [fields.integer(view.get(name), view.column(name)) for name in _COUNTS]
    requests = view.get("requests")
    tags = view.get("tags")
    return UsageRecord(
        source_key=str(key).strip(),
        occurred_at=fields.timestamp(view.require("time"), view.column("time")),
        model=model,
        provider=provider.lower() if provider else UNKNOWN_PROVIDER,
        cost=None if cost is None else cost.scaleb(_COST_UNITS[unit]),  # exact, unlike / 100
        currency=_currency(view),
        requests=1 if requests is None else fields.integer(requests, view.column("requests")),
        team=fields.text(view.get("team")),
        project=fields.text(view.get("project")),
        api_key=fields.text(view.get("api_key")),
        tags=() if tags is None else _tags(tags, view.column("tags")),
        input_tokens=counts[0],
        cached_input_tokens=counts[1],
        cache_write_tokens=counts[2],
        output_tokens=counts[3],
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    problem = _config_problem(context)
    unit = str(context.options.get("cost_unit", "dollars"))
    rows = value if isinstance(value, list) else [value]
    for index, row in enumerate(rows):
        where = f"{location} [{index}]" if isinstance(value, list) else location
        if problem is not None:
            yield reject(where, problem, row)
        elif not isinstance(row, Mapping):
            yield reject(where, "not a record: a JSON object or a CSV row was expected", row)
        else:
            yield parse_one(where, row, lambda item: _record(item, context.mapping, unit))


FORMATS = {
    "csv": Format(name="csv", layer="gateway", sniff=sniff, parse=parse),
    "jsonl": Format(name="jsonl", layer="gateway", sniff=sniff, parse=parse),
}
