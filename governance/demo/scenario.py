"""The demo month as a pure, seeded model: each workload's spend per day, and its requests.

Calibrated to the config's allocations, not to dollars: critical and standard end the month at
~62% of theirs; batch runs at 75% of its pro-rata pace until a backfill on premium models starts
on day 13 and adds twice that pace, so that batch crosses 70%, 90% and 100% of its allocation in
the last third of a month. Traffic is lower at weekends (35% of a weekday) and grows ~1% a day.

A day's requests depend on the seed, the period, the workload and the date only, never on the
present: the files of a day in progress grow by appending as the clock moves on.
"""

from __future__ import annotations

import base64
import math
import random
from bisect import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal
from itertools import accumulate
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from governance.demo.catalogue import MODELS, Hours, Model, Use, Workload
from governance.demo.company import BACKFILL, VERTEX, WORKLOADS
from governance.domain.periods import Period
from governance.domain.pricing import Rates, cost_at
from governance.domain.usage import Tokens

DEFAULT_SEED: Final = 2026
MONTH_END_USE: Final = 0.62  # critical and standard: share of their allocation spent by month end
BATCH_PACE: Final = 0.75  # batch's pace before the backfill, as a share of its pro-rata allocation
BACKFILL_PACE: Final = 2.0  # the backfill adds twice batch's average day: batch roughly triples
WEEKEND: Final = 0.35  # a weekend day's traffic, as a share of a weekday's
GROWTH: Final = 0.01  # traffic grows ~1% a day through the month
_SPEND_DIGITS: Final = Context(prec=10)  # LiteLLM's spend is a float: ~10 significant digits

# Relative traffic per hour of the (budget timezone) day.
_HOURS: Final[dict[Hours, tuple[float, ...]]] = {
    "office": (2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 11, 12, 12, 11, 9, 7, 5, 4, 3, 3, 2),
    "nightly": (10, 12, 12, 10, 8, 5, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 7, 9),
    "flat": (10,) * 24,
}
_HOUR_CUMULATIVE: Final = {name: list(accumulate(w)) for name, w in _HOURS.items()}


@dataclass(frozen=True)
class Day:
    """One calendar day of the period in the budget's timezone, as a UTC interval."""

    index: int
    date: date
    start: datetime
    end: datetime

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5


class Request(NamedTuple):
    """One request through the gateway, priced at its model's list price.

    A named tuple rather than a dataclass: a month makes ~80k of them, and this builds fastest.
    """

    id: str
    start: datetime
    latency: float  # seconds to the last token
    first_token: float  # seconds to the first token
    workload: Workload
    model: Model
    user: int
    input: int  # every input token, cache reads and writes included
    cached: int
    written: int
    output: int  # reasoning tokens included
    reasoning: int
    cost: Decimal  # list price: what the ledger will hold (0 when nobody prices the model)
    spend: Decimal  # what LiteLLM logs: the cost, or 0 for a model it cannot price
    cache_hit: bool = False


def days_of(period: Period) -> list[Day]:
    """The period's days, each from its local midnight to the next, in UTC."""
    zone = ZoneInfo(period.timezone)
    first = period.start.astimezone(zone).date()
    dates = [first + timedelta(days=i) for i in range(period.days)]
    starts = [datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(UTC) for d in dates]
    ends = [*starts[1:], period.end]
    return [Day(i, d, s, e) for i, (d, s, e) in enumerate(zip(dates, starts, ends, strict=True))]


def weight(workload: Workload, day: Day) -> float:
    """The workload's relative traffic on ``day``: weekday rhythm and growth."""
    if day.index < workload.first_day:
        return 0.0
    if not workload.weekends:
        return 1.0
    return (WEEKEND if day.weekend else 1.0) * (1 + GROWTH) ** day.index


@dataclass(frozen=True)
class Plan:
    """The month's spend per workload, from the config's allocations."""

    period: Period
    seed: int
    days: tuple[Day, ...]
    totals: Mapping[str, float]  # workload name -> the month's spend

    def target(self, workload: Workload, day: Day) -> float:
        """The spend ``workload`` sends on ``day``, in the budget currency."""
        share = weight(workload, day) / sum(weight(workload, d) for d in self.days)
        return self.totals[workload.name] * share


