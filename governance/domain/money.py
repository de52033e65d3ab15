"""Exact money: decimal amounts, nano-unit integers, currency codes and display strings."""

from __future__ import annotations

import re
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Final

NANOS_PER_UNIT: Final = 10**9

# 60 digits hold any amount below 1e51 at nano precision; never rely on the global context.
_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_EVEN, Emin=MIN_EMIN, Emax=MAX_EMAX)
_NANO: Final = Decimal("1E-9")
_CENT: Final = Decimal("0.01")
_UNIT: Final = Decimal(1)
# ASCII digits only: Decimal() alone would also take "1_000", "Infinity" and non-ASCII digits.
_AMOUNT_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}", re.ASCII)
_SYMBOLS: Final = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_NO_DECIMALS: Final = frozenset({"JPY"})


def _require_finite(amount: Decimal) -> None:
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {amount}")


def _quantize(amount: Decimal, exponent: Decimal) -> Decimal:
    try:
        return amount.quantize(exponent, rounding=ROUND_HALF_EVEN, context=_CONTEXT)
    except InvalidOperation:
        raise ValueError(f"amount too large: {amount}") from None


def to_nanos(amount: Decimal) -> int:
    """Return ``amount`` as a count of nano-units, rounded half-even to 1e-9 once.

    Raises ValueError for NaN, Infinity and amounts of 1e51 or more.
    """
    _require_finite(amount)
    return int(_quantize(amount, _NANO).scaleb(9, context=_CONTEXT))


def from_nanos(nanos: int) -> Decimal:
    """Return the exact decimal amount of ``nanos`` nano-units (exponent -9)."""
    if isinstance(nanos, bool) or not isinstance(nanos, int):
        raise TypeError(f"nanos must be an int, not {type(nanos).__name__}")
    # Building from text is exact whatever the size; arithmetic would round to the context.
    return Decimal(f"{nanos}E-9")


def parse_amount(value: str | int | Decimal) -> Decimal:
    """Parse a decimal amount from its text (or an int / finite Decimal), never through float.

    Raises TypeError for float and bool, ValueError for anything that is not a finite decimal.
    """
    if isinstance(value, bool | float):
        raise TypeError(f"amounts are parsed from text, not {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        _require_finite(value)
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise TypeError(f"not a decimal amount: {value!r}")
    text = value.strip()
    if not _AMOUNT_RE.fullmatch(text):
        raise ValueError(f"not a decimal amount: {value!r}")
    return Decimal(text)


def normalise_currency(code: str) -> str:
    """Return ``code`` stripped and upper-cased; ValueError unless it is three ASCII letters."""
    normalised = code.strip().upper() if isinstance(code, str) else ""
    if not _CURRENCY_RE.fullmatch(normalised):
        raise ValueError(f"not an ISO 4217 currency code: {code!r}")
    return normalised


def money_str(amount: Decimal) -> str:
    """Canonical JSON decimal string: on the nano grid (half-even to 1e-9, as the ledger keeps
    money), plain notation, at least 2 decimals, no further trailing 0s.

    ``Decimal("0.010000000")`` -> ``"0.01"``, ``Decimal("1E+3")`` -> ``"1000.00"``,
    ``Decimal(31) * 20 / 30`` -> ``"20.666666667"``.
    """
    _require_finite(amount)
    # Every document leaves through here: none shows a digit the ledger could not hold.
    amount = _quantize(amount, _NANO)
    if amount.is_zero():
        return "0.00"
    # "f" without a precision prints every digit exactly, with no context rounding.
    whole, _, fraction = format(amount, "f").partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


def format_money(amount: Decimal, currency: str) -> str:
    """Format for people: half-even to 2 decimals (JPY 0), thousands separators, symbol.

    ``format_money(Decimal("-3.5"), "USD")`` -> ``"-$3.50"``; other currencies get a suffix:
    ``"1,234.00 CHF"``.
    """
    _require_finite(amount)
    code = normalise_currency(currency)
    rounded = _quantize(amount, _UNIT if code in _NO_DECIMALS else _CENT)
    sign = "-" if rounded < 0 else ""
    digits = format(abs(rounded), ",f")
    symbol = _SYMBOLS.get(code)
    if symbol is None:
        return f"{sign}{digits} {code}"
    return f"{sign}{symbol}{digits}"
