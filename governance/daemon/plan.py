"""Which jobs the daemon runs, on which triggers: the plan ``Worker`` schedules, rebuilt from
each config so that a reload reschedules exactly the jobs whose timing changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from governance.config import Config
from governance.daemon import jobs as worker_jobs
from governance.daemon.jobs import Work
from governance.domain.periods import period_containing


@dataclass(frozen=True)
class Schedule:
    """The fixed intervals (sources bring their own ``every``); tests shorten them."""

    evaluate_every: timedelta = timedelta(minutes=15)
    deliver_every: timedelta = timedelta(seconds=30)
    stale_every: timedelta = timedelta(minutes=1)
    # A job the database refused (down, or SQLite locked by another writer) runs again this
    # soon, rather than at its next turn (up to 15 minutes for the evaluation).
    retry_after: timedelta = timedelta(seconds=10)


class PeriodEndTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 is untyped
    """Fires at the end of each period of ``timezone``: the first instant of the next one."""

    __slots__ = ("timezone",)

    def __init__(self, timezone: str) -> None:
        self.timezone = timezone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = max(now, previous_fire_time) if previous_fire_time is not None else now
        return period_containing(after, self.timezone).end

    def __str__(self) -> str:
        return f"period end ({self.timezone})"


@dataclass(frozen=True)
class JobSpec:
    name: str
    work: Work
    trigger: BaseTrigger
    signature: tuple[Any, ...]  # what the trigger depends on: a change reschedules the job
    at_start: bool  # run once as soon as the scheduler starts
    # A run later than this is dropped (the next is due soon): with coalescing, a run is only
    # that late when the process was stalled for a whole interval.
    grace: int


def job_specs(config: Config, schedule: Schedule) -> dict[str, JobSpec]:
    """The jobs ``config`` calls for."""

    def every(name: str, interval: timedelta, work: Work, at_start: bool = True) -> JobSpec:
        trigger = IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC)
        grace = max(int(interval.total_seconds()), 30)
        return JobSpec(name, work, trigger, ("every", interval), at_start, grace)

    specs = [
        every(f"ingest:{s.name}", s.every, worker_jobs.ingest_source(s.name))
        for s in config.sources
    ]
    fastest = min((s.every for s in config.sources), default=schedule.stale_every)
    timezone = config.budget.timezone
    specs += [
        every("evaluate", schedule.evaluate_every, worker_jobs.evaluate),
        every("deliver", schedule.deliver_every, worker_jobs.deliver),
        every("stale", min(schedule.stale_every, fastest), worker_jobs.check_stale, False),
        JobSpec(
            "rollover", worker_jobs.rollover, PeriodEndTrigger(timezone), (timezone,), False, 3600
        ),
    ]
    return {spec.name: spec for spec in specs}
