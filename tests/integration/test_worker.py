"""The daemon's jobs on a real ledger (SQLite and PostgreSQL): what each job does, how jobs
wake one another, and the scheduler running them."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from apscheduler.schedulers.base import STATE_STOPPED
from sqlalchemy import Table, func, select

from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.daemon import jobs as worker_jobs
from governance.daemon.jobstate import JobRegistry
from governance.daemon.plan import Schedule
from governance.daemon.worker import Worker
from governance.exceptions import DatabaseUnavailable
from governance.jsonout import rfc3339
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.tables import evaluations, ingest_runs, ledger
from tests.integration.alerting import FakeClock, outbox_rows, slack_app
from tests.integration.conftest import AppFactory
from tests.standins.slack_api import SlackApi

FIXTURE = Path(__file__).parent.parent / "fixtures" / "litellm" / "spend_logs.jsonl"


def source(folder: Path, every: str = "5m", name: str = "gw") -> str:
    return f"""
[[sources]]
name = "{name}"
format = "litellm"
path = "{folder}/*.jsonl"
every = "{every}"
"""


class Waker:
    def __init__(self) -> None:
        self.woken: list[str] = []

    def wake(self, name: str) -> None:
        self.woken.append(name)


def count(app: Governance, table: Table) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def evaluated_after_data(app: Governance) -> bool:
    """Whether an evaluation counted the rows of the first ingest run that read any."""
    with app.engine.connect() as conn:
        data = conn.execute(
            select(func.min(ingest_runs.c.finished_at)).where(ingest_runs.c.read > 0)
        ).scalar()
        evaluated = conn.execute(select(func.max(evaluations.c.as_of))).scalar()
    return data is not None and evaluated is not None and evaluated >= data


def test_an_ingest_that_adds_rows_wakes_the_evaluation(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(source(tmp_path))
    waker = Waker()
    ingest = worker_jobs.ingest_source("gw")
    assert ingest(app, waker) is None  # no file yet: a run that read nothing
    assert waker.woken == []
    shutil.copy(FIXTURE, tmp_path / "a.jsonl")
    assert ingest(app, waker) is None
    assert waker.woken == ["evaluate"] and count(app, ledger) > 0
    assert ingest(app, waker) is None  # read again from its cursor: nothing new
    assert waker.woken == ["evaluate"]
    assert worker_jobs.evaluate(app, waker) is None
    assert waker.woken == ["evaluate", "deliver"] and count(app, evaluations) == 1


def test_a_pull_that_fails_is_an_error_to_record(make_app: AppFactory) -> None:
    app = make_app("""
