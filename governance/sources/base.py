"""What a format module provides, and what reading yields.

A format module parses one decoded item (a JSON value, or a CSV row as a dict) into
``Parsed`` records, or ``Rejected`` ones that go to the quarantine with the reason in words.
It never raises for bad input: ``parse_safely`` turns any error into a ``Rejected``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from governance.domain.formats import Layer
from governance.domain.usage import BadRecord, UsageRecord
from governance.exceptions import UsageError
from governance.sources.lines import DEFAULT_MAX_RECORD_BYTES
from governance.sources.redact import redact_record


@dataclass(frozen=True, slots=True)
class Parsed:
    location: str
    record: UsageRecord
    # The decoded record, self-contained, so that a row the ledger refuses (a currency without
    # an [fx] rate) is quarantined in a form its format can parse again on `quarantine retry`.
    value: Any = None


@dataclass(frozen=True, slots=True)
class Rejected:
    location: str
    reason: str
    raw: str  # secrets removed


ParseResult = Parsed | Rejected


class SourceSettings(Protocol):
    """What a ``[[sources]]`` entry tells a reader."""

    @property
    def mapping(self) -> Mapping[str, str]: ...

    @property
    def options(self) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class ReadContext:
    """What a source's config adds to reading: the column mapping of csv/jsonl, options."""

    mapping: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, source: SourceSettings) -> ReadContext:
        """The context a ``[[sources]]`` entry (its ``mapping`` and ``options``) gives."""
        context = cls(source.mapping, source.options)
        context.max_record_bytes  # noqa: B018 - a bad cap is the config's error, said at once
        return context

    @property
    def max_record_bytes(self) -> int:
        """``options.max_record_bytes``: a line, row or document longer than this is held in
        the quarantine as its excerpt and hash, never read whole (default 8 MiB)."""
        cap = self.options.get("max_record_bytes", DEFAULT_MAX_RECORD_BYTES)
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1024 <= cap <= 2**31:
            raise UsageError(
                f"options.max_record_bytes is {cap!r}; it must be a whole number of bytes "
                "from 1024 to 2147483648"
            )
        return cap


@dataclass(frozen=True)
class Format:
    """A format: its name, its layer, how to recognise it and how to parse an item of it."""

    name: str
    layer: Layer
    # True when a decoded item (the first one of a file) is unambiguously of this format.
    sniff: Callable[[Any], bool]
    parse: Callable[[Any, str, ReadContext], Iterator[ParseResult]]
    # A fast decoder for one JSON line of this format (typed, exact); ``parse`` accepts what it
    # returns. When it fails the line is decoded generically and parsed as any other value.
    decode_line: Callable[[bytes], Any] | None = None


def raw_text(value: Any) -> str:
    """The record as text for the quarantine, secrets removed."""
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    return redact_record(value)


def reject(location: str, reason: str, value: Any) -> Rejected:
    return Rejected(location, reason, raw_text(value))


def parse_one(
    location: str, value: Any, translate: Callable[[Any], UsageRecord], raw: Any = None
) -> ParseResult:
    """``translate(value)`` as a Parsed record, or a Rejected one with the reason in words.

    ``raw`` is the self-contained form of the record (default: ``value``) that is kept for the
    quarantine; a record that needs its page's context (a bucket's start) passes a mini page.
    """
    raw = value if raw is None else raw
    try:
        return Parsed(location, translate(value), raw)
    except BadRecord as exc:
        return reject(location, str(exc), raw)
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        return reject(location, f"unreadable record: {type(exc).__name__}: {exc}", raw)


def parse_records(
    value: Any, location: str, translate: Callable[[Any], UsageRecord], what: str
) -> Iterator[ParseResult]:
    """A record, a JSON array of records, or a page ``{"data": [records]}``, each translated;
    an item that is not an object is rejected as not ``what``."""
    if isinstance(value, list):
        rows, label = value, ""
    elif isinstance(value, dict) and isinstance(value.get("data"), list):
        rows, label = value["data"], "data"
    else:
        yield parse_one(location, value, translate)
        return
    for index, row in enumerate(rows):
        where = f"{location} {label}[{index}]"
        if isinstance(row, dict):
            yield parse_one(where, row, translate)
        else:
            yield reject(where, f"not {what}", row)


def parse_safely(
    fmt: Format, value: Any, location: str, context: ReadContext
) -> Iterator[ParseResult]:
    """Everything ``fmt`` makes of ``value``; an unexpected error becomes one Rejected item."""
    try:
        yield from fmt.parse(value, location, context)
    except Exception as exc:  # a reader bug must quarantine the record, never stop the ingest
        yield reject(location, f"{fmt.name} reader failed: {type(exc).__name__}: {exc}", value)
