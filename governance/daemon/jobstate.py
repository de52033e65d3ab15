"""What the daemon's scheduled jobs are doing, kept in memory for ``/healthz`` and ``/metrics``.

The worker records each run's start and end here; the API reads a consistent copy. Nothing
here touches the scheduler or the database, so the API can show it whether this process runs
the jobs (the leader) or waits to (a standby).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from governance.jsonout import rfc3339

Role = Literal["leader", "standby"]


@dataclass(frozen=True)
class JobState:
    """One job: its last run's start, end, outcome, error and duration, and its counts."""

    name: str
    running: bool = False
    last_start: datetime | None = None
    last_finish: datetime | None = None
    last_outcome: Literal["ok", "failed"] | None = None
    last_error: str | None = None
    last_duration: float | None = None  # seconds
    last_success: datetime | None = None
    runs: int = 0
    failures: int = 0
    next_run: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        def when(at: datetime | None) -> str | None:
            return None if at is None else rfc3339(at)

        return {
            "running": self.running,
            "last_start": when(self.last_start),
            "last_finish": when(self.last_finish),
            "last_outcome": self.last_outcome,
            "last_error": self.last_error,
            "last_duration_seconds": (
                None if self.last_duration is None else round(self.last_duration, 3)
            ),
            "last_success": when(self.last_success),
            "runs": self.runs,
            "failures": self.failures,
            "next_run": when(self.next_run),
        }


class JobRegistry:
    """The states of this process's jobs, and its role; safe to use from any thread."""

    def __init__(self, role: Role = "standby", monotonic: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._jobs: dict[str, JobState] = {}
        self._started: dict[str, float] = {}
        self._monotonic = monotonic
        self.role: Role = role

    def started(self, name: str, at: datetime) -> None:
        with self._lock:
            state = self._jobs.get(name) or JobState(name)
            self._jobs[name] = replace(state, running=True, last_start=at)
            self._started[name] = self._monotonic()

    def finished(self, name: str, at: datetime, error: str | None = None) -> None:
        """The run of ``name`` that started last has ended, with ``error`` if it failed."""
        with self._lock:
            state = self._jobs.get(name) or JobState(name)
            began = self._started.pop(name, None)
            self._jobs[name] = replace(
                state,
                running=False,
                last_finish=at,
                last_outcome="ok" if error is None else "failed",
                last_error=error,
                last_duration=None if began is None else self._monotonic() - began,
                last_success=at if error is None else state.last_success,
                runs=state.runs + 1,
                failures=state.failures + (error is not None),
            )

    def scheduled(self, name: str, next_run: datetime | None) -> None:
        """When ``name`` runs next (None: not scheduled in this process)."""
        with self._lock:
            state = self._jobs.get(name) or JobState(name)
            self._jobs[name] = replace(state, next_run=next_run)

    def forget(self, name: str) -> None:
        """``name`` is no longer a job (its source was removed from the config)."""
        with self._lock:
            self._jobs.pop(name, None)

    def snapshot(self) -> list[JobState]:
        """Every job's state, by name."""
        with self._lock:
            return [self._jobs[name] for name in sorted(self._jobs)]

    def to_json(self) -> dict[str, Any]:
        return {state.name: state.to_json() for state in self.snapshot()}
