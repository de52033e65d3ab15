"""`governance run` as a real process on SQLite: it serves /healthz with its jobs, ingests
what lands in a watched folder and evaluates it, alerts once for a stale source, reloads its
config on SIGHUP (refusing an invalid one), never logs a secret, and on SIGTERM finishes the
job under way and exits 0."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.tables import ledger
from tests.clock import starter_config
from tests.e2e.daemon import RunProcess
from tests.standins.slack_api import SlackApi

BIG = 40_000  # rows: an ingest that takes a few seconds, to be stopped in the middle of


def write_log(path: Path, rows: int, prefix: str) -> None:
    # In the last minute: the daemon's current period, whatever the date (--at included).
    now = datetime.now(UTC).replace(microsecond=0)
    lines = (
        json.dumps({"request_id": f"{prefix}-{i}",
                    "startTime": (now - timedelta(seconds=i % 60)).strftime("%Y-%m-%dT%H:%M:%S"),
                    "model": "gpt-4o-mini", "spend": 0.0001, "prompt_tokens": 100,
                    "completion_tokens": 20, "metadata": {"user_api_key_team_alias": "search"}})
        for i in range(rows)
    )  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def config_text(tmp_path: Path, slack: SlackApi, extra: str = "") -> str:
    return (
        starter_config()
        + f"""
[[sources]]
name = "gw"
format = "litellm"
path = "{tmp_path}/logs/*.jsonl"
every = "1s"

[[sources]]
name = "billing"
format = "openai-costs"
url = "http://127.0.0.1:9/v1/organization/costs"
api_key_env = "OPENAI_ADMIN_KEY"
every = "1h"
options = {{ attempts = 1 }}
{extra}
[alerts.slack]
token_env = "SLACK_BOT_TOKEN"
api_url = "{slack.api_url}"
"""
    )


def test_the_daemon_ingests_evaluates_alerts_reloads_and_stops(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    write_log(tmp_path / "logs" / "a.jsonl", 5, "a")
    config = tmp_path / "governance.toml"
    engine = make_engine(f"sqlite:///{tmp_path}/governance.db")
    migrate.upgrade(engine)
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-test-token-0123456789",
        "OPENAI_ADMIN_KEY": "admin-key-must-not-leak-4242",
        "GOVERNANCE_ROUTER_TOKENS": "router-token-must-not-leak",
    }
    with SlackApi(token=secrets["SLACK_BOT_TOKEN"]).running() as slack:
        config.write_text(config_text(tmp_path, slack))
        environ = {"GOVERNANCE_CONFIG": str(config), **secrets}
        with RunProcess(tmp_path / "run.log", environ) as run:
            run.wait_for(r"role=leader")
            first = run.wait_for(r'event="ingested gw: 5 read, 5 added"').end()
            run.wait_for(r'event="evaluated 20\d\d-\d\d"', after=first)
            health = run.health()
            assert health["role"] == "leader" and health["last_evaluation"] is not None
            jobs = {"ingest:gw", "ingest:billing", "evaluate", "deliver", "stale", "rollover"}
            assert jobs <= set(health["jobs"])
            assert health["jobs"]["ingest:billing"]["last_outcome"] == "failed"  # refused: port 9

            # A file dropped into the folder is read and evaluated.
            write_log(tmp_path / "logs" / "b.jsonl", 7, "b")
            second = run.wait_for(r'event="ingested gw: 7 read, 7 added"').end()
            run.wait_for(r'event="evaluated ', after=second)

            # No data for 3 s (3 x every): stale, in /healthz and once in Slack.
            run.wait_for(r'event="source gw is stale')
            run.until(lambda: slack.messages)
            assert slack.texts()[0].startswith("Source gw is stale")
            status, body = run.get("/healthz")
            assert status == 503 and json.loads(body)["stale_sources"] == ["gw"]
            metrics = run.get("/metrics")[1].decode()
            assert 'governance_job_runs_total{job="ingest:gw"}' in metrics
            assert "governance_scheduler_leader 1.0" in metrics

            # SIGHUP with a valid change: the new source's job is scheduled.
            (tmp_path / "more").mkdir()
            extra = f'[[sources]]\nname = "more"\nformat = "litellm"\npath = "{tmp_path}/more/*"\n'
            config.write_text(config_text(tmp_path, slack, extra))
            run.send(signal.SIGHUP)
            run.wait_for(r'event="config reloaded" changes="added ingest:more"')
            assert "ingest:more" in run.until(lambda: run.health()["jobs"])

            # SIGHUP with an invalid file: every problem logged, the running config kept.
            config.write_text(config_text(tmp_path, slack).replace('every = "1s"', 'every = "soon"')
                              .replace('amount = "50000.00"', 'amount = "50k"'))  # fmt: skip
            run.send(signal.SIGHUP)
            refused = run.wait_for(r'event="config reload refused: 2 problem\(s\) in ')
            assert 'event="config problem: budget.amount: not a decimal amount' in run.output()
            assert "key=sources[0].every" in run.output()[: refused.start()]
            assert "ingest:more" in run.health()["jobs"] and run.process.poll() is None

            # SIGTERM while an ingest runs: it finishes, then the process exits 0.
            write_log(tmp_path / "logs" / "c.jsonl", BIG, "c")
            run.until(lambda: run.health()["jobs"]["ingest:gw"]["running"], every=0.01)
            run.send(signal.SIGTERM)
            assert run.wait() == 0, run.output()
    output = run.output()
    stopping = output.index('event="SIGTERM received: stopping"')
    assert f'event="ingested gw: {BIG} read, {BIG} added"' in output[stopping:]
    assert output.rstrip().endswith("event=stopped") and "Traceback" not in output
    assert [line for line in output.splitlines() if not line.startswith("ts=")] == []
    assert [secret for secret in secrets.values() if secret in output] == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ledger)).scalar() == 5 + 7 + BIG
    engine.dispose()
    assert len(slack.messages) == 1  # one stale episode, one message
