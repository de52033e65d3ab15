"""`governance run` through outages of what it depends on. PostgreSQL gone for a minute (a TCP
proxy between the daemon and the shared server is cut, not the server): routers keep getting
the last directives, /healthz says the database is unreachable, and when it is back the jobs
catch up: the file appended meanwhile is ingested once, the alert that was waiting is posted
once. Slack down for a whole evaluation: its alert is posted once when Slack is back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.e2e.daemon import RunProcess
from tests.e2e.faults import (
    LEVELS,
    all_sent,
    assert_each_alert_posted_once,
    crossed,
    crossing_alerts,
    daemon_config,
    environ,
    gateway_lines,
    ledger_keys,
    outbox,
    overspend,
    stop,
    url_of,
)
from tests.factories import rollups_match_ledger
from tests.standins.slack_api import SlackApi
from tests.standins.tcp_proxy import TcpProxy

OUTAGE_SECONDS = 60  # the minute: the suite's longest test (~75 s)
ROWS = 100


def _directives(run: RunProcess) -> bytes | None:
    """The body of /directives when it holds directives."""
    status, body = run.get("/directives")
    return body if status == 200 and json.loads(body)["directives"] else None


@pytest.mark.postgres
@pytest.mark.parametrize("ledger_engine", ["postgresql"], indirect=True)  # SQLite: a local file
def test_postgresql_gone_for_a_minute(ledger_engine: Engine, tmp_path: Path) -> None:
    watch = tmp_path / "logs"
    watch.mkdir()
    log = watch / "gateway.jsonl"
    log.write_text(gateway_lines("a", ROWS, spend="0.30"))  # batch: $30.00 of $25.00
    config = tmp_path / "governance.toml"
    server = ledger_engine.url
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
    with SlackApi().running() as slack, proxy.running():
        config.write_text(daemon_config(slack, watch, every="5s"))
        url = server.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        slack.fail(503)  # the first post fails: the alert waits for its retry (15-30 s)
        with RunProcess(tmp_path / "run.log", environ(config, url, slack)) as run:
            run.wait_for(r'event="alerts: 0 sent, 1 to retry')
            before = run.until(lambda: _directives(run))  # batch's downgrades

            proxy.down()
            went = time.monotonic()
            with log.open("a") as more:  # standard: $40.00 of $35.00, written during the outage
                more.write(gateway_lines("b", ROWS, team="search", spend="0.40"))
            run.wait_for(r'event="role standby" role=standby reason="lost the scheduler lock"')
            health = run.until(lambda: (h := run.health())["database"] == "unreachable" and h)
            assert health["status"] == "degraded" and health["role"] == "standby"
            run.until(lambda: b"governance_database_up 0.0" in run.get("/metrics")[1], timeout=10)
            while time.monotonic() - went < OUTAGE_SECONDS:
                assert run.get("/directives") == (200, before)  # the last directives, unchanged
                time.sleep(1)
            proxy.up()

            back = run.wait_for(r'event="role leader" role=leader', timeout=30).end()
            run.wait_for(f'event="ingested gw: {ROWS} read, {ROWS} added"', after=back)
            run.until(lambda: crossed(ledger_engine).get("standard") == LEVELS)
            run.until(lambda: all_sent(ledger_engine), timeout=30)
            run.until(lambda: run.get("/directives")[1] != before)  # standard's downgrade too
            assert run.health()["database"] == "ok"
            stop(run)
    assert ledger_keys(ledger_engine) == sorted(f"{p}-{i}" for p in "ab" for i in range(ROWS))
    rollups_match_ledger(ledger_engine)
    rows = assert_each_alert_posted_once(ledger_engine, slack)
    assert len(crossing_alerts(rows, "batch")) == len(crossing_alerts(rows, "standard")) == 1
    assert crossing_alerts(rows, "batch")[0].attempts == 2  # failed once, then posted once
    assert 'event="directives: database unreachable, serving the last known' in run.output()


def test_slack_down_for_a_whole_evaluation(ledger_engine: Engine, tmp_path: Path) -> None:
    overspend(ledger_engine)
    config = tmp_path / "governance.toml"
    with SlackApi().running() as slack:
        config.write_text(daemon_config(slack))
        slack.stop()  # connections refused, from before the evaluation to after it
        with RunProcess(tmp_path / "run.log", environ(config, url_of(ledger_engine), slack)) as run:
            run.wait_for(r'event="evaluated 20\d\d-\d\d" evaluation=\d+ crossed=[1-9]')
            run.wait_for(r'event="alerts: 0 sent, 1 to retry, 0 failed" pending=1')
            (waiting,) = outbox(ledger_engine)
            assert (waiting.status, waiting.attempts) == ("pending", 1)
            assert "cannot reach Slack" in waiting.last_error
            slack.start()  # back, on the same port
            # Retried after its backoff (15-30 s) at the next delivery pass (every 30 s).
            run.until(lambda: all_sent(ledger_engine), timeout=75, every=0.5)
            stop(run)
    (alert,) = assert_each_alert_posted_once(ledger_engine, slack)
    assert (alert.kind, alert.category, alert.attempts) == ("crossing", "batch", 2)
    assert crossed(ledger_engine)["batch"] == LEVELS
