"""Budget spend without double counting (DESIGN section 4).

The same spend appears in a gateway's log and in the provider's bill. Per provider and UTC
day, the bill is the truth when it exists: its amount is spread over the gateway's entries of
that day in proportion to their cost, so categories, tiers, models and teams keep the
gateway's detail. A bill with no gateway traffic that day keeps its own attribution (its
rows were categorised by their project or workspace). Without a bill, the gateway stands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from governance.domain.money import from_nanos, to_nanos


@dataclass(frozen=True)
class Entry:
    """Spend of one provider on one UTC day, for one ``key`` (whatever the caller groups by)."""

    day: date
    provider: str
    layer: str  # gateway | billing
    key: Hashable
    cost: Decimal
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


def budget_spend(entries: Iterable[Entry]) -> list[Entry]:
    """The entries that make up budget spend: billing where it exists, spread over the
    gateway's entries of its provider-day; otherwise the gateway's own."""
    gateway: dict[tuple[date, str], list[Entry]] = defaultdict(list)
    billing: dict[tuple[date, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        (billing if entry.layer == "billing" else gateway)[(entry.day, entry.provider)].append(
            entry
        )
    result: list[Entry] = []
    for day_provider, gateway_entries in gateway.items():
        billed = billing.get(day_provider)
        gateway_total = sum((e.cost for e in gateway_entries), Decimal(0))
        if not billed or gateway_total == 0:
            result += gateway_entries
            continue
        result += _spread(sum((e.cost for e in billed), Decimal(0)), gateway_entries)
    for day_provider, billed in billing.items():
        gateway_entries = gateway.get(day_provider, [])
        if sum((e.cost for e in gateway_entries), Decimal(0)) == 0:
            result += billed  # no gateway cost that day: the bill's own attribution
    return result


def _spread(bill: Decimal, entries: list[Entry]) -> list[Entry]:
    """``entries`` with ``bill`` split over them in proportion to their cost (its sum is not
    0): each part on the nano grid, the parts summing to the bill exactly. Every part is
    rounded down and the nanos left go to the largest remainders (ties by key: the rows'
    order, which differs between databases, changes nothing)."""
    total_bill = to_nanos(bill)
    weights = [to_nanos(e.cost) for e in entries]
    total = sum(weights)
    if total < 0:
        weights, total = [-w for w in weights], -total
    parts = [w * total_bill // total for w in weights]
    left = total_bill - sum(parts)  # 0 <= left < len(parts)
    remainders = [w * total_bill - p * total for w, p in zip(weights, parts, strict=True)]
    order = sorted(range(len(parts)), key=lambda i: (-remainders[i], str(entries[i].key)))
    for i in order[:left]:
        parts[i] += 1
    return [replace(e, cost=from_nanos(p)) for e, p in zip(entries, parts, strict=True)]
