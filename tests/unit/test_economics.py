"""The tier economics: the recommended mix, the cost at it, a downgrade's savings, payback."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from governance.domain.economics import (
    Usage,
    cost_at_mix,
    directive_savings,
    in_band,
    payback,
    recommended_weights,
    run_rate,
    shares,
    tier_averages,
    typed_amount,
)

D = Decimal


def test_recommended_weights_are_the_midpoints_scaled_to_one_and_stay_in_their_bands() -> None:
    weights = recommended_weights()
    assert weights == {"premium": D(5) / 95, "standard": D(75) / 95, "economy": D(15) / 95}
    assert sum(weights.values()) == pytest.approx(D(1))
    assert all(in_band(tier, w * 100) for tier, w in weights.items())


@pytest.mark.parametrize(
    ("tier", "percent", "inside"),
    [
        ("premium", D("9.9"), True),
        ("premium", D(10), False),
        ("standard", D(70), True),
        ("standard", D(80), True),
        ("standard", D("80.1"), False),
        ("economy", D(9), False),
        ("unclassified", D(50), None),
    ],
)
def test_in_band(tier: str, percent: Decimal, inside: bool | None) -> None:
    assert in_band(tier, percent) is inside


def test_shares_are_percent_of_the_total_and_empty_for_nothing() -> None:
    assert shares({"a": 1, "b": 3}) == {"a": D(25), "b": D(75)}
    assert shares({"a": 0}) == {}


def test_cost_at_mix_reweights_requests_at_the_categorys_own_prices() -> None:
    usage = {
        "premium": Usage(60, D("60.00")),  # 1.00 per request
        "standard": Usage(40, D("4.00")),  # 0.10
        "economy": Usage(0, D(0)),  # no traffic: priced by the fallback
        "unclassified": Usage(5, D("2.00")),  # kept as it is
    }
    weights = {"premium": D("0.1"), "standard": D("0.7"), "economy": D("0.2")}
    result = cost_at_mix(usage, weights, {"economy": D("0.01")}, uncounted=D("3.00"))
    assert result.actual == D("69.00")
    assert result.requests == 100
    # 100 requests x (0.1 x 1.00 + 0.7 x 0.10 + 0.2 x 0.01) + 2.00 + 3.00 kept
    assert result.at_mix == D("17.20") + D("5.00")
    assert result.difference == D("46.80")


def test_a_tier_priced_nowhere_drops_out_and_the_others_scale_up() -> None:
    usage = {"premium": Usage(10, D("10")), "standard": Usage(10, D("1"))}
    weights = {"premium": D("0.25"), "standard": D("0.25"), "economy": D("0.5")}
    result = cost_at_mix(usage, weights, {})
    assert result.at_mix == 20 * (D("0.5") * 1 + D("0.5") * D("0.1"))


def test_free_tiers_are_priced_at_zero_not_by_the_fallback() -> None:
    usage = {"premium": Usage(1, D(1)), "economy": Usage(9, D(0))}
    weights = {"premium": D("0.5"), "economy": D("0.5")}
    assert cost_at_mix(usage, weights, {"economy": D(5)}).at_mix == D(5)


def test_without_requests_nothing_is_reweighted() -> None:
    result = cost_at_mix({}, recommended_weights(), {}, uncounted=D("7"))
    assert (result.actual, result.at_mix, result.requests) == (D(7), D(7), 0)


def test_tier_averages_pool_the_categories() -> None:
    a = {"premium": Usage(1, D(3))}
    b = {"premium": Usage(3, D(1)), "economy": Usage(0, D(0))}
    assert tier_averages([a, b]) == {"premium": D(1)}


def test_directive_savings_count_the_to_tier_beyond_its_usual_share() -> None:
    before = {"premium": Usage(80, D("80.00")), "standard": Usage(20, D("2.00"))}
    after = {"premium": Usage(0, D(0)), "standard": Usage(50, D("5.00"))}
    saved = directive_savings(before, after, "premium", "standard")
    # 20% of 50 would have been standard anyway: 40 rerouted at 1.00 - 0.10 each
    assert saved.rerouted == 40
    assert saved.saved == D("36.00")


def test_directive_savings_without_a_change_or_a_price() -> None:
    before = {"standard": Usage(10, D(1))}
    assert directive_savings(before, {"standard": Usage(5, D(1))}, "premium", "standard").saved == 0
    unknown = directive_savings({}, {"standard": Usage(5, D(1))}, "premium", "standard")
    assert (unknown.rerouted, unknown.saved) == (5, None)


def test_run_rate_projects_the_pace_so_far() -> None:
    assert run_rate(D("10"), timedelta(days=3), timedelta(days=30)) == D(100)
    assert run_rate(D("10"), timedelta(0), timedelta(days=30)) == 0


def test_payback_is_investment_over_monthly_savings() -> None:
    result = payback(D("20000"), D("5000"), D("1000"))
    assert (result.monthly_savings, result.months) == (D(4000), D(5))
    assert payback(D("1"), D("10"), D("10")).months is None
    with pytest.raises(ValueError, match="fine-tuning cost cannot be negative"):
        payback(D("-1"), D(1), D(0))


@pytest.mark.parametrize(
    ("text", "value"),
    [("20000", D(20000)), (" $20,000.50 ", D("20000.50")), (".5", D("0.5")), ("0", D(0))],
)
def test_typed_amounts(text: str, value: Decimal) -> None:
    assert typed_amount(text, "cost") == value


@pytest.mark.parametrize("text", [None, "", "abc", "-5", "1e3", "1.2.3", "NaN"])
def test_typed_amounts_refuse_what_is_not_an_amount(text: str | None) -> None:
    with pytest.raises(ValueError, match="the cost must be an amount"):
        typed_amount(text, "cost")
