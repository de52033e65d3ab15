import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.domain.forecast import Forecast, forecast_period_end, run_rate

MONDAY = 0


def amounts(*values: float) -> list[Decimal]:
    return [Decimal(f"{v:.9f}") for v in values]


def weekly(days: int, weekday: float, weekend: float, first_weekday: int = MONDAY) -> list[Decimal]:
    return amounts(*(weekend if (first_weekday + i) % 7 >= 5 else weekday for i in range(days)))


def noisy_weekly(days: int, seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    return amounts(*(v * rng.uniform(0.9, 1.1) for v in map(float, weekly(days, 100, 40))))


def assert_ordered(forecast: Forecast, so_far: Decimal) -> None:
    assert so_far <= forecast.low <= forecast.expected <= forecast.high


def rest(forecast: Forecast, daily: list[Decimal]) -> Decimal:
    return forecast.expected - sum(daily, Decimal(0))


# run_rate


def test_run_rate_scales_linearly() -> None:
    assert run_rate(Decimal("100"), 10, 30) == Decimal("300")
    assert run_rate(Decimal("10"), 0.5, 30) == Decimal("600")
    assert run_rate(Decimal("-5"), 5, 30) == Decimal("-30")


def test_run_rate_rounds_half_even_to_nanos() -> None:
    assert run_rate(Decimal("1"), 3, 1) == Decimal("0.333333333")
    assert run_rate(Decimal("2"), 3, 1) == Decimal("0.666666667")
    assert run_rate(Decimal("1"), 3, 1).as_tuple().exponent == -9


def test_run_rate_with_nothing_elapsed_is_the_spend() -> None:
    assert run_rate(Decimal("12.5"), 0, 30) == Decimal("12.5")


# The model on clean series


def test_flat_series_forecasts_days_times_rate() -> None:
    daily = amounts(*[100.0] * 10)
    forecast = forecast_period_end(daily, 1.0, 2, 30)
    assert forecast.method == "weekday-trend"
    assert abs(forecast.expected - Decimal(3000)) < Decimal("0.001")
    assert_ordered(forecast, Decimal(1000))
    assert forecast.low < forecast.expected < forecast.high


def test_weekday_weekend_mix_is_projected_exactly() -> None:
    # Days 1-10 from a Monday: 8 weekdays, 2 weekend days. Days 11-28: 12 weekdays, 6 weekend.
    daily = weekly(10, 100, 40)
    truth = Decimal(880 + 12 * 100 + 6 * 40)
    forecast = forecast_period_end(daily, 1.0, MONDAY, 28)
    assert abs(forecast.expected - truth) / truth < Decimal("0.01")
    # The run-rate assumes the elapsed mix continues and overshoots by 6%.
    assert run_rate(Decimal(880), 10, 28) / truth > Decimal("1.05")


@pytest.mark.parametrize("first_weekday", range(7))
def test_weekend_offset_follows_the_calendar(first_weekday: int) -> None:
    daily = weekly(14, 100, 40, first_weekday)
    remaining = weekly(30, 100, 40, first_weekday)[14:]
    truth = sum(daily + remaining, Decimal(0))
    forecast = forecast_period_end(daily, 1.0, first_weekday, 30)
    assert abs(forecast.expected - truth) / truth < Decimal("0.01")


def test_growth_is_followed() -> None:
    # A clear growth is kept, a little shrunk: most runs of days that look like growth are not.
    series = amounts(*(100 * 1.03**i for i in range(30)))
    truth = sum(series, Decimal(0))
    forecast = forecast_period_end(series[:21], 1.0, MONDAY, 30)
    baseline = run_rate(sum(series[:21], Decimal(0)), 21, 30)
    assert baseline / truth < Decimal("0.9")
    assert abs(forecast.expected - truth) < abs(baseline - truth) / 2


def test_growth_is_read_from_history_early_in_the_period() -> None:
    series = amounts(*(100 * 1.03**i for i in range(-42, 30)))
    history, period = series[:42], series[42:]
    truth = sum(period, Decimal(0))
    with_history = forecast_period_end(period[:7], 1.0, MONDAY, 30, history)
    alone = forecast_period_end(period[:7], 1.0, MONDAY, 30)
    assert with_history.history_weight > 0.5
    assert abs(with_history.expected - truth) / truth < Decimal("0.06")
    assert abs(alone.expected - truth) > 2 * abs(with_history.expected - truth)


def test_decline_is_followed() -> None:
    series = amounts(*(100 * 0.97**i for i in range(30)))
    truth = sum(series, Decimal(0))
    forecast = forecast_period_end(series[:21], 1.0, MONDAY, 30)
    baseline = run_rate(sum(series[:21], Decimal(0)), 21, 30)
    assert abs(forecast.expected - truth) < abs(baseline - truth) / 2


# Robustness


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("spike_day", range(14))
def test_a_spike_day_does_not_blow_up_the_projection(seed: int, spike_day: int) -> None:
    daily = noisy_weekly(14, seed)
    clean = forecast_period_end(daily, 1.0, MONDAY, 30)
    spiked_daily = list(daily)
    spiked_daily[spike_day] *= 10
    spiked = forecast_period_end(spiked_daily, 1.0, MONDAY, 30)
    # The spike itself is spend so far; what must not follow it is the rest of the period.
    assert rest(spiked, spiked_daily) < Decimal("1.2") * rest(clean, daily)


def test_a_quiet_week_is_not_projected_forward() -> None:
    daily = amounts(*[100.0] * 7, *[40.0] * 7, *[100.0] * 7)
    forecast = forecast_period_end(daily, 1.0, MONDAY, 30)
    assert abs(rest(forecast, daily) - Decimal(900)) < Decimal(50)


def test_zero_spend_day_counts_at_its_share_only() -> None:
    # One day in thirteen without spend: the rest runs at about 12/13 of the level (1569).
    daily = amounts(*[100.0] * 6, 0.0, *[100.0] * 6)
    forecast = forecast_period_end(daily, 1.0, MONDAY, 30)
    assert Decimal(1500) < rest(forecast, daily) < Decimal(1700)


def test_category_starting_mid_month_is_rated_from_its_start() -> None:
    daily = amounts(*[0.0] * 10, *[100.0] * 7)
    forecast = forecast_period_end(daily, 1.0, 2, 30)
    assert abs(forecast.expected - Decimal(2000)) < Decimal("0.001")
    assert run_rate(Decimal(700), 17, 30) < Decimal(1300)


def test_category_two_days_old_falls_back_to_its_own_run_rate() -> None:
    daily = amounts(*[0.0] * 10, 100.0, 100.0)
    forecast = forecast_period_end(daily, 1.0, MONDAY, 30)
    assert forecast.method == "run-rate"
    assert forecast.expected == Decimal(2000)


def test_all_zero_spend_forecasts_zero() -> None:
    forecast = forecast_period_end(amounts(*[0.0] * 9), 1.0, MONDAY, 31, amounts(*[0.0] * 30))
    assert forecast.expected == forecast.low == forecast.high == 0


def test_credits_never_pull_the_forecast_below_spend_so_far() -> None:
    daily = amounts(100, 100, -500, 100, 100, 100, 100, 100)
    forecast = forecast_period_end(daily, 1.0, MONDAY, 30)
    assert_ordered(forecast, Decimal(200))
    assert Decimal(1800) < rest(forecast, daily) < Decimal(2300)  # a credit day spends nothing
    only_credits = forecast_period_end(amounts(-5, -5, -5), 1.0, MONDAY, 30)
    assert only_credits.expected == only_credits.low == only_credits.high == Decimal(-15)


def test_sparse_spend_is_projected_at_its_mean_rate_since_it_started() -> None:
    daily = amounts(0, 0, 100, 0, 0, 0, 50, 0)
    forecast = forecast_period_end(daily, 1.0, MONDAY, 30)
    assert forecast.method == "sparse-rate"
    assert abs(forecast.expected - Decimal(700)) < Decimal("0.001")  # 25 a day from day 3
    assert_ordered(forecast, Decimal(150))


def test_sparse_history_that_agrees_steadies_the_rate() -> None:
    rng = random.Random(3)
    series = amounts(*(rng.choice((0.0, 0.0, 150.0, 250.0)) for _ in range(42 + 30)))
    history, period = series[:42], series[42:]
    with_history = forecast_period_end(period[:7], 1.0, MONDAY, 30, history)
    assert with_history.method == "sparse-rate" and with_history.history_weight > 0.5
    alone = forecast_period_end(period[:7], 1.0, MONDAY, 30)
    assert with_history.high / with_history.low < alone.high / alone.low


# History: shape and noise from it, the level only where the period agrees


@pytest.mark.parametrize("ratio", [0.5, 2.0, 2.5])
def test_history_at_another_level_does_not_set_the_level(ratio: float) -> None:
    history = noisy_weekly(42, 1)
    period = amounts(*(float(x) * ratio for x in noisy_weekly(42 + 10, 1)[42:]))
    forecast = forecast_period_end(period, 1.0, MONDAY, 30, history)
    alone = forecast_period_end(period, 1.0, MONDAY, 30)
    assert forecast.history_weight < 0.01
    assert abs(forecast.expected - alone.expected) / alone.expected < Decimal("0.03")


def test_history_that_agrees_sets_the_level() -> None:
    series = noisy_weekly(42 + 30, 0)
    history, period = series[:42], series[42:]
    forecast = forecast_period_end(period[:7], 1.0, MONDAY, 30, history)
    assert forecast.history_weight > 0.9
    level = sum(weekly(30, 100, 40), Decimal(0))  # of the process the noise is around
    assert abs(forecast.expected - level) / level < Decimal("0.02")


def test_weekend_shape_comes_from_history_even_at_a_new_level() -> None:
    # Three weekdays of the period at twice the history's level: the level is the period's,
    # weekends at 40% of weekdays come from the history (the period has seen none).
    history = weekly(42, 100, 40)
    period = weekly(3, 200, 80)
    forecast = forecast_period_end(period, 1.0, MONDAY, 28, history)
    truth = sum(weekly(28, 200, 80), Decimal(0))
    assert forecast.history_weight < 0.01
    assert abs(forecast.expected - truth) / truth < Decimal("0.01")


# Partial days and edges


def test_day_one_partial_is_run_rate_with_a_wide_interval() -> None:
    forecast = forecast_period_end(amounts(10), 0.25, MONDAY, 30)
    assert forecast.method == "run-rate"
    assert forecast.expected == Decimal(1200)
    assert_ordered(forecast, Decimal(10))
    assert forecast.high / forecast.low > 3


def test_partial_today_adds_only_the_rest_of_today() -> None:
    complete = forecast_period_end(amounts(*[100.0] * 11), 1.0, 2, 30)
    partial = forecast_period_end(amounts(*[100.0] * 10, 25), 0.25, 2, 30)
    assert abs(complete.expected - Decimal(3000)) < Decimal("0.001")
    assert abs(partial.expected - Decimal(3000)) < Decimal("0.001")
    # A quiet morning is not a quiet day: the rest of today is projected at the full rate.
    quiet_morning = forecast_period_end(amounts(*[100.0] * 10, 5), 0.25, 2, 30)
    assert abs(quiet_morning.expected - Decimal(2980)) < Decimal("0.001")


def test_complete_period_is_its_spend() -> None:
    daily = amounts(*[100.0] * 28)
    forecast = forecast_period_end(daily, 1.0, MONDAY, 28)
    assert forecast.expected == forecast.low == forecast.high == Decimal(2800)


def test_interval_narrows_as_the_period_goes_on() -> None:
    series = noisy_weekly(30, 7)
    widths = [
        (f.high - f.low) / f.expected
        for f in (forecast_period_end(series[:day], 1.0, MONDAY, 30) for day in (7, 14, 21, 28))
    ]
    assert widths == sorted(widths, reverse=True)


@pytest.mark.parametrize(
    ("daily", "fraction", "weekday", "days"),
    [
        ([], 1.0, MONDAY, 30),
        (amounts(*[1.0] * 31), 1.0, MONDAY, 30),
        (amounts(1), 0.0, MONDAY, 30),
        (amounts(1), 1.5, MONDAY, 30),
        (amounts(1), float("nan"), MONDAY, 30),
        (amounts(1), 1.0, 7, 30),
        ([Decimal("NaN")], 1.0, MONDAY, 30),
        ([Decimal("Infinity")], 1.0, MONDAY, 30),
    ],
)
def test_rejects_inconsistent_arguments(
    daily: list[Decimal], fraction: float, weekday: int, days: int
) -> None:
    with pytest.raises(ValueError):
        forecast_period_end(daily, fraction, weekday, days)


money = st.decimals(min_value=-1000, max_value=10**7, places=9, allow_nan=False)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Decimal], float, int, int, list[Decimal]]:
    period_days = draw(st.integers(28, 31))
    daily = draw(st.lists(money, min_size=1, max_size=period_days))
    fraction = draw(st.floats(0.0, 1.0, exclude_min=True))
    return daily, fraction, draw(st.integers(0, 6)), period_days, draw(st.lists(money, max_size=60))


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_interval_invariants(
    scenario: tuple[list[Decimal], float, int, int, list[Decimal]],
) -> None:
    daily, fraction, weekday, period_days, history = scenario
    forecast = forecast_period_end(daily, fraction, weekday, period_days, history)
    for amount in (forecast.expected, forecast.low, forecast.high):
        assert isinstance(amount, Decimal)
        assert amount.is_finite()
        assert amount.as_tuple().exponent == -9
    assert_ordered(forecast, sum(daily, Decimal(0)))
    assert forecast.method in ("weekday-trend", "sparse-rate", "run-rate")
    assert 0 <= forecast.history_weight <= 1
