import calendar
import struct
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, reset_tzpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.domain.periods import Period, local_day, period_containing, period_for_label

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Santiago",  # DST changes at midnight
    "America/Havana",  # DST starts at 00:00 on 2012-04-01 and ends there on 2015-11-01
    "Asia/Beirut",  # DST started at 00:00 on the 1st of May in the 1970s-1990s
    "Pacific/Apia",  # skipped 2011-12-30 when it crossed the date line
]

instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
zones = st.sampled_from(ZONES)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "label", "start", "end"),
    [
        ("UTC", "2024-02", utc(2024, 2, 1), utc(2024, 3, 1)),
        ("Europe/Berlin", "2024-03", utc(2024, 2, 29, 23), utc(2024, 3, 31, 22)),
        ("Europe/Berlin", "2024-10", utc(2024, 9, 30, 22), utc(2024, 10, 31, 23)),
        ("America/New_York", "2024-11", utc(2024, 11, 1, 4), utc(2024, 12, 1, 5)),
        ("Australia/Lord_Howe", "2024-10", utc(2024, 9, 30, 13, 30), utc(2024, 10, 31, 13)),
        ("America/Santiago", "2024-09", utc(2024, 9, 1, 4), utc(2024, 10, 1, 3)),
        # Midnight of the 1st is skipped: the month starts when the clock jumps to 01:00.
        ("America/Havana", "2012-04", utc(2012, 4, 1, 5), utc(2012, 5, 1, 4)),
        ("Asia/Beirut", "1992-05", utc(1992, 4, 30, 22), utc(1992, 5, 31, 21)),
        # Midnight of the 1st happens twice: the month starts at the first one.
        ("America/Havana", "2015-11", utc(2015, 11, 1, 4), utc(2015, 12, 1, 5)),
        ("Africa/Cairo", "2024-11", utc(2024, 10, 31, 22), utc(2024, 11, 30, 22)),
        ("Pacific/Apia", "2011-12", utc(2011, 12, 1, 10), utc(2011, 12, 31, 10)),
    ],
)
def test_period_bounds(zone: str, label: str, start: datetime, end: datetime) -> None:
    period = period_for_label(label, zone)
    assert period == Period(start=start, end=end, label=label, timezone=zone)
    assert period.start.tzinfo is UTC
    assert period_containing(start, zone) == period
    assert period_containing(end - timedelta(microseconds=1), zone) == period
    assert period_containing(end, zone).label != label


def test_havana_fold_belongs_to_november() -> None:
    first_half_hour = utc(2015, 11, 1, 4, 30)  # 00:30 local, before the clock goes back
    second_half_hour = utc(2015, 11, 1, 5, 30)  # 00:30 local again
    assert period_containing(first_half_hour, "America/Havana").label == "2015-11"
    assert period_containing(second_half_hour, "America/Havana").label == "2015-11"
    assert period_containing(utc(2015, 11, 1, 3, 59), "America/Havana").label == "2015-10"


@pytest.mark.parametrize(("label", "days"), [("2024-02", 29), ("2023-02", 28), ("2024-04", 30)])
def test_days(label: str, days: int) -> None:
    assert period_for_label(label, "UTC").days == days


def test_next_and_previous_cross_years() -> None:
    december = period_for_label("2024-12", "Europe/Berlin")
    assert december.next().label == "2025-01"
    assert december.next().previous() == december
    assert period_for_label("2025-01", "Europe/Berlin").previous() == december


def test_contains() -> None:
    period = period_for_label("2024-03", "Europe/Berlin")
    assert period.contains(utc(2024, 2, 29, 23))
    assert not period.contains(utc(2024, 2, 29, 22, 59, 59))
    assert not period.contains(utc(2024, 3, 31, 22))
    with pytest.raises(ValueError, match="naive"):
        period.contains(datetime(2024, 3, 5))


def test_elapsed_days_counts_whole_local_days() -> None:
    march = period_for_label("2024-03", "Europe/Berlin")  # 31 days, 743 hours
    assert march.elapsed_days(march.start) == 0.0
    assert march.elapsed_days(march.start - timedelta(days=3)) == 0.0
    assert march.elapsed_days(march.end) == 31.0
    assert march.elapsed_days(march.end + timedelta(days=3)) == 31.0
    assert march.elapsed_days(utc(2024, 3, 30, 23)) == 30.0  # midnight before the 23-hour day
    assert march.elapsed_days(utc(2024, 3, 31, 10)) == pytest.approx(30 + 11 / 23)
    september = period_for_label("2024-09", "America/Santiago")
    assert september.elapsed_days(utc(2024, 9, 8, 4)) == 7.0  # 8 Sep begins at 01:00
    assert september.elapsed_days(utc(2024, 9, 9, 3)) == 8.0
    apia = period_for_label("2011-12", "Pacific/Apia")  # 2011 had no 30 December
    assert apia.elapsed_days(utc(2011, 12, 30, 10)) == 30.0
    assert apia.elapsed_days(apia.end) == 31.0
    with pytest.raises(ValueError, match="naive"):
        march.elapsed_days(datetime(2024, 3, 5))


