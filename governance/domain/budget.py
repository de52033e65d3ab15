"""Budget arithmetic: a category's allocation and how much of it is used."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from governance.domain.money import from_nanos


def _exact(value: Decimal, name: str) -> Fraction:
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite amount: {value}")
    # Fractions are exact at any size, so each result is rounded once, half-even.
    return Fraction(value)


def allocation(budget_amount: Decimal, share: Decimal) -> Decimal:
    """``budget_amount * share / 100`` (share in percent), rounded half-even to 1e-9."""
    nanos = _exact(budget_amount, "budget amount") * _exact(share, "share") * 10**7
    return from_nanos(round(nanos))


def percent_used(spend: Decimal, allocation: Decimal) -> Decimal | None:
    """``spend / allocation * 100``, rounded half-even to 0.1; None when the allocation is 0."""
    if _exact(allocation, "allocation") == 0:
        return None
    tenths = _exact(spend, "spend") * 1000 / _exact(allocation, "allocation")
    return Decimal(f"{round(tenths)}E-1")
