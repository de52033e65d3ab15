"""What ``/healthz`` and ``/metrics`` read from the ledger, loaded at most every few seconds.

Probes and scrapes come often and from many places; a ``Snapshot`` answers them from the last
reading while it is fresh, and from the last good one while the database is down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from governance.context import Governance
from governance.domain.staleness import SourceActivity
from governance.exceptions import GovernanceError
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models.sources import source_activity
from governance.ledger.tables import evaluations, quarantine, rollup_daily
from governance.services.reports import status_document

T = TypeVar("T")


class Snapshot(Generic[T]):
    """A value loaded at most every ``ttl`` seconds; the last good one is kept when a load
    fails. One load at a time: concurrent callers wait for it rather than each loading."""

    def __init__(
        self, load: Callable[[], T], ttl: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._value: T | None = None
        self._error: str | None = None
        self._loaded_at: float | None = None

    def get(self) -> tuple[T | None, str | None]:
        """The value (None if never loaded) and the error of the last load (None if it worked)."""
        with self._lock:
            now = self._monotonic()
            if self._loaded_at is None or now - self._loaded_at >= self._ttl:
                try:
                    self._value, self._error = self._load(), None
                except (GovernanceError, SQLAlchemyError) as exc:
                    self._error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._loaded_at = now  # a failed load is not retried on every request either
            return self._value, self._error


@dataclass(frozen=True)
class HealthReading:
    activity: dict[str, SourceActivity]
    last_evaluation: datetime | None

    @property
    def last_ingest(self) -> datetime | None:
        """When the last successful ingest run of any source ended."""
        return max((a.last_success for a in self.activity.values() if a.last_success), default=None)


def read_health(engine: Engine) -> HealthReading:
    """The ledger's freshness: last successful ingest per source, last evaluation."""
    with translate_db_errors(engine), engine.connect() as conn:
        activity = source_activity(conn)
        last = conn.execute(select(func.max(evaluations.c.evaluated_at))).scalar()
    return HealthReading(activity, last)


@dataclass(frozen=True)
class MetricsReading:
    at: datetime
    status: dict[str, Any]  # the `status --json` document of the current period
    quarantined: int
    unpriced: int
    runs: dict[str, datetime]


def read_metrics(governance: Governance) -> MetricsReading:
    """Everything ``/metrics`` exposes, read in one go."""
    now = governance.clock()
    status = status_document(governance.config, governance.engine, governance.period(), now)
    engine = governance.engine
    with translate_db_errors(engine), engine.connect() as conn:
        held = conn.execute(
            select(func.count()).select_from(quarantine).where(quarantine.c.status == "held")
        ).scalar()
        # The rollup keeps the count per day, so this does not scan the ledger.
        unpriced = conn.execute(
            select(func.coalesce(func.sum(rollup_daily.c.unpriced), 0))
        ).scalar()
        activity = source_activity(conn)
    runs = {name: a.last_success for name, a in activity.items() if a.last_success is not None}
    return MetricsReading(now, status, int(held or 0), int(unpriced or 0), runs)
