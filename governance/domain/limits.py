"""What the ledger can hold, as pure rules: a value outside them is refused with a reason before
the insert, never left for the database to refuse (and, before, to fail the whole batch).

Money is a signed 64-bit count of nano-units, token counts are signed 64-bit, request counts
32-bit; times lie between 2000-01-01 and one day after the ingest's now; text holds neither NUL
(PostgreSQL's text cannot) nor a lone surrogate (no UTF-8 encoding exists for one).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from governance.domain.money import from_nanos, to_nanos

BIGINT_MAX: Final = 2**63 - 1
INTEGER_MAX: Final = 2**31 - 1
MONEY_MAX: Final = from_nanos(BIGINT_MAX)  # the largest amount a Money column holds
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)  # before any LLM bill; Go's zero time is 0001
FUTURE_SLACK: Final = timedelta(days=1)  # clocks drift and time zones differ; a year does not
# Widths of the ledger's text columns (governance.ledger.tables; a unit test keeps them equal).
TEXT_WIDTHS: Final = {"source_key": 255, "provider": 64, "model": 255, "team": 255,
                      "project": 255}  # fmt: skip
REPLACEMENT: Final = "\ufffd"
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored as it is (NUL, a lone surrogate), or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "a NUL character (U+0000)"
    return f"a lone surrogate (U+{ord(found.group()):04X}, half a character)"


def storable(text: str) -> str:
    """``text`` made storable, for text kept for people (a quarantined record, a reason, a path)
    where refusing it would lose the record: NUL shown as U+FFFD, as undecodable bytes are, and a
    lone surrogate as its JSON escape (``\\ud83d``), so a quarantined JSON record still decodes
    to what was read and a retry meets the same refusal."""
    return _UNSTORABLE.sub(_replacement, text)


def _replacement(found: re.Match[str]) -> str:
    return REPLACEMENT if found.group() == "\x00" else f"\\u{ord(found.group()):04x}"


def _shown(number: Decimal | int) -> str:
    """A number for a reason: whole when short, else in scientific notation (never 6,000 digits)."""
    exact = str(Decimal(number))  # str(int) refuses more than 4,300 digits; Decimal does not
    return exact if len(exact) <= 24 else format(Decimal(number), ".6E")


def money_problem(name: str, amount: Decimal) -> str | None:
    """Why ``amount`` cannot be a Money value (not finite, beyond 64-bit nanos), or None."""
    if not amount.is_finite():
        return f"{name} is not a finite amount: {amount}"
    try:
        nanos = to_nanos(amount)  # rounded as it will be stored
    except ValueError:
        nanos = BIGINT_MAX + 1
    if abs(nanos) > BIGINT_MAX:
        return f"{name} {_shown(amount)} is beyond what the ledger holds (±{MONEY_MAX:,})"
    return None


def count_problem(name: str, count: int, largest: int = BIGINT_MAX) -> str | None:
    """Why ``count`` cannot be stored (negative, beyond its column), or None."""
    if count < 0:
        return f"{name} is negative: {_shown(count)}"
    if count > largest:
        return f"{name} {_shown(count)} is beyond what the ledger holds ({largest:,})"
    return None


def time_problem(name: str, when: datetime, now: datetime | None) -> str | None:
    """Why ``when`` is not a plausible time of spend: before 2000, or more than a day after
    ``now`` (the ingest's clock; None: no upper bound). None when it is."""
    try:
        if when < EARLIEST:
            return f"{name} {when.isoformat()} is before {EARLIEST.date()}"
        if now is not None and when > now + FUTURE_SLACK:
            return f"{name} {when.isoformat()} is more than a day after now ({now.isoformat()})"
    except OverflowError:  # year 1 or 9999 with an offset: beyond datetime's own range
        return f"{name} {when!r} is out of range"
    return None
