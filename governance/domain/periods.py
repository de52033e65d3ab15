"""Budget periods: calendar months in the budget's timezone, half-open ``[start, end)`` in UTC."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LABEL_RE: Final = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_SECOND: Final = timedelta(seconds=1)
_DAY: Final = timedelta(days=1)
# A period with fewer days elapsed than this has only begun: the demo writes the month before it
# too, and the dashboard and `status` point to that last full period.
BEGUN_DAYS: Final = 7


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown timezone: {name!r}") from None


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime, a timezone is required: {instant.isoformat()}")


def _year_month(label: str) -> tuple[int, int]:
    found = _LABEL_RE.fullmatch(label) if isinstance(label, str) else None
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        raise ValueError(f"not a period, expected YYYY-MM: {label!r}")
    return int(found[1]), int(found[2])


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first UTC instant whose local date in ``zone`` is ``day``."""
    midnight = datetime(day.year, day.month, day.day)
    # fold=0 picks the earlier instant when midnight happens twice.
    first = midnight.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == midnight:
        return first
    # Midnight falls in a DST gap, maybe not at its start: the day begins at the transition,
    # which lies between the two readings of the gap. Transitions fall on whole seconds.
    before = midnight.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = first
    while after - before > _SECOND:
        middle = before + (after - before) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).date() < day:
            before = middle
        else:
            after = middle
    return after


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _period(year: int, month: int, timezone: str) -> Period:
    zone = _zone(timezone)
    start = _day_start(date(year, month, 1), zone)
    end = _day_start(date(*_month_after(year, month), 1), zone)
    return Period(start=start, end=end, label=f"{year:04d}-{month:02d}", timezone=timezone)


@dataclass(frozen=True)
class Period:
    """One calendar month in ``timezone``, as the UTC half-open interval ``[start, end)``."""

    start: datetime
    end: datetime
    label: str
    timezone: str

    @property
    def days(self) -> int:
        """Number of calendar days in the month."""
        return calendar.monthrange(*_year_month(self.label))[1]

    def day_starts(self) -> list[datetime]:
        """The start of each local day of the period (in UTC), the first day's being ``start``."""
        zone = _zone(self.timezone)
        first = date(*_year_month(self.label), 1)
        return [_day_start(first + n * _DAY, zone) for n in range(self.days)]

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` (timezone-aware) lies in ``[start, end)``."""
        _require_aware(instant)
        return self.start <= instant < self.end

    def next(self) -> Period:
        """The period that starts where this one ends."""
        return _period(*_month_after(*_year_month(self.label)), self.timezone)

    def previous(self) -> Period:
        """The period that ends where this one starts."""
        return _period(*_month_before(*_year_month(self.label)), self.timezone)

    def elapsed_days(self, at: datetime) -> float:
        """Days of the period elapsed at ``at``, clamped to ``[0, days]``.

        Whole local days count as 1 each, even the 23- or 25-hour days of a DST change; the
        current day adds the fraction of its own length that has passed.
        """
        _require_aware(at)
        if at <= self.start:
            return 0.0
        if at >= self.end:
            return float(self.days)
        zone = _zone(self.timezone)
        today = at.astimezone(zone).date()
        today_start = _day_start(today, zone)
        length = _day_start(today + _DAY, zone) - today_start
        whole = (today - date(*_year_month(self.label), 1)).days
        elapsed = whole + (at - today_start) / length
        return max(0.0, min(float(self.days), elapsed))

    def only_begun(self, at: datetime) -> bool:
        """Whether fewer than ``BEGUN_DAYS`` days of the period have passed at ``at``."""
        return self.elapsed_days(at) < BEGUN_DAYS


def period_containing(instant: datetime, timezone: str) -> Period:
    """The period of ``timezone`` that contains the aware ``instant``."""
    _require_aware(instant)
    local = instant.astimezone(_zone(timezone))
    period = _period(local.year, local.month, timezone)
    # Guards a clock set back across midnight of the 1st, where the local date can disagree.
    while instant < period.start:
        period = period.previous()
    while instant >= period.end:
        period = period.next()
    return period


def period_for_label(label: str, timezone: str) -> Period:
    """The period named ``label`` ("YYYY-MM") in ``timezone``."""
    return _period(*_year_month(label), timezone)


def local_day(instant: datetime, timezone: str) -> date:
    """The calendar date of the aware ``instant`` in ``timezone``."""
    _require_aware(instant)
    return instant.astimezone(_zone(timezone)).date()
