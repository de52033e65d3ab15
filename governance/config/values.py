"""The value types of the config (money, shares, rates, durations, currencies, time zones, ...).

Each is an ``Annotated`` type whose validator raises ValueError with the words a person needs;
``config_errors`` shows that text as is, at the key's path.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator

from governance.domain.money import normalise_currency, parse_amount

DEFAULT_THRESHOLDS: Final[tuple[int, ...]] = (70, 90, 100)

# DESIGN section 5: glob patterns on the model id, provider prefix removed.
DEFAULT_TIERS: Final[dict[str, tuple[str, ...]]] = {
    "premium": (
        "o1*",
        "o3*",
        "gpt-4o",
        "gpt-4o-2*",
        "claude-*sonnet*",
        "claude-*opus*",
        "gemini-*pro*",
    ),
    "standard": ("gpt-4o-mini*", "claude-*haiku*", "gemini-*flash*"),
    "economy": ("llama*", "mistral*", "mixtral*", "phi-*", "qwen*"),
}

MONEY_AS_STRING: Final = 'write money as a string, e.g. "50000.00", so it stays exact'

_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?):///(?P<path>[^?]*)(?P<query>\?.*)?")
_DURATION = re.compile(r"(?:\d+[smhd])+")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def to_money(value: object) -> Decimal:
    """An exact amount from a TOML string or integer; a TOML float is refused, as it may not be."""
    if isinstance(value, float):
        raise ValueError(MONEY_AS_STRING)
    # bool is an int to Python, but `amount = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(f"not a decimal amount: {value!r}")
    return parse_amount(value)


def to_share(value: object) -> Decimal:
    """A percentage from an integer, a decimal string or a float (via its shortest text)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"not a percentage: {value!r}")
    try:
        share = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a percentage: {value!r}") from None
    if not share.is_finite() or not 0 <= share <= 100:
        raise ValueError(f"must be between 0 and 100, not {value!r}")
    return share


def to_duration(value: object) -> timedelta:
    """A positive duration from text such as ``30s``, ``5m``, ``1h``, ``1d`` or ``1h30m``."""
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, str) and _DURATION.fullmatch(value.strip()):
        duration = sum(
            (
                timedelta(seconds=int(n) * _UNIT_SECONDS[unit])
                for n, unit in _DURATION_PART.findall(value)
            ),
            timedelta(),
        )
    else:
        raise ValueError(f"not a duration, expected e.g. 30s, 5m, 1h: {value!r}")
    if duration <= timedelta():
        raise ValueError(f"must be longer than 0s, not {value!r}")
    return duration


def _not_negative(amount: Decimal) -> Decimal:
    if amount < 0:
        raise ValueError(f"must not be negative, not {amount}")
    return amount


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise ValueError(f"must be greater than 0, not {amount}")
    return amount


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone: {name!r}") from None
    return name


def resolve_sqlite_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite file path in ``url`` absolute, against ``base_dir``.

    Other databases, in-memory SQLite and absolute paths are returned unchanged.
    """
    found = _SQLITE_URL.fullmatch(url)
    if found is None:
        return url
    path = found["path"]
    if path in ("", ":memory:") or path.startswith(("/", "file:")):
        return url
    absolute = os.path.normpath(base_dir.absolute() / path)
    return f"{found['scheme']}:///{absolute}{found['query'] or ''}"


def _one_or_many(value: object) -> object:
    """`team = "x"` means `team = ["x"]`; lists become tuples, which strict mode requires."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


def _option_value(value: object) -> str | int | bool:
    if isinstance(value, str | int):  # bool is an int
        return value
    raise ValueError(f"must be a string, a whole number or true/false, not {value!r}")


Money = Annotated[Decimal, BeforeValidator(to_money), AfterValidator(_not_negative)]
PositiveMoney = Annotated[Decimal, BeforeValidator(to_money), AfterValidator(_positive)]
# An exchange rate multiplies money, so it follows the same rule: written exactly.
Rate = PositiveMoney
Share = Annotated[Decimal, BeforeValidator(to_share)]
Duration = Annotated[timedelta, BeforeValidator(to_duration)]
Currency = Annotated[str, AfterValidator(normalise_currency)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Globs = Annotated[tuple[str, ...], BeforeValidator(_one_or_many)]
OptionValue = Annotated[str | int | bool, PlainValidator(_option_value)]
Level = Annotated[int, Field(ge=1, le=1000)]
