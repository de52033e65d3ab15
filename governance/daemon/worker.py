"""The daemon's scheduled jobs, on APScheduler 3 (``BackgroundScheduler``, in memory).

- ``ingest:NAME`` per ``[[sources]]`` entry, every ``every``: its files, or its API, read once;
- ``evaluate`` every 15 minutes, and woken after an ingest that added rows and at rollover;
- ``rollover`` at each period's end (``PeriodEndTrigger`` re-arms itself for the next);
- ``deliver`` every 30 s, and woken after an evaluation or a stale alert;
- ``stale`` every minute (sooner for faster sources): a stale source's alert, once per episode.

No job overlaps itself (``max_instances=1``), missed runs coalesce into one, and a run at most
one interval late still runs. A woken job that is running runs once more when it ends, so rows
added during an evaluation are never left out of the next. A job a reload removes runs no more;
a run of it under way ends and is then forgotten (``/healthz`` lists only planned jobs). A
failing run (database down, a source unreachable) is logged and recorded in the
``JobRegistry``; the next run tries again.
Each unit of work commits as it goes (ingest batches with their cursors, an evaluation in one
transaction, alerts claimed with a lease), so a process killed mid-job loses nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from governance.config import Config
from governance.context import Governance
from governance.daemon.jobs import Work
from governance.daemon.jobstate import JobRegistry
from governance.daemon.plan import JobSpec, Schedule, job_specs
from governance.exceptions import DatabaseUnavailable, GovernanceError

log = logging.getLogger("governance.worker")  # the name log lines have always carried

MAX_THREADS = 8


class Worker:
    """The scheduler and its jobs for ``app``, recording each run in ``jobs``."""

    def __init__(self, app: Governance, jobs: JobRegistry, schedule: Schedule | None = None):
        self.app = app
        self.jobs = jobs
        self.schedule = schedule or Schedule()
        self._scheduler: BackgroundScheduler | None = None
        self._specs: dict[str, JobSpec] = {}
        self._lock = threading.Lock()
        self._busy: set[str] = set()  # running, or woken and about to run
        self._wanted: set[str] = set()  # woken while busy: run once more
        self._running = 0  # runs under way, which stop() waits for
        self._stopped = False  # runs still queued when stop() began are skipped
        self._removed: set[str] = set()  # removed by a reload: a run under way is then forgotten
        self._idle = threading.Condition(self._lock)

    def start(self) -> None:
        # "skipped: maximum number of running instances" is the design (coalescing), not news.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
        # SQLite has one writer, and a transaction that read before another committed cannot
        # write at all ("database is locked" at once, whatever the timeout): its jobs take turns.
        threads = 1 if self.app.engine.dialect.name == "sqlite" else MAX_THREADS
        self._stopped = False
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(threads)},
            job_defaults={"max_instances": 1, "coalesce": True},
        )
        self.apply(self.app.config)
        self._scheduler.start()
        for name in self._specs:
            self._note_next_run(name)
        log.info("scheduler started", extra={"jobs": ",".join(sorted(self._specs))})

    def stop(self, wait: bool = True) -> None:
        """No new runs; with ``wait``, the runs under way finish first."""
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
            self._stopped = True
        if scheduler is None:
            return
        # Not APScheduler's own wait: it holds the scheduler's locks while it waits, and a run
        # ending then (rescheduling itself, waking another job) would wait for them forever.
        scheduler.shutdown(wait=False)
        if wait:
            with self._idle:
                self._idle.wait_for(lambda: self._running == 0)
        for name in self._specs:
            self.jobs.scheduled(name, None)
        log.info("scheduler stopped")

    def apply(self, config: Config) -> list[str]:
        """Schedule the jobs ``config`` calls for: add new ones, reschedule those whose timing
        changed, remove the others. Returns what changed, in words."""
        scheduler = self._scheduler
        assert scheduler is not None, "start() first"
        wanted = job_specs(config, self.schedule)
        changes = []
        for name in sorted(set(self._specs) - set(wanted)):
            with contextlib.suppress(JobLookupError):  # it ran once and is gone
                scheduler.remove_job(name)
            with self._lock:
                self._removed.add(name)
            self.jobs.forget(name)
            changes.append(f"removed {name}")
        for name, spec in wanted.items():
            old = self._specs.get(name)
            if old is not None and old.signature == spec.signature:
                continue
            with self._lock:
                self._removed.discard(name)
            scheduler.add_job(
                self._runner(name, spec.work),
                spec.trigger,
                id=name,
                name=name,
                replace_existing=True,
                misfire_grace_time=spec.grace,
                **({"next_run_time": datetime.now(UTC)} if spec.at_start else {}),
            )
            changes.append(f"{'added' if old is None else 'rescheduled'} {name}")
        self._specs = wanted
        if scheduler.running:
            for name in wanted:
                self._note_next_run(name)
        return changes

    def wake(self, name: str) -> None:
        """Run job ``name`` now, or once more after the run under way."""
        with self._lock:
            self._wanted.add(name)
            if name in self._busy:
                return
            self._busy.add(name)
        scheduler = self._scheduler
        try:
            if scheduler is None:
                raise JobLookupError(name)
            scheduler.modify_job(name, next_run_time=datetime.now(UTC))
        except JobLookupError:
            with self._lock:
                self._busy.discard(name)

    def _runner(self, name: str, work: Work) -> Callable[[], None]:
        def run() -> None:
            with self._lock:
                if self._stopped or name in self._removed:  # queued before stop() or a reload
                    return
                self._running += 1
                self._busy.add(name)
                self._wanted.discard(name)
            try:
                while True:
                    self._once(name, work)
                    with self._lock:
                        if name not in self._wanted or self._stopped or name in self._removed:
                            return
                        self._wanted.discard(name)
            finally:
                with self._lock:
                    if name in self._removed:  # its end re-recorded it: /healthz lists it no more
                        self.jobs.forget(name)
                    self._busy.discard(name)
                    self._running -= 1
                    self._idle.notify_all()

        return run

    def _once(self, name: str, work: Work) -> None:
        # A snapshot: one config for the whole run, even if SIGHUP swaps it meanwhile.
        app = dataclasses.replace(self.app)
        self.jobs.started(name, app.clock())
        error: str | None = None
        crashed = False
        try:
            error = work(app, self)
        except DatabaseUnavailable as exc:  # transient: tried again soon
            error = str(exc)
            self._retry_soon(name)
        except GovernanceError as exc:  # expected failures: one line, retried next run
            error = str(exc)
            if getattr(exc.__cause__, "connection_invalidated", False):  # writes refused
                self._retry_soon(name)
        except Exception as exc:  # a bug or an untranslated error: never let it stop the daemon
            error, crashed = f"{type(exc).__name__}: {exc}", True
            log.exception("job %s failed: %s", name, error, extra={"job": name})
        if error is not None and not crashed:
            log.warning("job %s failed: %s", name, error, extra={"job": name})
        self.jobs.finished(name, app.clock(), error)
        self._note_next_run(name)

    def _retry_soon(self, name: str) -> None:
        """Bring job ``name``'s next run forward to ``retry_after`` from now."""
        scheduler = self._scheduler
        job = scheduler.get_job(name) if scheduler is not None else None
        if scheduler is None or job is None:
            return
        soon = datetime.now(UTC) + self.schedule.retry_after
        if job.next_run_time is None or job.next_run_time > soon:
            with contextlib.suppress(JobLookupError):  # removed by a reload meanwhile
                scheduler.modify_job(name, next_run_time=soon)

    def _note_next_run(self, name: str) -> None:
        scheduler = self._scheduler
        job = scheduler.get_job(name) if scheduler is not None else None
        self.jobs.scheduled(name, getattr(job, "next_run_time", None))
