"""What the ledger can hold, as pure rules: money in 64-bit nano-units, counts in BIGINT, times
from 2000 to a day after the ingest's now, text without NUL or lone surrogates; and the
database's refusals told apart from its failures, in one line without the values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError

from governance.domain import limits
from governance.domain.pricing import Rates, cost_at
from governance.domain.tiers import TierMap
from governance.domain.usage import BadRecord, LedgerRules, Tokens, UsageRecord, to_ledger_row
from governance.ledger.errors import refusal_reason, refused_values
from governance.ledger.tables import ledger

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "fits"),
    [
        ("9223372036.854775807", True),
        ("-9223372036.854775807", True),
        ("9223372036.8547758075", False),  # rounds half-even to one nano-unit too many
        ("9223372037", False),
        ("1e300", False),
        ("NaN", False),
        ("-Infinity", False),
    ],
)
def test_money_fits_64_bit_nano_units(amount: str, fits: bool) -> None:
    assert (limits.money_problem("cost", Decimal(amount)) is None) is fits


def test_counts_times_and_text() -> None:
    assert limits.count_problem("n", 2**63 - 1) is None
    assert "beyond" in (limits.count_problem("n", 2**63) or "")
    assert "negative" in (limits.count_problem("n", -1) or "")
    assert "E+6000" in (limits.count_problem("n", 10**6000) or "")  # never 6,000 digits
    assert limits.time_problem("t", datetime(2000, 1, 1, tzinfo=UTC), NOW) is None
    assert limits.time_problem("t", NOW + timedelta(days=1), NOW) is None
    assert limits.time_problem("t", NOW + timedelta(days=1, microseconds=1), NOW) is not None
    assert limits.time_problem("t", datetime(9999, 12, 31, tzinfo=UTC), None) is None
    for when in (datetime(1, 1, 1, tzinfo=UTC), datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
                 datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))):  # fmt: skip
        assert limits.time_problem("t", when, NOW) is not None
    assert limits.unstorable("ok é 😀") is None
    assert limits.unstorable("a\x00") == "a NUL character (U+0000)"
    assert (limits.unstorable("a\ud83d") or "").startswith("a lone surrogate (U+D83D")
    assert limits.storable('{"a": "x\ud83d\x00"}') == '{"a": "x\\ud83d\ufffd"}'


def test_text_widths_are_the_ledger_columns() -> None:
    for name, width in limits.TEXT_WIDTHS.items():
        assert getattr(ledger.c[name].type, "length", None) == width, name


def _record(**fields: object) -> UsageRecord:
    values: dict[str, object] = {"source_key": "k", "occurred_at": NOW, "model": "gpt-4o",
                                 "input_tokens": 10, "output_tokens": 5} | fields  # fmt: skip
    return UsageRecord(**values)  # type: ignore[arg-type]


def test_rows_beyond_the_ledger_are_bad_records_with_a_reason() -> None:
    rate = Rates(Decimal("1e300"), Decimal("1e300"))  # a [prices] rate of 1e300 per million

    def price(model: str, provider: str, tokens: Tokens, when: datetime) -> tuple[Decimal, str]:
        return cost_at(rate, tokens), "USD"

    rules = LedgerRules(TierMap.from_mapping({}), (), "USD", {"EUR": Decimal("1e10")}, price)
    cases = {
        "as priced for": _record(),
        "cost 9223372037 is beyond": _record(cost=Decimal(9_223_372_037)),
        "cost converted to USD": _record(cost=Decimal(1), currency="EUR"),
        "not a finite amount": _record(cost=Decimal("NaN")),
        "input_tokens 9223372036854775808": _record(input_tokens=2**63),
        "requests 2147483648": _record(requests=2**31),
        "is before 2000-01-01": _record(occurred_at=datetime(1, 1, 1, tzinfo=UTC)),
        "more than a day after now": _record(occurred_at=datetime(9999, 1, 1, tzinfo=UTC)),
        "a lone surrogate (U+D83D": _record(team="search \ud83d"),
        "team is 256 characters long": _record(team="t" * 256),
    }
    for expected, record in cases.items():
        with pytest.raises(BadRecord, match=expected.replace("(", r"\(").replace("+", r"\+")):
            to_ledger_row(record, rules, "gateway", NOW)
    assert to_ledger_row(_record(api_key="sk-\ud83d", cost=Decimal(1)), rules, now=NOW)


def test_refusals_are_told_from_failures_and_said_without_values() -> None:
    refused = DataError("INSERT", {}, Exception('invalid input for "sk-live-secret"\nDETAIL: x'))
    assert refused_values(refused) and not refused_values(OperationalError("x", {}, Exception()))
    assert refused_values(IntegrityError("x", {}, Exception("null value")))
    assert refused_values(OverflowError("Python int too large to convert to SQLite INTEGER"))
    reason = refusal_reason(refused)
    assert reason == 'the ledger refused it: invalid input for "…"'
    encode = UnicodeEncodeError("utf-8", "a\ud83d", 1, 2, "surrogates not allowed")
    wrapped = StatementError("bind", "INSERT", {}, encode)
    assert refusal_reason(wrapped).startswith(
        "the ledger refused it: text it cannot encode (U+D83D"
    )
