"""Crossings and directives: once per period, composed, lifted only by a raised allocation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from governance.domain.directives import (
    Step,
    active_directives,
    route_model,
    routes,
    version,
)
from governance.domain.thresholds import CategoryState, new_crossings
from governance.domain.tiers import TierMap

AT = datetime(2026, 11, 18, 6, 0, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
TIERS = TierMap.from_mapping(
    {
        "premium": ["gpt-4o", "gpt-4o-2*", "claude-*sonnet*"],
        "standard": ["gpt-4o-mini*", "claude-*haiku*"],
        "economy": ["llama*"],
    }
)
SUBSTITUTES = {
    "gpt-4o": "gpt-4o-mini",
    "gpt-4o-mini": "llama-3.1-70b",
    "claude-3-5-sonnet*": "claude-3-5-haiku-latest",
}
BATCH_STEPS = [
    Step("batch", 90, "forecast", "premium", "standard"),
    Step("batch", 100, "actual", "standard", "economy"),
]


def state(
    spend: str, forecast: str, allocation: str = "2500", name: str = "batch"
) -> CategoryState:
    return CategoryState(name, Decimal(allocation), Decimal(spend), Decimal(forecast))


def test_each_level_and_basis_is_crossed_once_per_period() -> None:
    first = new_crossings("2026-11", [state("1800", "2600")], [70, 90, 100], [], 17.0, AT)
    assert [(c.level, c.basis) for c in first] == [
        (70, "actual"),
        (70, "forecast"),
        (90, "forecast"),
        (100, "forecast"),
    ]
    again = new_crossings(
        "2026-11", [state("1900", "2700")], [70, 90, 100], [c.key for c in first], 18.0, AT
    )
    assert again == []
    # Spend falls back (a credit) and rises again: still one crossing per level.
    dipped = new_crossings("2026-11", [state("10", "20")], [70], [c.key for c in first], 19.0, AT)
    assert dipped == []


def test_no_forecast_crossings_before_day_three() -> None:
    early = new_crossings("2026-11", [state("100", "9000")], [70, 90, 100], [], 2.9, AT)
    assert early == []
    on_day_three = new_crossings("2026-11", [state("100", "9000")], [70], [], 3.0, AT)
    assert [(c.level, c.basis) for c in on_day_three] == [(70, "forecast")]


def test_a_category_with_share_zero_never_crosses() -> None:
    assert (
        new_crossings("2026-11", [state("500", "900", allocation="0")], [70, 100], [], 20, AT) == []
    )


def test_steps_yield_directives_that_compose() -> None:
    crossings = new_crossings("2026-11", [state("2600", "2900")], [70, 90, 100], [], 20, AT)
    active = active_directives(
        "2026-11",
        BATCH_STEPS,
        crossings,
        {"batch": state("2600", "2900")},
        [],
        END,
        "USD",
        SUBSTITUTES,
        TIERS,
    )
    assert [d.id for d in active] == [
        "2026-11/batch/premium-standard",
        "2026-11/batch/standard-economy",
    ]
    first = active[0]
    assert first.substitutes == {
        "gpt-4o": "gpt-4o-mini",
        "claude-3-5-sonnet*": "claude-3-5-haiku-latest",
    }
    assert first.reason == "batch is forecast to spend $2,900.00 of its $2,500.00 allocation (116%)"
    assert first.expires_at == END and first.effective_from == AT
    assert routes(active) == {"batch": {"premium": "economy", "standard": "economy"}}
    assert route_model("gpt-4o", routes(active)["batch"], SUBSTITUTES, TIERS) == "llama-3.1-70b"
    assert (
        route_model("openai/gpt-4o-mini", routes(active)["batch"], SUBSTITUTES, TIERS)
        == "llama-3.1-70b"
    )
    assert (
        route_model("llama-3.1-8b", routes(active)["batch"], SUBSTITUTES, TIERS) == "llama-3.1-8b"
    )


def test_only_a_raised_allocation_lifts_a_directive() -> None:
    crossings = new_crossings("2026-11", [state("2300", "2800")], [70, 90, 100], [], 20, AT)
    steps = BATCH_STEPS[:1]

    def active(current: CategoryState, revoked: list[str] | None = None) -> list[str]:
        found = active_directives(
            "2026-11",
            steps,
            crossings,
            {"batch": current},
            revoked or [],
            END,
            "USD",
            SUBSTITUTES,
            TIERS,
        )
        return [d.id for d in found]

    assert active(state("2300", "2800")) == ["2026-11/batch/premium-standard"]
    # The forecast easing at the same allocation does not lift it.
    assert active(state("2300", "2000")) == ["2026-11/batch/premium-standard"]
    # The budget raised mid-period so that 2,800 is under 90% of the new allocation: lifted.
    assert active(state("2300", "2800", allocation="4000")) == []
    # Raised, but today's forecast still reaches 90% of it: kept.
    assert active(state("2300", "3700", allocation="4000")) == ["2026-11/batch/premium-standard"]
    assert active(state("2300", "2800"), revoked=["2026-11/batch/premium-standard"]) == []


def test_version_changes_exactly_when_the_set_changes() -> None:
    crossings = new_crossings("2026-11", [state("2600", "2900")], [70, 90, 100], [], 20, AT)

    def made(current: CategoryState) -> str:
        return version(
            "2026-11",
            active_directives(
                "2026-11",
                BATCH_STEPS,
                crossings,
                {"batch": current},
                [],
                END,
                "USD",
                SUBSTITUTES,
                TIERS,
            ),
        )

    assert made(state("2600", "2900")) == made(state("2650", "3000"))  # amounts moved, set did not
    assert made(state("2600", "2900")) != made(state("2600", "2900", allocation="2700"))
    assert made(state("2600", "2900")).startswith("2026-11:")
