"""Model-tier economics, from the seed documents ("Model Selection & Optimization"): the
recommended tier mix, what a category would cost at it, what a downgrade saved, and when a
fine-tune pays for itself.

The recommended mix is by requests: premium (frontier) models under 10% of requests, standard
(mid-tier) 70-80%, economy (open-source, self-hosted) 10-20%. Its midpoints (5, 75, 15) add up
to 95, so they are scaled to 100%, which keeps each inside its band. Costs are re-weighted
with each category's own cost per request per tier: a category's models and prices, not a
global price list, decide what its mix would cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from governance.domain.money import parse_amount

# Percent of requests per tier: (low, high). Premium is "under" its high, the others inclusive.
RECOMMENDED_MIX: Final[Mapping[str, tuple[Decimal, Decimal]]] = {
    "premium": (Decimal(0), Decimal(10)),
    "standard": (Decimal(70), Decimal(80)),
    "economy": (Decimal(10), Decimal(20)),
}
MIX_TIERS: Final = tuple(RECOMMENDED_MIX)


@dataclass(frozen=True)
class Usage:
    """Requests and their cost (budget spend) at one tier, in one category or in all."""

    requests: int = 0
    cost: Decimal = Decimal(0)

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.requests + other.requests, self.cost + other.cost)

    @property
    def per_request(self) -> Decimal | None:
        """The average cost of one request; None without requests."""
        return self.cost / self.requests if self.requests else None


def recommended_weights() -> dict[str, Decimal]:
    """Each tier's share of requests (fractions adding up to 1) at the recommended mix: the
    bands' midpoints, scaled to 100%."""
    midpoints = {tier: (low + high) / 2 for tier, (low, high) in RECOMMENDED_MIX.items()}
    total = sum(midpoints.values(), Decimal(0))
    return {tier: midpoint / total for tier, midpoint in midpoints.items()}


def in_band(tier: str, percent: Decimal) -> bool | None:
    """Whether ``percent`` of requests at ``tier`` is inside its recommended band; None for a
    tier the recommendation does not cover (unclassified models)."""
    band = RECOMMENDED_MIX.get(tier)
    if band is None:
        return None
    low, high = band
    return percent < high if tier == "premium" else low <= percent <= high


def shares(values: Mapping[str, Decimal | int]) -> dict[str, Decimal]:
    """Each value's percent of their total (empty when the total is 0)."""
    total = sum((Decimal(v) for v in values.values()), Decimal(0))
    if total == 0:
        return {}
    return {key: Decimal(value) * 100 / total for key, value in values.items()}


def tier_averages(categories: Iterable[Mapping[str, Usage]]) -> dict[str, Decimal]:
    """The cost per request of each tier over all ``categories``: the fallback for a category
    that has no traffic at a tier of its own."""
    summed: dict[str, Usage] = {}
    for usage in categories:
        for tier, used in usage.items():
            summed[tier] = summed.get(tier, Usage()) + used
    return {tier: avg for tier, u in summed.items() if (avg := u.per_request) is not None}


@dataclass(frozen=True)
class MixCost:
    """A category's cost as it was and as it would have been at the recommended mix."""

    actual: Decimal
    at_mix: Decimal
    requests: int  # the requests re-weighted (those at a tier of the mix)

    @property
    def difference(self) -> Decimal:
        """What the recommended mix would have saved (negative: it would have cost more)."""
        return self.actual - self.at_mix


