"""`governance run` killed with SIGKILL inside each of its jobs, then started again: nothing
lost, nothing doubled. Inside an ingest (after some batches committed), inside an evaluation
(paused by a failpoint once it has written everything, uncommitted), and inside a delivery
(the Slack stand-in holds the post unanswered). On SQLite and on PostgreSQL."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from governance.ledger.tables import alert_outbox, crossings, evaluations, ingest_runs, ledger
from tests.clock import HOOKS
from tests.e2e.daemon import RunProcess
from tests.e2e.faults import (
    LEVELS,
    all_sent,
    assert_each_alert_posted_once,
    count,
    crossed,
    crossing_alerts,
    daemon_config,
    environ,
    eventually,
    gateway_lines,
    ledger_keys,
    outbox,
    overspend,
    stop,
    url_of,
)
from tests.factories import rollups_match_ledger
from tests.standins.slack_api import SlackApi

ROWS = 60_000  # 12 batches of 5,000 (the daemon's batch): a few seconds; batch spends $30.00
BATCH = 5_000


def _read_so_far(engine: Engine) -> int:
    with engine.connect() as conn:
        query = select(ingest_runs.c.read).where(ingest_runs.c.source == "gw")
        return int(conn.execute(query.order_by(ingest_runs.c.id.desc())).scalar() or 0)


def _kill(run: RunProcess) -> None:
    run.send(signal.SIGKILL)
    run.wait()


def test_sigkill_during_an_ingest(ledger_engine: Engine, tmp_path: Path) -> None:
    watch = tmp_path / "logs"
    watch.mkdir()
    (watch / "big.jsonl").write_text(gateway_lines("big", ROWS))
    config = tmp_path / "governance.toml"
    with SlackApi().running() as slack:
        config.write_text(daemon_config(slack, watch, every="1h"))  # read at start only
        env = environ(config, url_of(ledger_engine), slack)
        with RunProcess(tmp_path / "first.log", env) as first:
            first.until(lambda: _read_so_far(ledger_engine) >= 2 * BATCH, every=0.01)
            _kill(first)
        assert 2 * BATCH <= count(ledger_engine, ledger) < ROWS  # killed in the middle
        with RunProcess(tmp_path / "second.log", env) as second:
            second.until(lambda: count(ledger_engine, ledger) == ROWS)
            second.until(lambda: crossed(ledger_engine).get("batch") == LEVELS)
            second.until(lambda: all_sent(ledger_engine))
            stop(second)
    assert ledger_keys(ledger_engine) == sorted(f"big-{i}" for i in range(ROWS))
    rollups_match_ledger(ledger_engine)
    assert crossing_alerts(assert_each_alert_posted_once(ledger_engine, slack), "batch")


FAILPOINT = {"PYTHONPATH": str(HOOKS)}  # sitecustomize.py there


def test_sigkill_during_an_evaluation(ledger_engine: Engine, tmp_path: Path) -> None:
    overspend(ledger_engine)
    config = tmp_path / "governance.toml"
    with SlackApi().running() as slack:
        config.write_text(daemon_config(slack))
        env = environ(config, url_of(ledger_engine), slack)
        paused = {**env, **FAILPOINT, "GOVERNANCE_FAILPOINT": "evaluate"}
        with RunProcess(tmp_path / "first.log", paused) as first:
            first.wait_for("failpoint evaluate reached")  # all written, not committed
            _kill(first)
        # Rolled back whole: no evaluation, crossing or alert of it remains.
        assert [count(ledger_engine, t) for t in (evaluations, crossings, alert_outbox)] == [0] * 3
        with RunProcess(tmp_path / "second.log", env) as second:
            second.until(lambda: all_sent(ledger_engine))
            stop(second)
    assert crossed(ledger_engine) == {"batch": LEVELS}
    rows = assert_each_alert_posted_once(ledger_engine, slack)
    assert len(crossing_alerts(rows, "batch")) == len(rows) == 1  # every level in one message


def test_sigkill_while_slack_holds_the_post(ledger_engine: Engine, tmp_path: Path) -> None:
    overspend(ledger_engine)
    config = tmp_path / "governance.toml"
    with SlackApi().running() as slack:
        config.write_text(daemon_config(slack))
        env = environ(config, url_of(ledger_engine), slack)
        slack.hold()
        with RunProcess(tmp_path / "first.log", env) as first:
            first.until(lambda: slack.held)
            _kill(first)
        slack.release()
        eventually(lambda: slack.abandoned)
        (claimed,) = outbox(ledger_engine)
        assert (claimed.status, claimed.attempts, slack.messages) == ("pending", 1, [])
        assert claimed.claimed_until > datetime.now(UTC)  # the dead sender's claim holds

        # While the claim holds, a new daemon does not post it: the dead one might have.
        with RunProcess(tmp_path / "second.log", env) as second:
            second.until(lambda: second.health()["jobs"].get("deliver", {}).get("runs"))
            assert slack.requests == 1
            stop(second)
        # What the claim's two minutes would do, without waiting for them.
        with ledger_engine.begin() as conn:
            conn.execute(update(alert_outbox).values(claimed_until=datetime.now(UTC)))
        with RunProcess(tmp_path / "third.log", env) as third:
            third.until(lambda: all_sent(ledger_engine))
            stop(third)
    (alert,) = assert_each_alert_posted_once(ledger_engine, slack)
    assert (alert.kind, alert.category, alert.attempts) == ("crossing", "batch", 2)
    assert len(ledger_keys(ledger_engine)) == 10