[[sources]]
name = "billing"
format = "openai-costs"
url = "http://127.0.0.1:9/v1/organization/costs"
api_key_env = "OPENAI_ADMIN_KEY"
options = { attempts = 1 }
""")
    app = dataclasses.replace(app, environ={"OPENAI_ADMIN_KEY": "sk-admin-0123456789"})
    error = worker_jobs.ingest_source("billing")(app, Waker())
    assert error is not None and error.startswith("billing: ")


def test_a_stale_source_alerts_once_and_is_delivered(
    make_app: AppFactory, slack: SlackApi, tmp_path: Path
) -> None:
    app = slack_app(make_app, slack, extra=source(tmp_path, "10m") + source(tmp_path, "1h", "b"))
    now = app.clock()
    with app.engine.begin() as conn:
        for name, ago, read in (("gw", 40, 0), ("gw", 45, 5), ("b", 50, 0)):
            at = now - timedelta(minutes=ago)
            conn.execute(ingest_runs.insert().values(
                source=name, started_at=at, finished_at=at, status="ok", read=read, added=read,
                duplicates=0, quarantined=0, cost=Decimal(0)))  # fmt: skip
    waker = Waker()
    worker_jobs.check_stale(app, waker)  # gw: data 45 min ago > 3 x 10 min; b: 50 min < 3 h
    worker_jobs.check_stale(app, waker)
    assert waker.woken == ["deliver"]
    worker_jobs.deliver(app, waker)
    assert [t.splitlines()[0] for t in slack.texts()] == ["Source gw is stale"]
    assert "has produced no data since 2026-11-24 11:15 UTC" in slack.texts()[0]


def test_at_rollover_the_new_period_is_evaluated_and_the_last_one_summed_up(
    make_app: AppFactory,
) -> None:
    clock = FakeClock(datetime(2026, 11, 30, 23, 50, tzinfo=UTC))
    app = dataclasses.replace(make_app(), clock=clock)
    waker = Waker()
    worker_jobs.evaluate(app, waker)
    clock.now = datetime(2026, 12, 1, tzinfo=UTC)
    worker_jobs.rollover(app, waker)
    assert waker.woken == ["deliver", "evaluate"]
    worker_jobs.evaluate(app, waker)
    assert [row.kind for row in outbox_rows(app)] == ["period_closed"]


def test_a_failing_job_is_recorded_and_a_woken_running_job_runs_once_more(
    make_app: AppFactory,
) -> None:
    jobs = JobRegistry()
    worker = Worker(make_app(), jobs)
    calls: list[str] = []

    def work(app: Governance, waker: worker_jobs.Waker) -> str | None:
        calls.append("run")
        if len(calls) == 1:
            waker.wake("job")  # arrives while the job runs: it runs once more
            raise DatabaseUnavailable("the database did not answer")
        if len(calls) == 2:
            raise KeyError("a bug")
        return None

    worker._runner("job", work)()
    assert calls == ["run", "run"]
    (state,) = jobs.snapshot()
    assert (state.runs, state.failures, state.last_error) == (2, 2, "KeyError: 'a bug'")
    worker._runner("job", work)()
    assert jobs.snapshot()[0].last_outcome == "ok"


def test_the_scheduler_ingests_evaluates_and_reschedules_on_reload(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = dataclasses.replace(make_app(source(tmp_path, "1s")), clock=lambda: datetime.now(UTC))
    jobs = JobRegistry()
    worker = Worker(app, jobs, Schedule(deliver_every=timedelta(seconds=1)))
    worker.start()
    try:
        shutil.copy(FIXTURE, tmp_path / "a.jsonl")
        deadline = time.monotonic() + 20
        while not evaluated_after_data(app):  # the ingest that read the file woke an evaluation
            assert time.monotonic() < deadline, json.dumps(jobs.to_json(), indent=1)
            time.sleep(0.05)
        states = jobs.to_json()
        assert set(states) == {"ingest:gw", "evaluate", "deliver", "stale", "rollover"}
        assert states["rollover"]["next_run"].endswith("-01T00:00:00Z")  # the next period's start
        assert states["ingest:gw"]["failures"] == 0 and states["ingest:gw"]["runs"] >= 1
        text = starter_config_text() + source(tmp_path, "2s") + source(tmp_path, "1h", "b")
        changes = worker.apply(parse_config(text, "t.toml", tmp_path))
        # The stale check runs as often as the fastest source (at most every minute).
        assert changes == ["rescheduled ingest:gw", "added ingest:b", "rescheduled stale"]
        assert worker.apply(parse_config(starter_config_text(), "t.toml", tmp_path)) == [
            "removed ingest:b",
            "removed ingest:gw",
            "rescheduled stale",
        ]
    finally:
        worker.stop()
    assert "ingest:gw" not in jobs.to_json()  # nor brought back by a run under way at the reload
    assert all(state.next_run is None for state in jobs.snapshot())


def test_a_run_under_way_when_a_reload_removes_its_job_is_forgotten_when_it_ends(
    make_app: AppFactory, tmp_path: Path
) -> None:
    jobs = JobRegistry()
    worker = Worker(make_app(source(tmp_path, "1h")), jobs)
    worker.start()
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def held(app: Governance, waker: worker_jobs.Waker) -> str | None:
        calls.append("run")
        started.set()
        release.wait(60)
        return None

    try:
        wait_for(lambda: jobs.to_json().get("ingest:gw", {}).get("last_outcome") == "ok")
        run = threading.Thread(target=worker._runner("ingest:gw", held), daemon=True)
        run.start()
        assert started.wait(60)
        changes = worker.apply(parse_config(starter_config_text(), "t.toml", tmp_path))
        assert changes == ["removed ingest:gw"]
        release.set()
        run.join(60)
        assert "ingest:gw" not in jobs.to_json()  # not brought back by the run's end
        worker._runner("ingest:gw", held)()  # one queued before the reload: skipped
        assert calls == ["run"] and "ingest:gw" not in jobs.to_json()
    finally:
        release.set()
        worker.stop()


@pytest.fixture
def slack() -> Iterator[SlackApi]:
    with SlackApi().running() as api:
        yield api


def test_a_job_the_database_refused_runs_again_soon(tmp_path: Path) -> None:
    """SQLite: another process holds the write lock (a `governance ingest` by hand, say), so
    the evaluation fails at once with "database is locked"; it runs again ``retry_after``
    later, not at its next quarter hour."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate.upgrade(engine)
    config = parse_config(starter_config_text(), "t.toml", tmp_path)
    app = Governance(config, tmp_path / "t.toml", {}, lambda: datetime.now(UTC), engine)
    jobs = JobRegistry()
    worker = Worker(app, jobs, Schedule(retry_after=timedelta(seconds=1)))
    other = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other writer
    worker.start()
    try:
        wait_for(lambda: jobs.to_json().get("evaluate", {}).get("failures"))
        assert "locked" in jobs.to_json()["evaluate"]["last_error"]
        assert count(app, evaluations) == 0
        other.execute("COMMIT")
        wait_for(lambda: count(app, evaluations) == 1)
        state = jobs.to_json()["evaluate"]
        assert state["last_outcome"] == "ok"
        assert state["next_run"] > rfc3339(datetime.now(UTC) + timedelta(minutes=14))
    finally:
        worker.stop()
        other.close()
        engine.dispose()


