"""Format names to format modules, and detection of a file's format from its content."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from governance.domain.formats import FORMAT_NAMES
from governance.exceptions import UsageError
from governance.sources.base import Format, ParseResult, ReadContext, Rejected, parse_safely
from governance.sources.containers import Item, Kind, container_kind, read_items
from governance.sources.lines import DEFAULT_MAX_RECORD_BYTES

_MODULES = {name: f"governance.sources.{name.replace('-', '_')}" for name in FORMAT_NAMES}
_MODULES["csv"] = _MODULES["jsonl"] = "governance.sources.mapped"
# Mapped formats need a source's column mapping: they are chosen, never detected.
_DETECTABLE = tuple(name for name in FORMAT_NAMES if name not in ("csv", "jsonl"))


def get_format(name: str) -> Format:
    """The format called ``name`` (a DESIGN section 4 name)."""
    if name not in _MODULES:
        raise UsageError(f"unknown format {name!r} (formats: {', '.join(FORMAT_NAMES)})")
    module = importlib.import_module(_MODULES[name])
    found: Format = getattr(module, "FORMATS", {}).get(name) or module.FORMAT
    return found


def detect(value: Any) -> Format | None:
    """The one format whose ``sniff`` recognises ``value``; None when none or several do."""
    matches = [fmt for name in _DETECTABLE if (fmt := get_format(name)).sniff(value)]
    return matches[0] if len(matches) == 1 else None


def detect_file(path: Path, cap: int = DEFAULT_MAX_RECORD_BYTES) -> tuple[Format, Kind]:
    """The format of a file, from its first item; UsageError when it cannot be told."""
    kind = container_kind(path, cap)
    items = read_items(path, kind, cap=cap, settled=True)
    first = next((item for item in items if isinstance(item, Item)), None)
    fmt = None if first is None else detect(first.value)
    if fmt is None:
        raise UsageError(f"cannot tell the format of {path}; name it with --format")
    return fmt, kind


def read_file(
    path: Path, fmt: Format | None = None, context: ReadContext | None = None
) -> Iterator[ParseResult]:
    """Every record of a whole file, parsed or rejected (no cursor; for tools and tests)."""
    kind = container_kind(path)
    if fmt is None:
        fmt, kind = detect_file(path)
    for item in read_items(path, kind):
        if isinstance(item, Item):
            yield from parse_safely(fmt, item.value, item.location, context or ReadContext())
        else:
            yield Rejected(item.location, item.reason, item.raw)