def plan(period: Period, allocations: Mapping[str, Decimal], seed: int = DEFAULT_SEED) -> Plan:
    """Each workload's month total, calibrated to ``allocations`` (critical, standard, batch)."""
    days = tuple(days_of(period))
    allotted = {name: float(allocations.get(name, 0)) for name in ("critical", "standard", "batch")}
    totals = {w.name: allotted[w.category] * MONTH_END_USE * w.share for w in (*WORKLOADS, *VERTEX)}
    for w in WORKLOADS:
        if w.category == "batch":
            totals[w.name] = allotted["batch"] * BATCH_PACE * w.share
    per_day = allotted["batch"] * BATCH_PACE * BACKFILL_PACE / len(days)
    totals[BACKFILL.name] = per_day * max(len(days) - BACKFILL.first_day, 0)
    return Plan(period, seed, days, totals)


def _log_uniform(rng: random.Random, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


_BASE62: Final = bytes.maketrans(b"+/", b"Xq")


def _request_id(rng: random.Random, model: Model) -> str:
    if model.provider == "anthropic":  # Anthropic's message ids: msg_01 and 22 base-62 digits
        return "msg_01" + base64.b64encode(rng.randbytes(17))[:22].translate(_BASE62).decode()
    text = f"{rng.getrandbits(128):032x}"  # OpenAI-style: chatcmpl- and a UUID
    return f"chatcmpl-{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _tokens(rng: random.Random, use: Use, model: Model) -> tuple[int, int, int, int, int]:
    """(input, cached, written, output, reasoning) tokens of one request."""
    size = use.size
    prompt, output = _log_uniform(rng, size.input), _log_uniform(rng, size.output)
    cached = written = 0
    if model.provider in ("openai", "anthropic") and rng.random() < size.cached:
        cached = int(prompt * rng.uniform(0.4, 0.9))
        if model.provider == "openai":
            cached -= cached % 128  # OpenAI caches prompts in steps of 128 tokens
        elif rng.random() < 0.3:
            written = int((prompt - cached) * rng.uniform(0.2, 0.8))
    reasoning = int(output * rng.uniform(0.6, 0.85)) if model.key == "o1" else 0
    return prompt, cached, written, output, reasoning


def requests(
    plan: Plan, rates: Mapping[str, Rates | None], workload: Workload, day: Day
) -> list[Request]:
    """The workload's requests on ``day``, sorted by start, until its spend target is met."""
    rng = random.Random(f"{plan.seed}|{plan.period.label}|{workload.name}|{day.date}")
    target = Decimal(repr(plan.target(workload, day)))
    cumulative = list(accumulate(use.share for use in workload.mix))
    hours = _HOUR_CUMULATIVE[workload.hours]
    hour_total = hours[-1]
    length = (day.end - day.start).total_seconds()
    spent, made = Decimal(0), []
    while spent < target:
        use = workload.mix[bisect(cumulative, rng.random() * cumulative[-1])]
        model = MODELS[use.model]
        prompt, cached, written, output, reasoning = _tokens(rng, use, model)
        price = rates.get(model.key)
        cost = (
            Decimal(0) if price is None else cost_at(price, Tokens(prompt, cached, written, output))
        )
        cost = _SPEND_DIGITS.plus(cost)
        hour = bisect(hours, rng.random() * hour_total)
        offset = min((hour + rng.random()) * 3600 * length / 86400, length - 1)
        first_token = rng.uniform(0.25, 1.5) * (6 if reasoning else 1)
        request = Request(
            id=_request_id(rng, model),
            start=day.start + timedelta(seconds=round(offset, 6)),
            latency=round(first_token + output / rng.uniform(40, 120), 3),
            first_token=round(first_token, 3),
            workload=workload,
            model=model,
            user=rng.randrange(1, 25),
            input=prompt,
            cached=cached,
            written=written,
            output=output,
            reasoning=reasoning,
            cost=cost,
            spend=cost if model.gateway_prices else Decimal(0),
        )
        made.append(request)
        spent += cost
        if rng.random() < workload.cache_hits:
            made.append(_cache_hit(rng, request, day))
    return sorted(made, key=lambda r: r.start)


def _cache_hit(rng: random.Random, original: Request, day: Day) -> Request:
    # LiteLLM answers a repeated prompt from its cache: free, and named after the original.
    later = original.start + timedelta(seconds=rng.uniform(5, 900))
    start = min(later, day.end - timedelta(milliseconds=1))
    ident = f"{original.id}_cache_hit{start.timestamp():.6f}"
    return original._replace(
        id=ident,
        start=start,
        latency=0.01,
        first_token=0.01,
        cost=Decimal(0),
        spend=Decimal(0),
        cache_hit=True,
    )


def gateway(plan: Plan, rates: Mapping[str, Rates | None], day: Day) -> Iterator[Request]:
    """Every workload's requests on ``day``, in start order."""
    everything = [r for w in (*WORKLOADS, BACKFILL) for r in requests(plan, rates, w, day)]
    yield from sorted(everything, key=lambda r: (r.start, r.id))
