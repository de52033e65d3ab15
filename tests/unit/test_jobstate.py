"""The in-memory record of the daemon's jobs that /healthz and /metrics read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from governance.daemon.jobstate import JobRegistry

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_runs_failures_and_the_last_success_are_kept() -> None:
    ticks = Ticks()
    jobs = JobRegistry(monotonic=ticks)
    jobs.started("ingest:gw", AT)
    assert jobs.snapshot()[0].running
    ticks.now += 1.5
    jobs.finished("ingest:gw", AT + timedelta(seconds=2))
    jobs.started("ingest:gw", AT + timedelta(minutes=5))
    jobs.finished("ingest:gw", AT + timedelta(minutes=5, seconds=1), "database is down")
    jobs.scheduled("ingest:gw", AT + timedelta(minutes=10))
    (state,) = jobs.snapshot()
    assert (state.runs, state.failures, state.running) == (2, 1, False)
    assert state.last_outcome == "failed" and state.last_error == "database is down"
    assert state.last_success == AT + timedelta(seconds=2)
    assert jobs.to_json() == {
        "ingest:gw": {
            "running": False,
            "last_start": "2026-11-24T12:05:00Z",
            "last_finish": "2026-11-24T12:05:01Z",
            "last_outcome": "failed",
            "last_error": "database is down",
            "last_duration_seconds": 0.0,
            "last_success": "2026-11-24T12:00:02Z",
            "runs": 2,
            "failures": 1,
            "next_run": "2026-11-24T12:10:00Z",
        }
    }


def test_a_first_run_has_its_duration_and_a_removed_job_is_forgotten() -> None:
    ticks = Ticks()
    jobs = JobRegistry(monotonic=ticks)
    jobs.started("evaluate", AT)
    ticks.now += 0.25
    jobs.finished("evaluate", AT)
    assert jobs.snapshot()[0].last_duration == 0.25
    assert jobs.role == "standby"
    jobs.forget("evaluate")
    assert jobs.snapshot() == []
