"""Backtest of the period-end forecast against the linear run-rate on synthetic months.

Each month has a weekly rhythm (weekends at 25-60% of weekdays), growth (-1%..+3% per day),
lognormal day noise (sigma 0.05-0.3), 3-10x spike days (2% of days), sometimes a quiet holiday week
(30-50% for 5-7 days; a quarter of periods) and sometimes a category that starts partway through
(15% of months, on day 2..15). The 42 days before the period come from the same process (growth
drifting by up to +-0.5%/day, its own holiday chance; zeros before a late start).

At the end of days 7, 14 and 21 both methods forecast the period total, once with those 42 days
as ``history`` (how the daemon runs once it has a ledger) and once with the period's days only.
Checkpoints with no spend yet are skipped: there is nothing to scale.

    .venv/bin/python bench/forecast.py [--months 400] [--seed 1]

Targets (with history): forecast MAPE / run-rate MAPE <= 0.7; the 80% interval holds the truth in
70-90% of cases. The period-only figures are printed alongside for comparison.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from governance.domain.forecast import forecast_period_end, run_rate

CHECKPOINTS = (7, 14, 21)
HISTORY_DAYS = 42
SPIKE_CHANCE = 0.02  # per day
HOLIDAY_CHANCE = 0.25  # per period, and again for the history
LATE_START_CHANCE = 0.15  # per month
NOISE = (0.05, 0.3)  # range of the lognormal sigma of day noise
GROWTH_DRIFT = 0.005


@dataclass(frozen=True)
class Month:
    history: list[Decimal]
    daily: list[Decimal]
    first_weekday: int


@dataclass
class Tally:
    cases: int = 0
    forecast_error: float = 0.0
    run_rate_error: float = 0.0
    covered: int = 0

    def add(self, truth: Decimal, expected: Decimal, baseline: Decimal, inside: bool) -> None:
        self.cases += 1
        self.forecast_error += float(abs(expected - truth) / truth)
        self.run_rate_error += float(abs(baseline - truth) / truth)
        self.covered += inside

    def merge(self, other: Tally) -> None:
        self.cases += other.cases
        self.forecast_error += other.forecast_error
        self.run_rate_error += other.run_rate_error
        self.covered += other.covered

    @property
    def ratio(self) -> float:
        return self.forecast_error / self.run_rate_error if self.run_rate_error else math.inf

    @property
    def coverage(self) -> float:
        return 100 * self.covered / max(self.cases, 1)

    def row(self, label: str) -> str:
        cases = max(self.cases, 1)
        forecast, baseline = 100 * self.forecast_error / cases, 100 * self.run_rate_error / cases
        return (
            f"{label:<11}{self.cases:>6}{forecast:>14.2f}%{baseline:>14.2f}%"
            f"{self.ratio:>7.3f}{self.coverage:>13.1f}%"
        )


@dataclass
class Table:
    per_day: dict[int, Tally] = field(default_factory=lambda: {d: Tally() for d in CHECKPOINTS})

    def overall(self) -> Tally:
        total = Tally()
        for tally in self.per_day.values():
            total.merge(tally)
        return total

    def print(self, title: str) -> None:
        print(title)
        print(f"{'checkpoint':<11}{'cases':>6}{'forecast MAPE':>15}{'run-rate MAPE':>15}", end="")
        print(f"{'ratio':>7}{'80% coverage':>14}")
        for day, tally in self.per_day.items():
            print(tally.row(f"day {day}"))
        print(self.overall().row("all"))


def _quiet_week(rng: random.Random, days: int) -> list[float]:
    quiet = [1.0] * days
    if rng.random() < HOLIDAY_CHANCE:
        length = rng.randint(5, 7)
        begin = rng.randrange(days - length + 1)
        quiet[begin : begin + length] = [rng.uniform(0.3, 0.5)] * length
    return quiet


def generate(rng: random.Random) -> Month:
    days = rng.choice((28, 29, 30, 31))
    first_weekday = rng.randrange(7)
    base = 10 ** rng.uniform(0, 4)
    weekend_ratio = rng.uniform(0.25, 0.6)
    growth = rng.uniform(-0.01, 0.03)
    before = growth + rng.uniform(-GROWTH_DRIFT, GROWTH_DRIFT)
    noise = rng.uniform(*NOISE)
    quiet = _quiet_week(rng, HISTORY_DAYS) + _quiet_week(rng, days)
    start = rng.randint(2, 15) - 1 if rng.random() < LATE_START_CHANCE else -HISTORY_DAYS
    spend = []
    for day in range(-HISTORY_DAYS, days):  # day 0 is the period's first day
        if day < start:
            spend.append(Decimal(0))
            continue
        rate = base * (1 + (growth if day >= 0 else before)) ** day * quiet[day + HISTORY_DAYS]
        if (first_weekday + day) % 7 >= 5:
            rate *= weekend_ratio
        # Mean-one lognormal noise: the rate is the expected spend of the day.
        rate *= math.exp(rng.gauss(-noise * noise / 2, noise))
        if rng.random() < SPIKE_CHANCE:
            rate *= rng.uniform(3, 10)
        spend.append(Decimal(f"{rate:.9f}"))
    return Month(spend[:HISTORY_DAYS], spend[HISTORY_DAYS:], first_weekday)


def evaluate(month: Month, table: Table, history: Sequence[Decimal]) -> int:
    """Add the month's checkpoints to ``table``; return how many were skipped."""
    truth = sum(month.daily, Decimal(0))
    skipped = 0
    for day in CHECKPOINTS:
        seen = month.daily[:day]
        spent = sum(seen, Decimal(0))
        if spent <= 0:
            skipped += 1
            continue
        forecast = forecast_period_end(seen, 1.0, month.first_weekday, len(month.daily), history)
        baseline = run_rate(spent, day, len(month.daily))
        inside = forecast.low <= truth <= forecast.high
        table.per_day[day].add(truth, forecast.expected, baseline, inside)
    return skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--months", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print(f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} cores")
    print(f"python {platform.python_version()}; months {args.months}, seed {args.seed}")
    print(
        f"generator: weekends 25-60%, growth -1..+3%/day, noise sigma {NOISE[0]}-{NOISE[1]}, "
        f"spikes {SPIKE_CHANCE:.0%}/day, quiet week {HOLIDAY_CHANCE:.0%}/period, "
        f"late start {LATE_START_CHANCE:.0%}, history {HISTORY_DAYS} days"
    )
    rng = random.Random(args.seed)
    with_history, period_only = Table(), Table()
    skipped = 0
    began = time.perf_counter()
    for _ in range(args.months):
        month = generate(rng)
        skipped += evaluate(month, with_history, month.history)
        evaluate(month, period_only, ())
    elapsed = time.perf_counter() - began

    print(f"{skipped} checkpoints skipped (no spend yet); forecasts took {elapsed:.2f} s")
    with_history.print(f"with history ({HISTORY_DAYS} days before the period):")
    period_only.print("period only (history=()):")
    alone = period_only.overall()
    print(f"period only: ratio {alone.ratio:.3f}, coverage {alone.coverage:.1f}%")
    overall = with_history.overall()
    ratio_ok = overall.ratio <= 0.7
    coverage_ok = 70 <= overall.coverage <= 90
    print(
        f"targets: ratio <= 0.7 ({'OK' if ratio_ok else 'MISS'}), "
        f"coverage 70-90% ({'OK' if coverage_ok else 'MISS'})"
    )
    return 0 if ratio_ok and coverage_ok else 1


if __name__ == "__main__":
    sys.exit(main())
