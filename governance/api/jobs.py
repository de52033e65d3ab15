"""What HTTP reads of the daemon's jobs, for /healthz and /metrics: ``governance run`` hands the
API its registry (``governance.daemon.jobstate.JobRegistry``), seen through these protocols so
that the API never imports the daemon above it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class JobReading(Protocol):
    """One job's state, as /metrics reports it."""

    @property
    def name(self) -> str: ...
    @property
    def running(self) -> bool: ...
    @property
    def last_success(self) -> datetime | None: ...
    @property
    def last_duration(self) -> float | None: ...
    @property
    def runs(self) -> int: ...
    @property
    def failures(self) -> int: ...


class JobsView(Protocol):
    """This process's role and its jobs' states."""

    @property
    def role(self) -> str: ...
    def snapshot(self) -> Sequence[JobReading]: ...
    def to_json(self) -> dict[str, Any]: ...
