"""Period-end spend forecast: weekday/weekend rates with a shrunk trend, and the run-rate baseline.

The model works on log daily spend: a weekday level, a weekend offset and a growth per day, fitted
to the complete days after winsorising them around a robust first fit, then projected over the
rest of the period. Floats inside; amounts come out as Decimal on the nano grid. Constants were
calibrated on ``bench/forecast.py``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Final, NamedTuple

from governance.domain.money import from_nanos, to_nanos

_CONTEXT: Final = Context(prec=60, rounding=ROUND_HALF_EVEN)
_Z90: Final = 1.2815515655446004  # 90th percentile of the standard normal: 80% two-sided
HISTORY_DAYS: Final = 42  # days (history included) the model reads: six weeks of rhythm and trend
_HALF_LIFE: Final = 7.0  # days; the level follows recent days, a week ago counts half
_MIN_DAYS: Final = 3  # fewer active complete days than this: run-rate
_MIN_ACTIVE_SHARE: Final = 0.6  # sparser series than this have no meaningful log level
_FLOOR_SHARE: Final = 0.02  # a zero or negative day counts as 2% of the median positive day
_CLIP: Final = 2.5  # winsorise log residuals at this many robust standard deviations
_MAD_TO_SD: Final = 1.4826
_MAX_TREND: Final = 0.05  # growth per day is clamped to +-5%
_TREND_PRIOR_SD: Final = 0.01  # growth is shrunk towards 0 by its standard error against this
_WEEKEND_PRIOR_SD: Final = 0.7  # the weekend log offset is shrunk towards 0 likewise
_SIGMA_PRIOR: Final = 0.2  # one pseudo-day of typical log noise: three days never look exact
# Interval: log sd of the rest of the period = _SCALE * sqrt(sum of the variances below).
_SCALE: Final = 1.45
_MODEL_SD: Final = 0.13  # what the model cannot see coming: quiet weeks, spikes, a new trend
_CORRELATION: Final = 2.0  # day noise comes in runs, so its variance counts double
_FALLBACK_SD: Final = 0.5  # run-rate on one or two days is a guess; its interval says so
_MAX_SD: Final = 3.0
_MIN_ELAPSED: Final = 1 / 24  # scaling up the first minutes of a day would be noise x 1000


@dataclass(frozen=True)
class Forecast:
    """Projected spend at period end (spend so far + the rest) with an 80% interval."""

    expected: Decimal
    low: Decimal  # 10th percentile
    high: Decimal  # 90th percentile
    method: str  # "weekday-trend", or "run-rate" when there is too little data for the model


class _Fit(NamedTuple):
    trend: float  # log growth per day
    offset: float  # weekend minus weekday log level
    sigma: float  # residual sd of log daily spend
    trend_factor: float  # variance of trend / sigma^2 (inf when it cannot be estimated)
    offset_factor: float  # variance of offset / sigma^2


def run_rate(spend: Decimal, elapsed_days: float, period_days: int) -> Decimal:
    """Return the linear baseline ``spend * period_days / elapsed_days``; ``spend`` if 0 elapsed."""
    if elapsed_days <= 0:
        return spend
    scaled = _CONTEXT.divide(_CONTEXT.multiply(spend, Decimal(period_days)), Decimal(elapsed_days))
    return from_nanos(to_nanos(scaled))


def _shrink(estimate: float, variance: float, prior_sd: float) -> tuple[float, float]:
    """Posterior mean and variance of a normal estimate under a N(0, prior_sd^2) prior."""
    prior = prior_sd * prior_sd
    if math.isinf(variance):
        return 0.0, prior
    return estimate * prior / (prior + variance), prior * variance / (prior + variance)


def _result(so_far: Decimal, rest: float, sd: float, method: str) -> Forecast:
    spread = math.exp(_Z90 * min(sd, _MAX_SD))

    def total(extra: float) -> Decimal:
        return from_nanos(to_nanos(_CONTEXT.add(so_far, Decimal(extra))))

    return Forecast(total(rest), total(rest / spread), total(rest * spread), method)


def _fit(logs: dict[int, float], weekend: Callable[[int], bool]) -> _Fit:
    """Least squares of log spend on day index with separate weekday and weekend intercepts."""
    groups = [g for g in ([i for i in logs if weekend(i) == k] for k in (False, True)) if g]
    means = [(statistics.fmean(g), statistics.fmean(logs[i] for i in g)) for g in groups]
    pairs = [(i - mx, logs[i] - my) for g, (mx, my) in zip(groups, means, strict=True) for i in g]
    sxx = sum(x * x for x, _ in pairs)
    trend = sum(x * y for x, y in pairs) / sxx if sxx > 0 else 0.0
    rss = sum((y - trend * x) ** 2 for x, y in pairs)
    dof = max(len(logs) - len(groups) - 1, 0)
    sigma = math.sqrt((rss + _SIGMA_PRIOR**2) / (dof + 1))
    if len(groups) < 2:
        return _Fit(trend, 0.0, sigma, 1 / sxx if sxx > 0 else math.inf, math.inf)
    # Both intercepts taken at the same day, so the offset does not absorb the trend.
    offset = means[1][1] - means[0][1] - trend * (means[1][0] - means[0][0])
    factor = 1 / len(groups[0]) + 1 / len(groups[1])
    return _Fit(trend, offset, sigma, 1 / sxx if sxx > 0 else math.inf, factor)


def forecast_period_end(
    daily: Sequence[Decimal],
    today_fraction: float,
    first_weekday: int,
    period_days: int,
    history: Sequence[Decimal] = (),
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

    def weekend(i: int) -> bool:
        return (first_weekday + i - len(past)) % 7 >= 5

    rest_today = 1.0 - today_fraction
    complete = len(values) - (1 if rest_today > 0 else 0)
    # Days to come as (index, share of the day): the rest of today, then whole days.
    future = [(len(values) - 1, rest_today)] if rest_today > 0 else []
    future += [(i, 1.0) for i in range(len(values), len(past) + period_days)]
    positive = [i for i, v in enumerate(values) if v > 0]
    if not positive or not future:
        return _result(so_far, 0.0, 0.0, "run-rate")
    start = positive[0]  # leading empty days: the category had not started yet
    days = list(range(max(start, complete - HISTORY_DAYS), complete))
    active = [i for i in days if values[i] > 0]
    if len(active) < _MIN_DAYS or len(active) < _MIN_ACTIVE_SHARE * len(days):
        elapsed = max(len(values) - start - rest_today, _MIN_ELAPSED)
        rate = max(0.0, sum(values[start:]) / elapsed)
        return _result(so_far, rate * sum(share for _, share in future), _FALLBACK_SD, "run-rate")

    floor = _FLOOR_SHARE * statistics.median(values[i] for i in active)
    logs = {i: math.log(max(values[i], floor)) for i in days}
    last = days[-1]
    # A robust first fit (Theil-Sen over pairs of the same kind of day, class medians) sets the
    # winsorising bounds, so a spike, a zero day or a quiet week cannot drag least squares far.
    slopes = [
        (logs[j] - logs[i]) / (j - i)
        for n, i in enumerate(days)
        for j in days[n + 1 :]
        if weekend(i) == weekend(j)
    ]
    slope = statistics.median(slopes) if slopes else 0.0
    centres = {
        kind: statistics.median([logs[i] - slope * (i - last) for i in days if weekend(i) == kind])
        for kind in {weekend(i) for i in days}
    }
    fitted = {i: centres[weekend(i)] + slope * (i - last) for i in days}
    mad = _MAD_TO_SD * statistics.median(abs(logs[i] - fitted[i]) for i in days)
    cap = _CLIP * mad * math.sqrt(len(days) / max(len(days) - 3, 1))  # small-sample MAD is low
    clipped = {i: min(fitted[i] + cap, max(fitted[i] - cap, logs[i])) for i in days}

    fit = _fit(clipped, weekend)
    # Growth read off a week or two of noisy days is mostly noise: shrink it by its precision.
    trend, trend_var = _shrink(fit.trend, fit.sigma**2 * fit.trend_factor, _TREND_PRIOR_SD)
    trend = max(-_MAX_TREND, min(_MAX_TREND, trend))
    offset, offset_var = _shrink(fit.offset, fit.sigma**2 * fit.offset_factor, _WEEKEND_PRIOR_SD)

    # Weekday level at the last complete day: recency-weighted mean of the winsorised day rates,
    # taken in linear terms so the forecast is of expected spend rather than of its median.
    weights = {i: 0.5 ** ((last - i) / _HALF_LIFE) for i in days}
    total_weight = sum(weights.values())
    level = (
        sum(
            w * math.exp(clipped[i] - trend * (i - last) - offset * weekend(i))
            for i, w in weights.items()
        )
        / total_weight
    )
    rates = [(i, s * level * math.exp(trend * (i - last) + offset * weekend(i))) for i, s in future]
    rest = sum(r for _, r in rates)
    if not rest > 0:  # only if the level underflowed: nothing measurable to come
        return _result(so_far, 0.0, 0.0, "weekday-trend")
    shares = [(i, r / rest) for i, r in rates]
    # Log variance of the rest: day noise, then errors of the level, growth and weekend offset.
    noise = math.expm1(min(fit.sigma**2, 10.0)) * sum(s * s for _, s in shares)
    level_var = fit.sigma**2 * sum(w * w for w in weights.values()) / total_weight**2
    fitted_at = sum(w * i for i, w in weights.items()) / total_weight
    projected_at = sum(i * s for i, s in shares)
    weekend_gap = (
        sum(s for i, s in shares if weekend(i))
        - sum(w for i, w in weights.items() if weekend(i)) / total_weight
    )
    variance = (
        _CORRELATION * noise
        + level_var
        + trend_var * (projected_at - fitted_at) ** 2
        + offset_var * weekend_gap**2
        + _MODEL_SD**2
    )
    return _result(so_far, rest, _SCALE * math.sqrt(variance), "weekday-trend")
