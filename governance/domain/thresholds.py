"""Crossings: the first time a category's spend or forecast reaches a level of its allocation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

Basis = Literal["actual", "forecast"]
BASES: Final[tuple[Basis, ...]] = ("actual", "forecast")
# A forecast from two days of data is noise: forecast crossings wait for three elapsed days.
FORECAST_MIN_DAYS: Final = 3


@dataclass(frozen=True)
class CategoryState:
    """A category at one moment of the period: what it may spend, has spent, will spend."""

    name: str
    allocation: Decimal
    spend: Decimal
    forecast: Decimal
    forecast_low: Decimal | None = None
    forecast_high: Decimal | None = None
    forecast_method: str = ""  # how the forecast was made (``Forecast.method``)
    history_weight: float = 0.0  # how far the days before the period set its level

    def value(self, basis: Basis) -> Decimal:
        return self.spend if basis == "actual" else self.forecast


@dataclass(frozen=True)
class Crossing:
    """``category`` reached ``level`` percent on ``basis`` at ``at`` (once per period)."""

    period: str
    category: str
    level: int
    basis: Basis
    at: datetime
    value: Decimal
    allocation: Decimal

    @property
    def key(self) -> tuple[str, int, Basis]:
        return (self.category, self.level, self.basis)


def reaches(value: Decimal, allocation: Decimal, level: int) -> bool:
    """``value`` is at least ``level`` percent of ``allocation`` (never for a zero allocation:
    a category with share 0 has no percentage to cross)."""
    return allocation > 0 and value * 100 >= allocation * level


def new_crossings(
    period: str,
    states: Iterable[CategoryState],
    levels: Sequence[int],
    already: Iterable[tuple[str, int, Basis]],
    elapsed_days: float,
    at: datetime,
) -> list[Crossing]:
    """The crossings not recorded yet (``already`` holds the period's recorded keys)."""
    seen = set(already)
    found = []
    for state in states:
        for basis in BASES:
            if basis == "forecast" and elapsed_days < FORECAST_MIN_DAYS:
                continue
            value = state.value(basis)
            for level in sorted(levels):
                key = (state.name, level, basis)
                if key not in seen and reaches(value, state.allocation, level):
                    found.append(
                        Crossing(period, state.name, level, basis, at, value, state.allocation)
                    )
                    seen.add(key)
    return found
