"""The forecast of a category that spends on some days only: mean rates, not log levels.

A day with no spend has no log, so a sparse series is read in linear terms: the weekend's rate
against the weekday's from every day given (a habit), the weekday-equivalent mean rate of the
period, and the history's mean rate only as far as the period agrees with it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from governance.domain.forecast_fit import Tuning, agreement

_PSEUDO_DAYS = 2.0  # the weekend ratio starts from 1 as if two days of each kind said so


def _mean(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the relative variance of it."""
    mean = statistics.fmean(values)
    if not mean > 0:
        return 0.0, 0.0
    spread = statistics.variance(values) if len(values) > 1 else mean * mean
    return mean, spread / len(values) / (mean * mean)


def sparse_rest(
    values: dict[int, float],
    begin: int,
    future: Sequence[tuple[int, float]],
    weekend: Callable[[int], bool],
    tuning: Tuning,
) -> tuple[float, float, float]:
    """Expected spend of the ``future``, its log variance and the weight history got; ``values``
    holds the complete days since the category started (the period from day ``begin``)."""
    overall = statistics.fmean(values.values())
    kinds = {kind: [v for i, v in values.items() if weekend(i) == kind] for kind in (False, True)}
    means = {
        kind: (sum(vs) + _PSEUDO_DAYS * overall) / (len(vs) + _PSEUDO_DAYS)
        for kind, vs in kinds.items()
    }
    ratio = means[True] / means[False] if means[False] > 0 else 1.0
    level_of = {i: v / (ratio if weekend(i) else 1.0) for i, v in values.items()}
    level, level_var = _mean([v for i, v in level_of.items() if i >= begin])
    weight = 0.0
    before = [v for i, v in level_of.items() if i < begin]
    if len(before) >= 7 and level > 0:
        past, past_var = _mean(before)
        if past > 0:
            weight = agreement(math.log(level / past), level_var + past_var, tuning)
            pooled, pooled_var = _mean(list(level_of.values()))
            gap = math.log(pooled / level)
            level_var = (
                weight * pooled_var + (1 - weight) * level_var + weight * (1 - weight) * gap**2
            )
            level = weight * pooled + (1 - weight) * level
    rates = [s * level * (ratio if weekend(i) else 1.0) for i, s in future]
    rest = sum(rates)
    if not rest > 0:
        return 0.0, 0.0, weight
    mean = statistics.fmean(level_of.values())
    spread = statistics.pvariance(level_of.values()) / mean**2 if mean > 0 else 0.0
    noise = math.log1p(spread * sum((r / rest) ** 2 for r in rates))
    return rest, noise + level_var, weight
