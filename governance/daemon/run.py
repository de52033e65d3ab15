"""``governance run``: the HTTP server (dashboard and API) and, while this process is the
leader, the scheduler, in one process, supervised by the main thread.

Signal handlers only note the signal; the main thread, woken through ``set_wakeup_fd``, acts:
- SIGTERM, SIGINT: no new job runs, the runs under way finish, HTTP stops, exit 0;
- SIGHUP: the config file is read again; a valid one replaces the running config (jobs whose
  timing changed are rescheduled), an invalid one is refused with each problem logged, and one
  that cannot be read for any other reason is refused in one line: the running config stays.
Every few seconds it also tries the scheduler lock (a standby) or checks it (the leader).
Each of these is one log line; "serving on URL" and "role leader|standby" are what a test or
a supervisor waits for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import time
from types import FrameType

from governance.api import Server, freeze_start_up
from governance.api.app import ApiApp
from governance.bootstrap import http_app
from governance.config import load_config
from governance.config.secrets import named_secrets
from governance.context import Governance
from governance.daemon.jobstate import JobRegistry, Role
from governance.daemon.leader import Leadership, leadership_for
from governance.daemon.logs import RedactSecrets
from governance.daemon.plan import Schedule
from governance.daemon.worker import Worker
from governance.exceptions import ConfigError, GovernanceError, UsageError
from governance.ledger.errors import translate_db_errors
from governance.ledger.run_leases import mark_interrupted

log = logging.getLogger("governance.daemon")

POLL_SECONDS = 5.0  # a standby tries the lock this often: takeover well within 30 s
HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Daemon:
    def __init__(
        self,
        app: Governance,
        redactor: RedactSecrets | None = None,
        *,
        schedule: Schedule | None = None,
        poll_seconds: float = POLL_SECONDS,
        leadership: Leadership | None = None,
    ) -> None:
        self.app = app
        self.redactor = redactor
        self.jobs = JobRegistry()
        self.schedule = schedule
        self.poll_seconds = poll_seconds
        self.leadership = leadership or leadership_for(app.engine)
        self.worker: Worker | None = None
        self.api: ApiApp | None = None
        self._signals: list[int] = []
        self._announced: Role | None = None

    def run(self, host: str, port: int, threads: int) -> None:
        """Serve and schedule until SIGTERM or SIGINT."""
        self.api = api = http_app(self.app, jobs=self.jobs)
        try:
            server = Server(api, host, port, threads)
        except UsageError:  # the port is in use: said in one line by the CLI
            api.close()
            raise
        wake_reader, wake_writer = socket.socketpair()
        for end in (wake_reader, wake_writer):
            end.setblocking(False)
        previous_fd = signal.set_wakeup_fd(wake_writer.fileno())
        previous = {sig: signal.signal(sig, self._on_signal) for sig in HANDLED}
        freeze_start_up()
        server.start()
        url = server.url
        log.info("serving on %s with %d threads", url, threads, extra={"pid": os.getpid()})
        log.info(f"dashboard {url}/  directives {url}/directives  metrics {url}/metrics"
                 f"  health {url}/healthz")  # fmt: skip
        try:
            self._loop(wake_reader)
        finally:
            self._step_down("stopping")
            self.leadership.release()
            server.stop()
            api.close()
            signal.set_wakeup_fd(previous_fd)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            wake_reader.close()
            wake_writer.close()
        log.info("stopped")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals.append(signum)  # the main loop acts on it; nothing else happens here

    def _loop(self, wake: socket.socket) -> None:
        next_check = 0.0
        while True:
            while self._signals:
                signum = self._signals.pop(0)
                name = signal.Signals(signum).name
                if signum == signal.SIGHUP:
                    log.info("%s received: reloading the config", name)
                    self.reload()
                    continue
                log.info("%s received: stopping", name)
                return
            if time.monotonic() >= next_check:
                self.supervise()
                next_check = time.monotonic() + self.poll_seconds
            timeout = max(next_check - time.monotonic(), 0.0)
            ready, _, _ = select.select([wake], [], [], timeout)
            if ready:
                with contextlib.suppress(BlockingIOError):
                    wake.recv(64)

    def supervise(self) -> None:
        """Take the scheduler lock if free; give the scheduler up if the lock is lost."""
        if self.worker is None:
            if self.leadership.acquire():
                self._mark_interrupted()
                self.worker = Worker(self.app, self.jobs, self.schedule)
                self.worker.start()
                self._announce("leader", "holds the scheduler lock")
            else:
                problem = self.leadership.last_error  # the database did not answer
                self._announce("standby", problem or "another process holds the scheduler lock")
        elif not self.leadership.held():
            self._step_down("lost the scheduler lock")
            self._announce("standby", "lost the scheduler lock")

    def _mark_interrupted(self) -> None:
        """Runs left ``running`` by a process that is gone are ``interrupted`` (never one a
        live process is doing); the leader does it, once it holds the lock."""
        try:
            with translate_db_errors(self.app.engine):
                ids = mark_interrupted(self.app.engine, self.app.clock())
        except GovernanceError as exc:
            log.warning("could not mark interrupted runs: %s", exc)
            return
        if ids:
            shown = ", ".join(str(run_id) for run_id in ids)
            log.info("marked %d ingest run(s) interrupted", len(ids), extra={"runs": shown})

    def _step_down(self, reason: str) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            log.info("waiting for the jobs under way", extra={"reason": reason})
            worker.stop(wait=True)

    def _announce(self, role: Role, reason: str) -> None:
        """Log the role when it changes (and the first time)."""
        if self._announced != role:
            self._announced = self.jobs.role = role
            log.info("role %s", role, extra={"role": role, "reason": reason})

    def reload(self) -> None:
        """Read the config file again; use it if valid, else keep the running one."""
        app = self.app
        try:
            config = load_config(app.config_path)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("config problem: %s", problem, extra={"key": problem.path})
            log.error(
                "config reload refused: %d problem(s) in %s; the running config is kept",
                len(exc.problems),
                exc.source,
            )
            return
        except Exception as exc:  # anything else (a bug, a library's error): keep running
            reason = str(exc).splitlines()[0] if str(exc) else ""
            log.error(
                "config reload refused: %s: %s; the running config is kept",
                type(exc).__name__,
                reason or "no message",
                extra={"config": str(app.config_path)},
            )
            return
        old = app.config
        for section, needs in (("database", "the ledger"), ("server", "the HTTP server")):
            if getattr(config, section) != getattr(old, section):
                log.warning(f"[{section}] changed: restart to apply it to {needs}")
        # Kept as running: the engine and the listening socket were built from them.
        config = config.model_copy(update={"database": old.database, "server": old.server})
        app.config = config
        if self.api is not None:
            self.api.cache.config = config
        if self.redactor is not None:
            self.redactor.update(named_secrets(config, app.environ))
        changes = self.worker.apply(config) if self.worker is not None else []
        log.info(
            "config reloaded",
            extra={"changes": ", ".join(changes) or "none", "config_hash": config.config_hash()},
        )
