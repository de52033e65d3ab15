"""Budget spend: a bill replaces the gateway's figures of its provider-day, spread by cost."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from governance.domain.attribution import Entry, budget_spend

D1, D2 = date(2026, 11, 3), date(2026, 11, 4)


def totals(entries: list[Entry]) -> dict[object, Decimal]:
    out: dict[object, Decimal] = {}
    for e in entries:
        out[e.key] = out.get(e.key, Decimal(0)) + e.cost
    return out


def test_a_bill_is_spread_over_the_gateway_entries_of_its_provider_day() -> None:
    entries = [
        Entry(D1, "openai", "gateway", "batch", Decimal("30"), requests=3),
        Entry(D1, "openai", "gateway", "critical", Decimal("10"), requests=1),
        Entry(D1, "openai", "billing", "standard", Decimal("44")),  # the bill: 10% more
        Entry(D1, "anthropic", "gateway", "batch", Decimal("5")),  # no bill: stands
        Entry(D2, "openai", "gateway", "batch", Decimal("7")),  # billed another day only
    ]
    spent = budget_spend(entries)
    assert totals(spent) == {"batch": Decimal("33") + 5 + 7, "critical": Decimal("11")}
    assert sum(e.requests for e in spent) == 4  # the gateway's detail is kept
    assert sum(e.cost for e in spent) == Decimal("44") + 5 + 7


def test_a_bill_without_gateway_traffic_keeps_its_own_attribution() -> None:
    entries = [
        Entry(D1, "google", "billing", "standard", Decimal("12.5")),
        Entry(D1, "google", "billing", "batch", Decimal("2.5")),
        Entry(D1, "openai", "gateway", "batch", Decimal("3")),
        Entry(D1, "google", "gateway", "batch", Decimal("0")),  # only cache hits: no cost
    ]
    assert totals(budget_spend(entries)) == {"standard": Decimal("12.5"), "batch": Decimal("5.5")}


def test_nothing_is_counted_twice_whatever_the_mix() -> None:
    entries = [
        Entry(D1, "openai", "gateway", "a", Decimal("1")),
        Entry(D1, "openai", "billing", "a", Decimal("0")),  # billed at zero (a free tier)
    ]
    assert totals(budget_spend(entries)) == {"a": Decimal("0")}


def test_a_spread_bill_is_on_the_nano_grid_and_sums_to_the_bill_in_any_order() -> None:
    entries = [
        Entry(D1, "openai", "gateway", "a", Decimal("1")),
        Entry(D1, "openai", "gateway", "b", Decimal("1")),
        Entry(D1, "openai", "gateway", "c", Decimal("1")),
        Entry(D1, "openai", "billing", "a", Decimal("1")),
    ]
    spent = totals(budget_spend(entries))
    assert spent == {"a": Decimal("0.333333334"), "b": Decimal("0.333333333"),
                     "c": Decimal("0.333333333")}  # fmt: skip
    assert totals(budget_spend(entries[::-1])) == spent
    assert sum(spent.values()) == 1
