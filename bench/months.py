"""Families of synthetic months for the forecast backtest, each from its own code path.

A family draws the expected level of every day (the 42 days before the period, then the period);
``_render`` then applies the shared texture: a weekday/weekend rhythm, mean-one lognormal day
noise, spike days and quiet weeks. ``sparse`` renders its own days (most of them zero). Every
month comes from ``random.Random(f"{family}:{seed}")``, so a seed means the same month anywhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

HISTORY_DAYS = 42
SPIKE_CHANCE = 0.02  # per day, 2-8x the day's rate
QUIET_CHANCE = 0.15  # per period and again for the history: 4-8 days at 30-60%


@dataclass(frozen=True)
class Month:
    history: list[Decimal]
    daily: list[Decimal]
    first_weekday: int  # of the period's day 1


@dataclass(frozen=True)
class Calendar:
    days: int  # of the period
    first_weekday: int
    months: list[tuple[int, int]]  # (first day index, last day index + 1) of each calendar month

    def index(self) -> range:
        """Day indexes: -HISTORY_DAYS..-1 the history, 0.. the period."""
        return range(-HISTORY_DAYS, self.days)


def _calendar(rng: random.Random) -> Calendar:
    days = rng.choice((28, 29, 30, 31))
    bounds, end = [(0, days)], 0
    while end > -HISTORY_DAYS:  # the months before, back past the history's first day
        length = rng.choice((28, 30, 31))
        bounds.insert(0, (end - length, end))
        end -= length
    return Calendar(days, rng.randrange(7), bounds)


def _quiet(rng: random.Random, first: int, last: int) -> dict[int, float]:
    if rng.random() >= QUIET_CHANCE:
        return {}
    length = rng.randint(4, 8)
    begin = rng.randrange(first, last - length + 1)
    factor = rng.uniform(0.3, 0.6)
    return {d: factor for d in range(begin, begin + length)}


def _render(
    rng: random.Random, cal: Calendar, level: Callable[[int], float], spikes: float = SPIKE_CHANCE
) -> Month:
    weekend = rng.uniform(0.2, 1.0)
    noise = rng.uniform(0.05, 0.35)
    quiet = _quiet(rng, -HISTORY_DAYS, 0) | _quiet(rng, 0, cal.days)
    spend = []
    for d in cal.index():
        rate = level(d) * quiet.get(d, 1.0)
        if (cal.first_weekday + d) % 7 >= 5:
            rate *= weekend
        rate *= math.exp(rng.gauss(-noise * noise / 2, noise))
        if rng.random() < spikes:
            rate *= rng.uniform(2, 8)
        spend.append(Decimal(f"{max(rate, 0.0):.9f}"))
    return Month(spend[:HISTORY_DAYS], spend[HISTORY_DAYS:], cal.first_weekday)


def _base(rng: random.Random) -> float:
    return 10 ** rng.uniform(0, 4)


def continuous(rng: random.Random) -> Month:
    """One level carried across months, growing -1..+2% a day (the history's rate drifts)."""
    cal, base = _calendar(rng), _base(rng)
    growth = rng.uniform(-0.01, 0.02)
    before = growth + rng.uniform(-0.003, 0.003)
    return _render(rng, cal, lambda d: base * (1 + (growth if d >= 0 else before)) ** d)


def own_level(rng: random.Random) -> Month:
    """Each calendar month at a level of its own (0.4-2.5x the one before), nearly flat."""
    cal, level = _calendar(rng), _base(rng)
    steps = []
    for first, last in cal.months:
        level *= math.exp(rng.uniform(-math.log(2.5), math.log(2.5)))
        steps.append((first, last, level, rng.uniform(-0.005, 0.005)))

    def at(d: int) -> float:
        first, _, value, drift = next(s for s in steps if s[0] <= d < s[1])
        return value * (1 + drift) ** (d - first)

    return _render(rng, cal, at)


def shifts(rng: random.Random) -> Month:
    """Level shifts (0.5-2x) at the period's start, in its middle (day 4..24), or both."""
    cal, base = _calendar(rng), _base(rng)
    kind = rng.choice(("start", "middle", "both"))
    at_start = math.exp(rng.uniform(-math.log(2), math.log(2))) if kind != "middle" else 1.0
    middle = math.exp(rng.uniform(-math.log(2), math.log(2))) if kind != "start" else 1.0
    day = rng.randint(3, 23)
    return _render(
        rng, cal, lambda d: base * (1.0 if d < 0 else at_start) * (middle if d >= day else 1.0)
    )


def growth(rng: random.Random) -> Month:
    """Growth or decline of up to 60% across the period; half the time it began in the history."""
    cal, base = _calendar(rng), _base(rng)
    rate = math.pow(rng.uniform(0.4, 1.6), 1 / cal.days) - 1
    carried = rng.random() < 0.5
    linear = rng.random() < 0.5  # a straight ramp rather than compounding

    def at(d: int) -> float:
        if d < 0 and not carried:
            return base
        if linear:
            return base * max(0.05, 1 + rate * d)
        return base * math.pow(1 + rate, d)

    return _render(rng, cal, at)


def spiky(rng: random.Random) -> Month:
    """A steady level with spikes on 6% of days and a quiet week in half the periods."""
    cal, base = _calendar(rng), _base(rng)
    holiday: dict[int, float] = {}
    if rng.random() < 0.5:
        begin, length = rng.randrange(cal.days - 5), rng.randint(5, 7)
        holiday = {d: rng.uniform(0.2, 0.5) for d in range(begin, begin + length)}
    return _render(rng, cal, lambda d: base * holiday.get(d, 1.0), spikes=0.06)


def late_start(rng: random.Random) -> Month:
    """A new category: nothing before its first day (2..15), ramping up over 1-4 days."""
    cal, base = _calendar(rng), _base(rng)
    start, ramp = rng.randint(1, 14), rng.randint(1, 4)
    return _render(
        rng, cal, lambda d: 0.0 if d < start else base * min(1.0, (d - start + 1) / ramp)
    )


def sparse(rng: random.Random) -> Month:
    """Spend on some days only (25-75% of weekdays, fewer weekend days), lognormal amounts."""
    cal, base = _calendar(rng), _base(rng)
    active = rng.uniform(0.25, 0.75)
    weekend = active * rng.uniform(0.0, 1.0)
    sigma = rng.uniform(0.3, 0.8)
    spend = []
    for d in cal.index():
        chance = weekend if (cal.first_weekday + d) % 7 >= 5 else active
        amount = (
            base * math.exp(rng.gauss(-sigma * sigma / 2, sigma)) if rng.random() < chance else 0
        )
        spend.append(Decimal(f"{amount:.9f}"))
    return Month(spend[:HISTORY_DAYS], spend[HISTORY_DAYS:], cal.first_weekday)


FAMILIES: dict[str, Callable[[random.Random], Month]] = {
    "continuous": continuous,
    "own-level": own_level,
    "shifts": shifts,
    "growth": growth,
    "spiky": spiky,
    "late-start": late_start,
    "sparse": sparse,
}


def month(family: str, seed: int) -> Month:
    """The month ``seed`` of ``family``."""
    return FAMILIES[family](random.Random(f"{family}:{seed}"))
