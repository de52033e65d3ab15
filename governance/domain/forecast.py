"""Period-end spend forecast: the period's own level and trend, history's shape and noise.

The weekend offset and the day noise are habits of a category: they are read from the period
and the 42 days before it. The level and the growth per day are the period's own, fitted to its
days; the history's level counts only as far as the period agrees with it (a posterior weight:
a month at a level of its own keeps its own). Floats inside; amounts come out as Decimal on the
nano grid. Constants (``Tuning``) were fitted by ``bench/forecast.py --fit`` on seeds that its
report never uses.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Final

from governance.domain.forecast_fit import Tuning, agreement, fit_level, log_level_at, project
from governance.domain.forecast_fit import shape as weekly_shape
from governance.domain.forecast_sparse import sparse_rest
from governance.domain.money import from_nanos, to_nanos

_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_EVEN)
_Z90: Final = 1.2815515655446004  # 90th percentile of the standard normal: 80% two-sided
HISTORY_DAYS: Final = 42  # days before the period the model reads: six weeks of habits
TUNING: Final = Tuning()
_MIN_DAYS: Final = 3  # fewer complete days of the period than this: run-rate
_MIN_HISTORY_DAYS: Final = 7  # active days before the period needed to compare with it
_FLOOR_SHARE: Final = 0.02  # a zero or negative day counts as 2% of the median positive day
_MAX_SD: Final = 3.0
_MIN_ELAPSED: Final = 1 / 24  # scaling up the first minutes of a day would be noise x 1000


@dataclass(frozen=True)
class Forecast:
    """Projected spend at period end (spend so far + the rest) with an 80% interval."""

    expected: Decimal
    low: Decimal  # 10th percentile
    high: Decimal  # 90th percentile
    method: str  # "weekday-trend"; "sparse-rate" for a few days a week; "run-rate": too early
    history_weight: float = 0.0  # how far the days before the period set the level (0..1)


def run_rate(spend: Decimal, elapsed_days: float, period_days: int) -> Decimal:
    """Return the linear baseline ``spend * period_days / elapsed_days``; ``spend`` if 0 elapsed."""
    if elapsed_days <= 0:
        return spend
    scaled = _CONTEXT.divide(_CONTEXT.multiply(spend, Decimal(period_days)), Decimal(elapsed_days))
    return from_nanos(to_nanos(scaled))


def _result(so_far: Decimal, rest: float, sd: float, method: str, weight: float = 0.0) -> Forecast:
    spread = math.exp(_Z90 * min(sd, _MAX_SD))

    def total(extra: float) -> Decimal:
        return from_nanos(to_nanos(_CONTEXT.add(so_far, Decimal(extra))))

    return Forecast(total(rest), total(rest / spread), total(rest * spread), method, weight)


def forecast_period_end(
    daily: Sequence[Decimal],
    today_fraction: float,
    first_weekday: int,
    period_days: int,
    history: Sequence[Decimal] = (),
    tuning: Tuning = TUNING,
) -> Forecast:
    """Forecast the period's total spend from its daily spend so far.

    ``daily`` holds each elapsed local day of the period, day 1 first; the last entry covers
    ``today_fraction`` (in (0, 1]) of its day. ``first_weekday`` is the weekday (Monday=0) of day 1;
    ``history`` optionally holds the daily spend of the days before it, oldest first (the last six
    weeks are used). The rest of the period is never negative: ``spend so far <= low <= expected
    <= high`` (for amounts on the nano grid). Raises ValueError for inconsistent arguments and
    for totals beyond the money range (1e51).
    """
    if not 1 <= len(daily) <= period_days:
        raise ValueError(f"need 1..{period_days} elapsed days, got {len(daily)}")
    if not 0.0 < today_fraction <= 1.0:
        raise ValueError(f"today_fraction must be in (0, 1], got {today_fraction}")
    if not 0 <= first_weekday <= 6:
        raise ValueError(f"first_weekday must be 0..6, got {first_weekday}")
    past = list(history)[-HISTORY_DAYS:]
    if not all(x.is_finite() for x in (*past, *daily)):
        raise ValueError("daily spend must be finite")
    so_far = sum(daily, Decimal(0))
    values = [float(x) for x in (*past, *daily)]
    begin = len(past)  # index of the period's day 1

    def weekend(i: int) -> bool:
        return (first_weekday + i - begin) % 7 >= 5

    rest_today = 1.0 - today_fraction
    complete = len(values) - (1 if rest_today > 0 else 0)
    # Days to come as (index, share of the day): the rest of today, then whole days.
    future = [(len(values) - 1, rest_today)] if rest_today > 0 else []
    future += [(i, 1.0) for i in range(len(values), len(past) + period_days)]
    positive = [i for i, v in enumerate(values) if v > 0]
    if not positive or not future:
        return _result(so_far, 0.0, 0.0, "run-rate")
    start = positive[0]  # leading empty days: the category had not started yet
    own_days = list(range(max(start, begin), complete))
    active = [i for i in own_days if values[i] > 0]
    window = range(start, complete)
    if len(own_days) >= _MIN_DAYS and active and len(active) < tuning.dense_share * len(own_days):
        rates = {i: max(values[i], 0.0) for i in window}
        rest, variance, weight = sparse_rest(rates, begin, future, weekend, tuning)
        sd = tuning.sparse_scale * _sd(variance, tuning)
        return _result(so_far, rest, sd, "sparse-rate", weight)
    if len(active) < _MIN_DAYS:  # the period's own run-rate, since the category started
        first = max(start, begin)
        elapsed = max(len(values) - first - rest_today, _MIN_ELAPSED)
        rate = max(0.0, sum(values[first:]) / elapsed)
        return _result(
            so_far, rate * sum(share for _, share in future), tuning.fallback_sd, "run-rate"
        )
    floor = _FLOOR_SHARE * statistics.median(values[i] for i in window if values[i] > 0)
    logs = {i: math.log(max(values[i], floor)) for i in window}
    form = weekly_shape(logs, weekend, tuning.weekend_prior_sd)
    own = fit_level({i: logs[i] for i in own_days}, weekend, form, tuning)
    rest, variance = project(own, form, future, weekend)
    weight = 0.0
    before = [i for i in window if i < begin]
    if sum(values[i] > 0 for i in before) >= max(
        _MIN_HISTORY_DAYS, tuning.dense_share * len(before)
    ):
        # Does the period continue its history? Compare the two levels where the period's is
        # best known, the history's carried there by its own trend.
        past_fit = fit_level({i: logs[i] for i in before}, weekend, form, tuning)
        own_mean, own_var = log_level_at(own, own.fitted_at)
        past_mean, past_var = log_level_at(past_fit, own.fitted_at)
        weight = agreement(own_mean - past_mean, own_var + past_var, tuning)
        pooled = fit_level(logs, weekend, form, tuning)
        pooled_rest, pooled_var = project(pooled, form, future, weekend)
        if rest > 0 and pooled_rest > 0:
            gap = math.log(pooled_rest / rest)
            variance = (
                weight * pooled_var + (1 - weight) * variance + weight * (1 - weight) * gap**2
            )
        rest = weight * pooled_rest + (1 - weight) * rest
    return _result(so_far, rest, _sd(variance, tuning), "weekday-trend", weight)


def _sd(variance: float, tuning: Tuning) -> float:
    """Log sd of the rest of the period: the fits' variance plus what no fit sees, scaled."""
    return tuning.scale * math.sqrt(variance + tuning.model_sd**2)