def wait_for(check: Callable[[], object], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_stop_waits_for_a_run_that_reaches_the_scheduler_as_it_ends(make_app: AppFactory) -> None:
    """A run ending while stop() waits for it reschedules itself, and may wake another job: it
    must not wait for locks the stopping scheduler holds (SIGTERM would hang the daemon)."""
    worker = Worker(make_app(), JobRegistry())
    worker.start()
    scheduler = worker._scheduler
    assert scheduler is not None
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def held(app: Governance, waker: worker_jobs.Waker) -> str | None:
        started.set()
        release.wait(60)
        scheduler.get_job("evaluate")  # what the end of a run does: ask the scheduler
        finished.set()
        return None

    # Recurring, as the daemon's jobs are: APScheduler removes a one-shot job after handing it
    # over, and raises in its own thread if stop() came first.
    begun = datetime.now(UTC)
    scheduler.add_job(
        worker._runner("held", held),
        "interval",
        hours=1,
        id="held",
        next_run_time=begun,
        misfire_grace_time=None,  # however slow the machine, it runs
    )
    stopping = threading.Thread(target=worker.stop, daemon=True)
    try:
        assert started.wait(60)  # after the jobs queued at start (SQLite: one thread)
        wait_for(lambda: scheduler.get_job("held").next_run_time > begun)  # handed over
        stopping.start()
        wait_for(lambda: scheduler.state == STATE_STOPPED)  # stop() is under way
        assert stopping.is_alive()  # and waits for the run
        release.set()
        stopping.join(10)
        assert not stopping.is_alive(), "stop() and the run it waits for wait on each other"
        assert finished.is_set()
    finally:
        release.set()
        worker.stop()
