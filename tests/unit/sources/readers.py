"""What the reader tests share: the fixtures folder, reading a file with a format, times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from governance.domain.usage import UsageRecord
from governance.sources.base import Parsed, ParseResult
from governance.sources.containers import Item, container_kind, read_items
from governance.sources.formats import get_format, read_file

FIXTURES = Path(__file__).parents[2] / "fixtures"


def read(path: Path, name: str) -> list[ParseResult]:
    """Every record of ``path`` read as format ``name``."""
    return list(read_file(path, get_format(name)))


def records(path: Path, name: str) -> list[UsageRecord]:
    """The records of a file that must parse whole."""
    results = read(path, name)
    assert all(isinstance(result, Parsed) for result in results), results
    return [result.record for result in results if isinstance(result, Parsed)]


def first_item(path: Path) -> Any:
    """The first decoded item of a file, as format detection sees it."""
    items = read_items(path, container_kind(path))
    return next(item.value for item in items if isinstance(item, Item))


def november(day: int, hour: int, minute: int, second: int, micro: int = 0) -> datetime:
    """A time in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, second, micro, tzinfo=UTC)
