from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.domain.money import (
    NANOS_PER_UNIT,
    format_money,
    from_nanos,
    money_str,
    normalise_currency,
    parse_amount,
    to_nanos,
)

finite = st.decimals(min_value=-(10**30), max_value=10**30, allow_nan=False, allow_infinity=False)
on_grid = st.decimals(min_value=-(10**15), max_value=10**15, places=9)


def test_nanos_per_unit() -> None:
    assert NANOS_PER_UNIT == 1_000_000_000


@pytest.mark.parametrize(
    ("amount", "nanos"),
    [
        ("0", 0),
        ("1", 1_000_000_000),
        ("-1.5", -1_500_000_000),
        ("0.000000001", 1),
        ("0.0000000005", 0),
        ("0.0000000015", 2),
        ("0.0000000025", 2),
        ("-0.0000000025", -2),
        ("0.00000000051", 1),
        ("1E-30", 0),
        ("123456789012345678901234567890.123456789", 123456789012345678901234567890123456789),
        ("1E+40", 10**49),
    ],
)
def test_to_nanos(amount: str, nanos: int) -> None:
    assert to_nanos(Decimal(amount)) == nanos


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1E+60"])
def test_to_nanos_rejects(amount: str) -> None:
    with pytest.raises(ValueError):
        to_nanos(Decimal(amount))


def test_from_nanos_is_exact_for_huge_values() -> None:
    assert from_nanos(10**40 + 1) == Decimal("10000000000000000000000000000000.000000001")
    assert from_nanos(-5) == Decimal("-0.000000005")
    with pytest.raises(TypeError):
        from_nanos(1.5)  # type: ignore[arg-type]


@given(finite)
def test_round_trip_rounds_half_even_once(amount: Decimal) -> None:
    # An independent oracle: round() on a Fraction is exact and half-even.
    expected = round(Fraction(amount) * NANOS_PER_UNIT)
    assert to_nanos(amount) == expected
    assert from_nanos(to_nanos(amount)) == Fraction(expected, NANOS_PER_UNIT)


@given(st.lists(on_grid, max_size=20))
def test_sum_of_nanos_is_nanos_of_sum(amounts: list[Decimal]) -> None:
    exact_sum = sum((Fraction(a) for a in amounts), Fraction(0))
    assert sum(to_nanos(a) for a in amounts) == exact_sum * NANOS_PER_UNIT
    assert from_nanos(sum(to_nanos(a) for a in amounts)) == exact_sum


@given(st.integers(min_value=-(10**40), max_value=10**40))
def test_nanos_round_trip(nanos: int) -> None:
    assert to_nanos(from_nanos(nanos)) == nanos


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", Decimal(12)),
        (" -1.5\n", Decimal("-1.5")),
        ("0.000000001", Decimal("0.000000001")),
        ("1e-3", Decimal("0.001")),
        ("+.5", Decimal("0.5")),
        ("7.", Decimal(7)),
        (42, Decimal(42)),
        (Decimal("3.25"), Decimal("3.25")),
    ],
)
def test_parse_amount(text: str | int | Decimal, expected: Decimal) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "50k", "NaN", "inf", "Infinity", "1_000", "1,000", "1e", ".", "١٢", "$5"]
)
def test_parse_amount_rejects_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a decimal amount"):
        parse_amount(text)


def test_parse_amount_message() -> None:
    with pytest.raises(ValueError) as raised:
        parse_amount("50k")
    assert str(raised.value) == "not a decimal amount: '50k'"


@pytest.mark.parametrize("value", [1.5, True, False, None, b"1"])
def test_parse_amount_rejects_types(value: object) -> None:
    with pytest.raises(TypeError):
        parse_amount(value)  # type: ignore[arg-type]


def test_parse_amount_rejects_non_finite_decimal() -> None:
    with pytest.raises(ValueError):
        parse_amount(Decimal("NaN"))


@pytest.mark.parametrize(("code", "expected"), [("usd", "USD"), (" eur ", "EUR"), ("CHF", "CHF")])
def test_normalise_currency(code: str, expected: str) -> None:
    assert normalise_currency(code) == expected


@pytest.mark.parametrize("code", ["xx", "", "US D", "USDX", "12A", "ÉUR", "us$"])
def test_normalise_currency_rejects(code: str) -> None:
    with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
        normalise_currency(code)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0.010000000", "0.01"),
        ("12.345678901", "12.345678901"),
        ("0", "0.00"),
        ("-0.000", "0.00"),
        ("2260", "2260.00"),
        ("-3.5", "-3.50"),
        ("1E+3", "1000.00"),
        ("1E-9", "0.000000001"),
        ("-12.300", "-12.30"),
        ("123456789012345678901234567890.5", "123456789012345678901234567890.50"),
        ("6133.780131555457320428599363", "6133.780131555"),  # on the nano grid, half-even
        ("0.0000000025", "0.000000002"),
        ("-0.0000000004", "0.00"),
    ],
)
def test_money_str(amount: str, text: str) -> None:
    assert money_str(Decimal(amount)) == text


@given(finite)
def test_money_str_parses_back(amount: Decimal) -> None:
    text = money_str(amount)
    assert Decimal(text) == from_nanos(to_nanos(amount))  # the nano grid, half-even
    assert "E" not in text.upper()
    _, fraction = text.split(".")
    assert 2 <= len(fraction) <= 9
    assert len(fraction) == 2 or not fraction.endswith("0")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("1234", "USD", "$1,234.00"),
        ("-3.5", "usd", "-$3.50"),
        ("1234567.891", "EUR", "€1,234,567.89"),
        ("0.125", "GBP", "£0.12"),
        ("0.135", "GBP", "£0.14"),
        ("1234.5", "JPY", "¥1,234"),
        ("1235.5", "JPY", "¥1,236"),
        ("1234", "CHF", "1,234.00 CHF"),
        ("-1234", "CHF", "-1,234.00 CHF"),
        ("-0.001", "USD", "$0.00"),
    ],
)
def test_format_money(amount: str, currency: str, text: str) -> None:
    assert format_money(Decimal(amount), currency) == text