def test_local_day() -> None:
    assert local_day(utc(2024, 9, 8, 4), "America/Santiago") == date(2024, 9, 8)
    assert local_day(utc(2024, 9, 8, 3, 59), "America/Santiago") == date(2024, 9, 7)
    assert local_day(utc(2024, 1, 1, 11), "Pacific/Apia") == date(2024, 1, 2)
    with pytest.raises(ValueError, match="naive"):
        local_day(datetime(2024, 1, 1), "UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "utc", "../etc/passwd", "/etc/localtime"])
def test_unknown_timezone(zone: str) -> None:
    with pytest.raises(ValueError) as raised:
        period_containing(utc(2024, 1, 1), zone)
    assert str(raised.value) == f"unknown timezone: {zone!r}"
    with pytest.raises(ValueError, match="unknown timezone"):
        period_for_label("2024-01", zone)


@pytest.mark.parametrize("label", ["2024-13", "2024-00", "2024-1", "24-01", "2024/01", "0000-01"])
def test_bad_label(label: str) -> None:
    with pytest.raises(ValueError) as raised:
        period_for_label(label, "UTC")
    assert str(raised.value) == f"not a period, expected YYYY-MM: {label!r}"


@given(instants, zones)
def test_period_properties(instant: datetime, zone: str) -> None:
    period = period_containing(instant, zone)
    assert period.start <= instant < period.end
    assert period.contains(instant)
    assert period.next().start == period.end
    assert period.previous().end == period.start
    assert period_for_label(period.label, zone) == period
    year, month = (int(part) for part in period.label.split("-"))
    tz = ZoneInfo(zone)
    assert period.start.astimezone(tz).date() == date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    assert (period.end - timedelta(microseconds=1)).astimezone(tz).date() == last
    assert 28 <= period.days <= 31
    assert 0.0 <= period.elapsed_days(instant) < period.days


@given(instants, instants, zones)
def test_elapsed_days_is_monotonic(first: datetime, second: datetime, zone: str) -> None:
    early, late = sorted((first, second))
    period = period_containing(early, zone)
    assert period.elapsed_days(early) <= period.elapsed_days(late)


def _posix_only_tzif(rule: str) -> bytes:
    """A TZif v2 file without transitions, so the POSIX ``rule`` decides every offset."""
    header = b"TZif2" + bytes(15) + struct.pack(">6l", 0, 0, 0, 0, 1, 4)
    v1_data = struct.pack(">lBB", 0, 0, 0) + b"XST\0"
    return header + v1_data + header + v1_data + b"\n" + rule.encode() + b"\n"


@pytest.fixture
def gap_zone(tmp_path: Path) -> Iterator[str]:
    # Clocks jump from 23:30 on 31 March to 00:30: midnight of 1 April is inside the gap.
    (tmp_path / "Test").mkdir()
    (tmp_path / "Test" / "Gap").write_bytes(_posix_only_tzif("XST0XDT,J90/23:30,J304/3"))
    reset_tzpath(to=[str(tmp_path)])
    try:
        yield "Test/Gap"
    finally:
        reset_tzpath()


def test_month_starting_inside_a_gap(gap_zone: str) -> None:
    april = period_for_label("2023-04", gap_zone)
    assert april.start == utc(2023, 3, 31, 23, 30)
    assert april.previous().end == april.start
    assert period_containing(utc(2023, 3, 31, 23, 30), gap_zone) == april
    assert period_containing(utc(2023, 3, 31, 23, 29, 59), gap_zone).label == "2023-03"
    assert april.elapsed_days(utc(2023, 4, 1, 11, 15)) == 0.5  # 1 April lasts 23.5 hours


def test_day_starts_are_local_midnights_across_a_dst_change() -> None:
    period = period_for_label("2026-10", "Europe/Berlin")
    starts = period.day_starts()
    assert len(starts) == 31 and starts[0] == period.start
    assert starts[1] == datetime(2026, 10, 1, 22, tzinfo=UTC)  # CEST, UTC+2
    assert starts[-1] == datetime(2026, 10, 30, 23, tzinfo=UTC)  # CET after the 25th
    assert starts[-1] + timedelta(hours=24) == period.end
