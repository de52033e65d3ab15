"""Delivering the outbox: claim each due alert, post it, record the outcome at once.

A temporary error (Slack unreachable, 5xx, 429) puts the alert back with exponential backoff
and jitter, or after ``Retry-After``, and ends the pass: Slack is not asked again sooner. A
permanent error is recorded on the alert, and on the channel or destination it blocks, until
the channel's fingerprint (its config or secret) changes. Nothing is dropped.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from governance.alerts import outbox
from governance.alerts.base import Channel, DeliveryError
from governance.alerts.facts import from_json
from governance.alerts.messages import render
from governance.ledger.errors import translate_db_errors

log = logging.getLogger(__name__)

# Longer than any one call can take (the Slack client's timeout is 10 s), so that a live
# sender's lease never runs out under it.
LEASE = timedelta(seconds=120)
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds before attempt ``attempts + 1``: doubling from 30 s up to an hour, with half
    of it jittered so that replicas and restarts do not retry in step."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(attempts - 1, 0))
    return delay / 2 + rng() * delay / 2


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SendReport:
    """One pass over the outbox."""

    configured: bool = True
    sent: int = 0
    retrying: int = 0  # met a temporary error: due again later
    failed: int = 0  # met a permanent error in this pass
    pending: int = 0  # left pending after the pass
    blocked: dict[str, str] = field(default_factory=dict)  # target: the permanent error
    errors: list[str] = field(default_factory=list)  # this pass's errors, in words
    next_due: datetime | None = None  # when the next alert that is not blocked can be tried


@dataclass
class Sender:
    """Sends due alerts through ``channel`` (None: no channel configured, alerts wait)."""

    engine: Engine
    channel: Channel | None
    clock: Callable[[], datetime]
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random
    worker: str = field(default_factory=worker_id)
    lease: timedelta = LEASE

    def deliver_due(self) -> SendReport:
        """One pass: every due alert, once."""
        report = SendReport(configured=self.channel is not None)
        with translate_db_errors(self.engine):
            if self.channel is not None:
                self._pass(self.channel, report)
            with self.engine.connect() as conn:
                waiting = outbox.pending(conn)
                report.blocked = outbox.blocked(conn) if self.channel is not None else {}
        report.pending = len(waiting)
        if self.channel is not None:
            report.next_due = _next_due(self.channel, waiting, set(report.blocked))
        return report

    def drain(self, timeout: float) -> SendReport:
        """Passes until no deliverable alert is pending, or the next one is due beyond
        ``timeout`` seconds from now; waits between passes with ``sleep``."""
        deadline = self.clock() + timedelta(seconds=timeout)
        while True:
            report = self.deliver_due()
            if report.next_due is None or report.next_due > deadline:
                return report
            wait = (report.next_due - self.clock()).total_seconds()
            moved = report.sent or report.retrying or report.failed
            # A pass that moved nothing never spins: a lease may end just as it is read.
            self.sleep(max(wait, 0.0 if moved else 1.0))

    def _pass(self, channel: Channel, report: SendReport) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            outbox.reenable(conn, channel.fingerprint, now)
            blocked = set(outbox.blocked(conn))
            rows = outbox.due(conn, now)
        for row in rows:
            destination = channel.destination(row.category)
            if blocked & set(channel.targets(destination)):
                continue
            now = self.clock()
            with self.engine.begin() as conn:
                if not outbox.claim(conn, row.id, self.worker, now, self.lease):
                    continue  # another sender has it, or it was sent since we read it
            outcome = self._send(channel, row, destination)
            now = self.clock()
            with self.engine.begin() as conn:
                if outcome is None:
                    if not outbox.mark_sent(conn, row.id, self.worker, now, destination):
                        log.warning("alert %s was posted after its claim ran out", row.id)
                    report.sent += 1
                    continue
                report.errors.append(f"alert {row.id}: {outcome.reason}")
                if not outcome.permanent:
                    wait = outcome.retry_after
                    if wait is None:
                        wait = backoff(row.attempts + 1, self.rng)
                    at = now + timedelta(seconds=wait)
                    outbox.retry_later(conn, row.id, self.worker, outcome.reason, at)
                    report.retrying += 1
                    return  # Slack is down or busy: the rest waits too
                block = _blocks(channel, destination, outcome)
                outbox.mark_failed(
                    conn, row.id, self.worker, outcome.reason, channel.fingerprint, now, block
                )
                blocked.update(block)
                report.failed += 1

    def _send(self, channel: Channel, row: Any, destination: str) -> DeliveryError | None:
        try:
            message = render(from_json(row.facts), channel.dashboard_url)
        except ValueError as exc:  # a row this version cannot read: hold it, never drop it
            return DeliveryError(f"cannot build the message: {exc}", permanent=True)
        try:
            channel.send(message, destination, row.id)
        except DeliveryError as exc:
            kind = "permanent" if exc.permanent else "temporary"
            log.warning("alert %s to %s: %s error: %s", row.id, destination, kind, exc.reason)
            return exc
        log.info("alert %s (%s) sent to %s", row.id, row.kind, destination)
        return None


def _next_due(channel: Channel, waiting: list[Any], blocked: set[str]) -> datetime | None:
    times = [
        max(row.next_attempt_at, row.claimed_until or row.next_attempt_at)
        for row in waiting
        if not blocked & set(channel.targets(channel.destination(row.category)))
    ]
    return min(times, default=None)


def _blocks(channel: Channel, destination: str, error: DeliveryError) -> list[str]:
    whole, one = channel.targets(destination)
    return {"channel": [whole], "destination": [one], "message": []}[error.scope]