def cost_at_mix(
    usage: Mapping[str, Usage],
    weights: Mapping[str, Decimal],
    fallback: Mapping[str, Decimal],
    uncounted: Decimal = Decimal(0),
) -> MixCost:
    """What ``usage`` (per tier, one category) would have cost with its requests at the mix's
    tiers spread by ``weights``, each tier at the category's own cost per request (else the
    ``fallback`` average; a tier priced by neither drops out and the others are scaled up).

    Tiers outside the mix (unclassified models) and ``uncounted`` spend (bills without
    request counts) are kept as they are: nothing says how they would move.
    """
    actual = uncounted + sum((u.cost for u in usage.values()), Decimal(0))
    requests = sum(usage[tier].requests for tier in weights if tier in usage)
    found = {tier: _average(usage, tier, fallback) for tier in weights}
    averages = {tier: avg for tier, avg in found.items() if avg is not None}
    total_weight = sum((weights[tier] for tier in averages), Decimal(0))
    if requests == 0 or total_weight == 0:
        return MixCost(actual, actual, requests)
    kept = actual - sum((usage[tier].cost for tier in weights if tier in usage), Decimal(0))
    per_request = sum((weights[t] * averages[t] for t in averages), Decimal(0)) / total_weight
    return MixCost(actual, kept + requests * per_request, requests)


def _average(
    usage: Mapping[str, Usage], tier: str, fallback: Mapping[str, Decimal]
) -> Decimal | None:
    own = usage.get(tier, Usage()).per_request
    return own if own is not None else fallback.get(tier)


@dataclass(frozen=True)
class Savings:
    """What one downgrade directive saved, estimated."""

    rerouted: int  # requests served at the to-tier beyond its usual share
    saved: Decimal | None  # None: no from-tier traffic before it to price them by


def directive_savings(
    before: Mapping[str, Usage], after: Mapping[str, Usage], from_tier: str, to_tier: str
) -> Savings:
    """A downgrade's savings: the to-tier requests after it beyond the to-tier's share of the
    category's requests before it (the rerouted ones), each priced at the from-tier's cost
    per request before it, less the to-tier's cost per request after it."""
    total_before = sum(u.requests for u in before.values())
    total_after = sum(u.requests for u in after.values())
    usual = before.get(to_tier, Usage()).requests
    expected = Fraction(usual * total_after, total_before) if total_before else Fraction(0)
    served = after.get(to_tier, Usage())
    rerouted = max(0, served.requests - round(expected))
    was = before.get(from_tier, Usage()).per_request
    now = served.per_request
    if rerouted == 0:
        return Savings(0, Decimal(0))
    if was is None or now is None:
        return Savings(rerouted, None)
    return Savings(rerouted, rerouted * (was - now))


def run_rate(spend: Decimal, elapsed: timedelta, length: timedelta) -> Decimal:
    """``spend`` over ``elapsed`` projected linearly to ``length`` (a month's cost at the
    pace so far)."""
    if elapsed <= timedelta(0):
        return Decimal(0)
    return (
        spend * Decimal(length // timedelta(seconds=1)) / Decimal(elapsed // timedelta(seconds=1))
    )


@dataclass(frozen=True)
class Payback:
    monthly_savings: Decimal
    months: Decimal | None  # None: the fine-tune saves nothing, so it never pays back


def payback(investment: Decimal, current_monthly: Decimal, projected_monthly: Decimal) -> Payback:
    """The seed's fine-tuning ROI: monthly savings = current - projected inference cost;
    payback months = investment / monthly savings. ValueError for a negative input."""
    for name, value in (
        ("fine-tuning cost", investment),
        ("current monthly cost", current_monthly),
        ("projected monthly cost", projected_monthly),
    ):
        if value < 0:
            raise ValueError(f"the {name} cannot be negative")
    savings = current_monthly - projected_monthly
    return Payback(savings, investment / savings if savings > 0 else None)


_TYPED: Final = re.compile(r"^\s*[$€£¥]?\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*$")


def typed_amount(text: str | None, name: str) -> Decimal:
    """An amount as a person types it (``20000``, ``$20,000.50``), exactly; ValueError naming
    ``name`` otherwise."""
    found = _TYPED.match(text or "")
    if found is None:
        raise ValueError(f"the {name} must be an amount such as 20000 or 20,000.50")
    return parse_amount(found.group(1).replace(",", ""))
