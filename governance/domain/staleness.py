"""When a source is stale: it has produced no data for ``STALE_INTERVALS`` of its interval.
``/healthz``, the stale-source alert and the dashboard's Data page all judge by this rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

# A source is stale when it has produced no data for this many of its intervals.
STALE_INTERVALS: Final = 3


@dataclass(frozen=True)
class SourceActivity:
    """A source's ingest runs in brief: when the first began, when the last successful one
    ended, and when the last successful one that read records (produced data) ended."""

    first_run: datetime
    last_success: datetime | None
    last_data: datetime | None

    @property
    def quiet_since(self) -> datetime:
        """Since when the source has produced no data: its last data, else its first run."""
        return self.last_data or self.first_run


def stale_sources(
    every: Mapping[str, timedelta], activity: Mapping[str, SourceActivity], now: datetime
) -> list[str]:
    """The sources (name -> how often each is read) that have produced no data (no
    successful run that read records) for STALE_INTERVALS of their interval: counted from
    their last data, or from their first run if they never produced any. A source that never
    ran is stale: nothing reads it."""
    return [
        name
        for name, interval in every.items()
        if (seen := activity.get(name)) is None
        or now - seen.quiet_since > STALE_INTERVALS * interval
    ]
