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
        bill = sum((e.cost for e in billed), Decimal(0))
        result += [replace(e, cost=e.cost * bill / gateway_total) for e in gateway_entries]
    for day_provider, billed in billing.items():
        gateway_entries = gateway.get(day_provider, [])
        if sum((e.cost for e in gateway_entries), Decimal(0)) == 0:
            result += billed  # no gateway cost that day: the bill's own attribution
    return result
