"""The forecast's robust fits on log daily spend: the weekly shape, and a level with a trend.

``shape`` reads the weekend offset and the day noise from every day it is given (history
included): they are habits of the category. ``fit_level`` reads a weekday level and a growth per
day from a chosen stretch of days, with that shape held fixed. Both are robust: a spike, a zero
day or a quiet week is winsorised before least squares sees it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

_MAD_TO_SD: Final = 1.4826
_CLIP: Final = 2.5  # winsorise log residuals at this many robust standard deviations
_SIGMA_PRIOR: Final = 0.2  # one pseudo-day of typical log noise: three days never look exact
_MAX_TREND: Final = 0.05  # growth per day is clamped to +-5%

Weekend = Callable[[int], bool]


@dataclass(frozen=True)
class Tuning:
    """The forecast's constants, fitted by ``bench/forecast.py --fit`` on seeds it never reports."""

    level_drift: float = 0.02  # log sd a day of the level's wandering (sets the memory)
    trend_sd: float = 0.003  # growth per day, when there is growth: its prior sd
    trend_chance: float = 0.2  # prior chance that a stretch of days has growth at all
    dense_share: float = 0.95  # a period with fewer days of spend than this is read as sparse
    weekend_prior_sd: float = 0.7  # prior sd the weekend log offset is shrunk with (not refitted)
    continue_prior: float = 0.7  # chance, before the period's days are seen, that it continues
    jump_sd: float = 0.3  # log sd of a level of its own, when the period does not continue
    scale: float = 1.2  # interval: log sd of the rest = scale * sqrt(variances + model_sd^2)
    model_sd: float = 0.1  # what no fit sees coming: quiet weeks, a new trend
    sparse_scale: float = 0.7  # the sparse path's interval, relative to ``scale``
    fallback_sd: float = 1.25  # run-rate on one or two days is a guess; its interval says so


def agreement(gap: float, variance: float, tuning: Tuning) -> float:
    """Posterior chance that the period continues its history, given the log ``gap`` between
    the period's level and the history's projected to it (of sampling ``variance``)."""
    jumped = variance + tuning.jump_sd**2
    same = tuning.continue_prior * math.exp(-gap * gap / (2 * variance)) / math.sqrt(variance)
    other = (1 - tuning.continue_prior) * math.exp(-gap * gap / (2 * jumped)) / math.sqrt(jumped)
    return same / (same + other) if same > 0 else 0.0


class Shape(NamedTuple):
    offset: float  # weekend minus weekday log level
    offset_var: float
    sigma: float  # sd of log daily spend around its level
    excess_sq: float  # mean square of what winsorising takes off a day (spikes, lulls)


class Level(NamedTuple):
    level: float  # expected weekday spend on day ``last`` (linear)
    trend: float  # log growth per day
    level_var: float  # log variance of ``level``
    trend_var: float
    fitted_at: float  # the day the level is best known at (recency-weighted mean)
    last: int
    drift_var: float  # log variance the level gains a day


def _trend(estimate: float, variance: float, tuning: Tuning) -> tuple[float, float]:
    """Growth under a prior that most stretches have none: a trend the days show clearly is
    kept (shrunk a little), one within their noise mostly goes (posterior of a spike at 0 and
    a N(0, trend_sd^2) slab)."""
    if math.isinf(variance):
        return 0.0, 0.0
    slab = tuning.trend_sd**2
    mean, var = estimate * slab / (slab + variance), slab * variance / (slab + variance)
    flat = (
        (1 - tuning.trend_chance) * math.exp(-(estimate**2) / (2 * variance)) / math.sqrt(variance)
    )
    sloped = tuning.trend_chance * math.exp(-(estimate**2) / (2 * (variance + slab)))
    sloped /= math.sqrt(variance + slab)
    p = sloped / (sloped + flat) if sloped + flat > 0 else 1.0
    return p * mean, p * (var + mean * mean) - (p * mean) ** 2


def _shrink(estimate: float, variance: float, prior_sd: float) -> tuple[float, float]:
    """Posterior mean and variance of a normal estimate under a N(0, prior_sd^2) prior."""
    prior = prior_sd * prior_sd
    if math.isinf(variance):
        return 0.0, prior
    return estimate * prior / (prior + variance), prior * variance / (prior + variance)


