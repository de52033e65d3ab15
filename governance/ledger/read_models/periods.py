"""Which periods the overview offers: those the daily rollup has spend in (never a ledger
scan) and the current one, and whether the current one has only begun, so that a reader is
pointed at the last full period instead of a forecast made from a day or two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection

from governance.domain.periods import Period, period_containing
from governance.ledger.read_models.spend import periods_with_data


@dataclass(frozen=True)
class PeriodChoice:
    current: Period
    labels: list[str]  # newest first: the periods with spend, and the current one
    now: datetime
    last_full: str | None  # the newest period with spend that has ended

    @property
    def begun_only(self) -> bool:
        """The current period has only begun (as `governance demo` and `status` judge it)."""
        return self.current.only_begun(self.now)


def read_period_choice(conn: Connection, timezone: str, now: datetime) -> PeriodChoice:
    """The periods to choose from at ``now``, in the budget's ``timezone``."""
    current = period_containing(now, timezone)
    with_data = periods_with_data(conn, timezone)
    # Labels are YYYY-MM, so their order as text is their order in time.
    labels = sorted({*with_data, current.label}, reverse=True)
    ended = [label for label in with_data if label < current.label]
    return PeriodChoice(current, labels, now, max(ended, default=None))
