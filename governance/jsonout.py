"""How our JSON documents write time, periods and plain numbers (money: ``money_str``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from governance.domain.periods import Period

JSON = dict[str, Any]


def rfc3339(instant: datetime) -> str:
    """An RFC 3339 UTC timestamp to the second, as every JSON document of ours writes time."""
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def period_json(period: Period) -> JSON:
    return {"start": rfc3339(period.start), "end": rfc3339(period.end)}


def number(value: Decimal) -> int | float:
    """A share or a percentage as a JSON number (an int when whole)."""
    return int(value) if value == value.to_integral_value() else float(value)
