"""Field readers shared by the format modules: each raises BadRecord with a plain reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from governance.domain.money import normalise_currency, parse_amount
from governance.domain.usage import BadRecord
from governance.sources.containers import decode_json

__all__ = [
    "BadRecord",
    "amount",
    "currency",
    "decode_json",
    "dig",
    "integer",
    "require",
    "text",
    "timestamp",
]

# Epoch values above this are milliseconds (the year 5138 in seconds).
_EPOCH_MS_THRESHOLD = 10**11


def require(record: Mapping[str, Any], key: str) -> Any:
    """``record[key]``, which must be present and not null."""
    value = record.get(key) if isinstance(record, dict) else None
    if value is None or value == "":
        raise BadRecord(f"missing field '{key}'")
    return value


def dig(record: Any, *path: str) -> Any:
    """``record[a][b]...``, or None where any step is missing or not an object."""
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def json_text(value: Any) -> Any:
    """A JSON object or array handed over as text (CSV exports, some databases) decoded; any
    other value as it is."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return decode_json(value)
        except ValueError:
            return value
    return value


def text(value: Any) -> str | None:
    """A non-empty string, or None."""
    if value is None:
        return None
    result = str(value).strip()
    return result or None


def integer(value: Any, name: str) -> int:
    """A non-negative whole count; None and "" are 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        number = _decimal(value, f"'{name}' is not a count: {value!r}")
    if number != number.to_integral_value():
        raise BadRecord(f"'{name}' is not a whole count: {value!r}")
    if number < 0:
        raise BadRecord(f"'{name}' is negative: {value}")
    return int(number)


def amount(value: Any, name: str) -> Decimal | None:
    """An exact decimal amount from its text; None and "" are None (not reported)."""
    if value is None or value == "":
        return None
    # Readers decode JSON numbers as Decimal; a float here would already have lost digits.
    return _decimal(value, f"'{name}' is not an amount: {value!r}")


def _decimal(value: Any, reason: str) -> Decimal:
    try:
        return parse_amount(value)
    except (TypeError, ValueError):
        raise BadRecord(reason) from None


def currency(value: Any, default: str = "USD") -> str:
    """An ISO 4217 code, upper case; OpenAI writes them lower case."""
    if value is None or value == "":
        return default
    try:
        return normalise_currency(str(value))
    except ValueError as exc:
        raise BadRecord(str(exc)) from None


def timestamp(value: Any, name: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text (naive means UTC) or epoch seconds/ms."""
    if value is None or value == "":
        raise BadRecord(f"missing field '{name}'")
    if isinstance(value, bool):
        raise BadRecord(f"'{name}' is not a time: {value!r}")
    if isinstance(value, int | float | Decimal):
        return _from_epoch(Decimal(str(value)), name)
    raw = str(value).strip()
    if raw[:1].isdigit() and ("-" in raw or ":" in raw):
        try:  # the common case first: ISO 8601 text
            return aware(datetime.fromisoformat(raw))
        except ValueError:
            pass
    try:
        return _from_epoch(Decimal(raw), name)
    except InvalidOperation:
        pass
    try:
        parsed = datetime.fromisoformat(raw.replace(" UTC", "Z"))
    except ValueError:
        raise BadRecord(f"'{name}' is not a time: {value!r}") from None
    return aware(parsed)


def aware(parsed: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC."""
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(number: Decimal, name: str) -> datetime:
    if not number.is_finite() or number < 0:
        raise BadRecord(f"'{name}' is not a time: {number}")
    if number > _EPOCH_MS_THRESHOLD:
        number = number / 1000
    try:
        return datetime.fromtimestamp(float(number), UTC)
    except (OverflowError, OSError, ValueError):
        raise BadRecord(f"'{name}' is out of range: {number}") from None
