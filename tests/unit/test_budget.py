from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.domain.budget import allocation, percent_used

amounts = st.decimals(min_value=0, max_value=10**12, places=9)
shares = st.decimals(min_value=0, max_value=100, places=3)


@pytest.mark.parametrize(
    ("budget", "share", "expected"),
    [
        ("50000.00", "40", "20000"),
        ("50000.00", "35", "17500"),
        ("50000.00", "25", "12500"),
        ("50000.00", "33.3", "16650"),
        ("50000.00", "0", "0"),
        ("50000.00", "100", "50000"),
        ("100", "33.333333333333", "33.333333333"),
        ("0.000000001", "50", "0"),  # half of a nano: half-even rounds to 0
        ("0.000000003", "50", "0.000000002"),  # 1.5 nanos rounds to 2
        ("12345678901234567890.123456789", "12.5", "1543209862654320986.265432099"),
    ],
)
def test_allocation(budget: str, share: str, expected: str) -> None:
    result = allocation(Decimal(budget), Decimal(share))
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -9


def test_allocation_rejects_non_finite() -> None:
    with pytest.raises(ValueError, match="share"):
        allocation(Decimal("50000"), Decimal("NaN"))
    with pytest.raises(ValueError, match="budget"):
        allocation(Decimal("Infinity"), Decimal(40))


@given(amounts, shares)
def test_allocation_is_exact_product_rounded_once(budget: Decimal, share: Decimal) -> None:
    exact = Fraction(budget) * Fraction(share) / 100
    result = allocation(budget, share)
    assert abs(Fraction(result) - exact) <= Fraction(1, 2 * 10**9)
    assert allocation(budget, Decimal(0)) == 0


@pytest.mark.parametrize(
    ("spend", "alloc", "expected"),
    [
        ("0", "20000", "0.0"),
        ("14000", "20000", "70.0"),
        ("18000", "20000", "90.0"),
        ("20000", "20000", "100.0"),
        ("25000", "20000", "125.0"),
        ("1", "3", "33.3"),
        ("2", "3", "66.7"),
        ("0.25", "1000", "0.0"),  # 0.025 % rounds half-even down to 0.0
        ("0.75", "1000", "0.1"),  # 0.075 % rounds half-even up to 0.1
        ("-50", "1000", "-5.0"),
    ],
)
def test_percent_used(spend: str, alloc: str, expected: str) -> None:
    result = percent_used(Decimal(spend), Decimal(alloc))
    assert result is not None
    assert str(result) == expected


def test_percent_used_of_nothing_is_none() -> None:
    assert percent_used(Decimal("10"), Decimal(0)) is None
    assert percent_used(Decimal(0), Decimal("0.000")) is None
    zero_share = allocation(Decimal("50000.00"), Decimal(0))
    assert percent_used(Decimal("1"), zero_share) is None


def test_percent_used_rejects_non_finite() -> None:
    with pytest.raises(ValueError, match="spend"):
        percent_used(Decimal("NaN"), Decimal(1))


@given(amounts, amounts.filter(lambda a: a > 0))
def test_percent_used_is_within_half_a_tenth(spend: Decimal, alloc: Decimal) -> None:
    result = percent_used(spend, alloc)
    assert result is not None
    assert result.as_tuple().exponent == -1
    assert abs(Fraction(result) - Fraction(spend) * 100 / Fraction(alloc)) <= Fraction(1, 20)
