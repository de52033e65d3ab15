"""What the providers bill: the gateway's traffic per UTC day and line item, with drift and lag.

A provider bills the tokens it served at its list price, so a day's bill is the gateway's cost
for that provider and day, split by the provider's own line items, times a small drift (±1-3%;
one day per provider beyond 5%, for the dashboard to flag). Bills lag: a day is billed once it
has been over for ``BILLING_LAG``, so the last day or so of the gateway has no bill yet.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final, Literal

from governance.demo.catalogue import MODELS
from governance.demo.scenario import Plan, Request
from governance.domain.pricing import Rates

Kind = Literal["input", "cached", "written", "output"]
KINDS: Final[tuple[Kind, ...]] = ("input", "cached", "written", "output")
BILLING_LAG: Final = timedelta(hours=12)
# One day per provider whose bill drifts beyond 5% from the gateway: (day index, drift).
OUTLIERS: Final = {"openai": (5, (0.055, 0.08)), "anthropic": (15, (-0.075, -0.055))}
_MILLION: Final = Decimal(1_000_000)
_DAY: Final = timedelta(days=1)


@dataclass(frozen=True)
class LineKey:
    """One line of a provider's bill: a UTC day, the team's project, a model, a token kind."""

    day: date
    team: str
    model: str  # catalogue key
    kind: Kind


Bill = dict[LineKey, Decimal]


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def billed_days(plan: Plan, now: datetime) -> list[date]:
    """The UTC days of the period that are over, and whose bill is out by ``now``."""
    first = plan.period.start.astimezone(UTC).date()
    days = [first + timedelta(days=i) for i in range(plan.period.days + 1)]
    return [
        d
        for d in days
        if day_start(d) >= plan.period.start
        and day_start(d) + _DAY <= plan.period.end
        and day_start(d) + _DAY + BILLING_LAG <= now
    ]


def gateway_bill(requests: Iterable[Request], rates: Mapping[str, Rates | None]) -> dict[str, Bill]:
    """Per provider, the list-price cost of the gateway's requests per bill line."""
    # Token counts first, priced once per line: exact, and far cheaper than per request.
    tokens: dict[tuple[str, date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in requests:
        if r.cache_hit or r.model.provider not in ("openai", "anthropic"):
            continue  # cache hits never reach the provider; self-hosted models send no bill
        counts = tokens[r.model.provider, r.start.date(), r.workload.team, r.model.key]
        counts[0] += r.input - r.cached - r.written
        counts[1] += r.cached
        counts[2] += r.written
        counts[3] += r.output
    bills: dict[str, Bill] = defaultdict(dict)
    for (provider, day, team, model), counts in tokens.items():
        price = rates.get(model)
        for kind, count in zip(KINDS, counts, strict=True):
            if price is not None and count:
                cost = count * _per_million(price, kind) / _MILLION
                bills[provider][LineKey(day, team, model, kind)] = cost
    return bills


def _per_million(price: Rates, kind: Kind) -> Decimal:
    if kind == "cached" and price.cache_read is not None:
        return price.cache_read
    if kind == "written" and price.cache_write is not None:
        return price.cache_write
    return price.output if kind == "output" else price.input


def drift(plan: Plan, provider: str, day: date) -> Decimal:
    """The factor between the provider's bill and the gateway's cost on ``day``."""
    rng = random.Random(f"{plan.seed}|{plan.period.label}|drift|{provider}|{day}")
    index = (day - plan.period.start.astimezone(UTC).date()).days
    outlier_day, outlier_range = OUTLIERS.get(provider, (-1, (0.0, 0.0)))
    if index == outlier_day:
        return Decimal(1) + Decimal(repr(round(rng.uniform(*outlier_range), 4)))
    sign = rng.choice((-1, 1))
    return Decimal(1) + Decimal(repr(round(sign * rng.uniform(0.01, 0.03), 4)))


def billed(plan: Plan, provider: str, bill: Bill, days: Iterable[date]) -> dict[date, Bill]:
    """The provider's bill lines per billed day, drift applied."""
    wanted = set(days)
    out: dict[date, Bill] = {d: {} for d in sorted(wanted)}
    for key, cost in sorted(bill.items(), key=lambda item: _order(item[0])):
        if key.day in wanted:
            out[key.day][key] = cost * drift(plan, provider, key.day)
    return out


def _order(key: LineKey) -> tuple[date, str, str, int]:
    return key.day, key.team, MODELS[key.model].billed, KINDS.index(key.kind)
