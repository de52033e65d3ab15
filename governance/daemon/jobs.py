"""What each of the daemon's jobs does: the services the CLI calls (``ingest``, ``pull``,
``run_evaluation``, the alert sender), on the snapshot of the application the worker hands it,
with one log line for each run that did something.

A job returns an error to record (a source that failed its pull) or raises a GovernanceError
(the database is down); the worker logs either and retries at the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from governance.alerts.enqueue import enqueue_stale_source
from governance.alerts.service import make_sender
from governance.context import Governance
from governance.domain.money import money_str
from governance.domain.staleness import stale_sources
from governance.ingest.pull import failures, pull
from governance.ingest.service import ingest
from governance.ingest.writer import Counts
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models.sources import source_activity
from governance.services.evaluate import run_evaluation

log = logging.getLogger("governance.worker")


class Waker(Protocol):
    def wake(self, name: str) -> None:
        """Run job ``name`` now, or once more after the run under way."""


Work = Callable[[Governance, Waker], str | None]


def ingest_source(name: str) -> Work:
    """The job reading source ``name``: its files (``path``) or its API (``url``)."""

    def work(app: Governance, worker: Waker) -> str | None:
        source = app.source(name)
        if source.url is not None:
            reports = pull(app, name)
            errors = failures(reports)
        else:
            reports = ingest(app, [], source_name=name)
            errors = []
        total = Counts()
        for report in reports:
            total += report.totals
        if total.read:
            log.info(
                "ingested %s: %d read, %d added",
                name,
                total.read,
                total.added,
                extra={
                    "source": name,
                    "read": total.read,
                    "added": total.added,
                    "duplicates": total.duplicates,
                    "quarantined": total.quarantined,
                    "cost": money_str(total.cost),
                },
            )
        if total.added:
            worker.wake("evaluate")  # new rows: evaluate them now, not at the next quarter hour
        return "; ".join(errors) or None

    return work


def evaluate(app: Governance, worker: Waker) -> str | None:
    """Evaluate now; then deliver the alerts the evaluation wrote."""
    now = app.clock()
    result = run_evaluation(app.config, app.engine, now, now)
    log.info(
        "evaluated %s",
        result.period.label,
        extra={
            "evaluation": result.id,
            "crossed": len(result.crossed),
            "directives": len(result.directives),
            "version": result.version,
        },
    )
    worker.wake("deliver")
    return None


def deliver(app: Governance, _worker: Waker) -> str | None:
    """One pass over the alerts that are due; Slack's own errors stay on the alerts."""
    report = make_sender(app).deliver_due()
    if report.sent or report.retrying or report.failed:
        log.info(
            "alerts: %d sent, %d to retry, %d failed",
            report.sent,
            report.retrying,
            report.failed,
            extra={"pending": report.pending},
        )
    return None


def check_stale(app: Governance, worker: Waker) -> str | None:
    """Alert once per episode for each source that has produced no data for too long."""
    now = app.clock()
    engine = app.engine
    with translate_db_errors(engine), engine.begin() as conn:
        activity = source_activity(conn)
        stale = stale_sources(app.config.source_intervals(), activity, now)
        alerted = [
            name
            for name in stale
            if enqueue_stale_source(
                conn, name, activity[name].last_data if name in activity else None, now
            )
        ]
    for name in alerted:
        seen = activity.get(name)
        last = seen.last_data if seen is not None else None
        log.warning(
            "source %s is stale: no data since %s",
            name,
            "ever" if last is None else last.isoformat(),
            extra={"source": name},
        )
    if alerted:
        worker.wake("deliver")
    return None


def rollover(app: Governance, worker: Waker) -> str | None:
    """A new period began: evaluate it now (which posts the last period's summary)."""
    log.info("period %s began", app.period().label)
    worker.wake("evaluate")
    return None