def shape(logs: dict[int, float], weekend: Weekend, prior_sd: float) -> Shape:
    """Weekend offset from each weekend day against its week's weekdays (a level that moves
    between weeks cancels out), and the noise from each day's distance to its week's median."""
    days = sorted(logs)
    weeks: dict[int, list[int]] = {}
    for i in days:
        weeks.setdefault((days[-1] - i) // 7, []).append(i)
    contrasts: list[float] = []
    residuals: list[float] = []
    for members in weeks.values():
        mids = [logs[i] for i in members if not weekend(i)]
        if mids:  # each weekend day against its own week's weekdays
            middle = statistics.median(mids)
            contrasts += [logs[i] - middle for i in members if weekend(i)]
    raw = statistics.median(contrasts) if contrasts else 0.0
    for members in weeks.values():
        adjusted = [logs[i] - raw * weekend(i) for i in members]
        if len(adjusted) >= 3:
            centre = statistics.median(adjusted)
            residuals += [a - centre for a in adjusted]
    mad = _MAD_TO_SD * statistics.median(abs(r) for r in residuals) if residuals else 0.0
    n = len(residuals)
    # A median of three to seven days sits close to them: its residuals understate the noise.
    sigma = math.sqrt((n * (1.35 * mad) ** 2 + _SIGMA_PRIOR**2) / (n + 1))
    cap = _CLIP * sigma
    beyond = [math.exp(r) - math.exp(min(cap, max(-cap, r))) for r in residuals] or [0.0]
    # A contrast is one weekend day against a median of up to five weekdays.
    variance = sigma**2 * 1.3 / len(contrasts) if contrasts else math.inf
    offset, offset_var = _shrink(raw, variance * 1.6, prior_sd)  # medians: pi/2 of a mean's
    # Not added to the level: the median month has no spike to come, and a projection of its
    # mean would overshoot most months. The interval carries them instead.
    return Shape(offset, offset_var, sigma, statistics.fmean(b * b for b in beyond))


def fit_level(
    logs: dict[int, float],
    weekend: Weekend,
    form: Shape,
    tuning: Tuning,
) -> Level:
    """Weekday level at the last of ``logs``' days and a shrunk growth per day, robustly."""
    days = sorted(logs)
    last = days[-1]
    adjusted = {i: logs[i] - form.offset * weekend(i) for i in days}
    # A robust first fit (Theil-Sen slope, median centre) sets the winsorising bounds.
    slopes = [
        (adjusted[j] - adjusted[i]) / (j - i) for n, i in enumerate(days) for j in days[n + 1 :]
    ]
    slope = statistics.median(slopes) if slopes else 0.0
    centre = statistics.median(adjusted[i] - slope * (i - last) for i in days)
    cap = _CLIP * form.sigma
    clipped = {
        i: min(centre + slope * (i - last) + cap, max(centre + slope * (i - last) - cap, a))
        for i, a in adjusted.items()
    }
    mean_day = statistics.fmean(days)
    mean_log = statistics.fmean(clipped.values())
    sxx = sum((i - mean_day) ** 2 for i in days)
    raw = sum((i - mean_day) * (clipped[i] - mean_log) for i in days) / sxx if sxx > 0 else 0.0
    raw_var = form.sigma**2 / sxx if sxx > 0 else math.inf
    # Growth read off a week or two of noisy days is mostly noise: shrink it by its precision.
    trend, trend_var = _trend(raw, raw_var, tuning)
    trend = max(-_MAX_TREND, min(_MAX_TREND, trend))
    # Exponential smoothing with the steady-state gain of a local-level model: the noisier the
    # days against how far the level wanders, the longer the memory.
    ratio = (tuning.level_drift / form.sigma) ** 2
    gain = (math.sqrt(ratio * ratio + 4 * ratio) - ratio) / 2
    weights = {i: (1 - gain) ** (last - i) for i in days}
    total = sum(weights.values())
    # In linear terms, so the level is of expected spend rather than of its median.
    level = sum(w * math.exp(clipped[i] - trend * (i - last)) for i, w in weights.items()) / total
    level_var = form.sigma**2 * sum(w * w for w in weights.values()) / total**2
    fitted_at = sum(w * i for i, w in weights.items()) / total
    return Level(level, trend, level_var, trend_var, fitted_at, last, tuning.level_drift**2)


def log_level_at(fit: Level, day: float) -> tuple[float, float]:
    """Log weekday level at ``day`` and its variance (the trend's error grows with distance)."""
    mean = math.log(fit.level) + fit.trend * (day - fit.last) if fit.level > 0 else -math.inf
    return mean, fit.level_var + fit.trend_var * (day - fit.fitted_at) ** 2


def project(
    fit: Level,
    form: Shape,
    future: Sequence[tuple[int, float]],
    weekend: Weekend,
) -> tuple[float, float]:
    """Expected spend of the ``future`` (day, share of the day) and its log variance."""
    rates = [
        (i, s * fit.level * math.exp(fit.trend * (i - fit.last) + form.offset * weekend(i)))
        for i, s in future
    ]
    rest = sum(r for _, r in rates)
    if not rest > 0:
        return 0.0, 0.0
    shares = [(i, r / rest) for i, r in rates]
    noise = (math.expm1(min(form.sigma**2, 10.0)) + form.excess_sq) * sum(s * s for _, s in shares)
    projected_at = sum(i * s for i, s in shares)
    weekend_share = sum(s for i, s in shares if weekend(i))
    variance = (
        noise
        + fit.level_var
        + fit.trend_var * (projected_at - fit.fitted_at) ** 2
        + fit.drift_var * max(0.0, projected_at - fit.last)
        + form.offset_var * weekend_share**2
    )
    return rest, variance
