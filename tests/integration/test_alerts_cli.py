"""`governance alerts list|send`: the outbox for people and scripts; exit 1 with one line when a
permanent error holds alerts back; without [alerts.slack], alerts wait and nothing fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from governance.alerts.enqueue import enqueue_stale_source
from governance.cli import main
from governance.config import starter_config_text
from governance.ledger.engine import make_engine
from tests.integration.alerting import SLACK
from tests.standins.slack_api import SlackApi

AT = datetime(2026, 11, 24, 6, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[SlackApi]:
    with SlackApi().running() as api:
        yield api


def _setup(tmp_path: Path, extra: str, sources: int) -> Path:
    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text() + extra, encoding="utf-8")
    assert CliRunner().invoke(main, ["--config", str(config), "init"]).exit_code == 0
    engine = make_engine(f"sqlite:///{tmp_path}/governance.db")
    with engine.begin() as conn:
        for n in range(sources):
            enqueue_stale_source(conn, f"source-{n}", None, AT)
    engine.dispose()
    return config


def _run(config: Path, *args: str, token: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["--config", str(config), "alerts", *args], env={"SLACK_BOT_TOKEN": token}
    )
    return result.exit_code, result.stdout, result.stderr


def test_list_and_send(tmp_path: Path, slack: SlackApi) -> None:
    extra = SLACK.format(api_url=slack.api_url, channels="{}")
    config = _setup(tmp_path, extra, 2)
    code, out, _ = _run(config, "list", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["configured"] and listed["problems"] == []
    assert [(i["kind"], i["status"], i["attempts"]) for i in listed["items"]] == [
        ("stale", "pending", 0),
        ("stale", "pending", 0),
    ]
    assert listed["items"][0]["title"] == "Source source-1 is stale"

    code, out, err = _run(config, "send", token="xoxb-revoked")
    assert code == 1 and out.startswith("sent 0, 0 to retry, 1 failed; 1 pending")
    assert err == "Error: alerts to slack are blocked: " + (
        "Slack refused the message: invalid_auth (HTTP 200)\n"
    )
    code, out, _ = _run(config, "list")
    assert out.startswith("blocked: slack: Slack refused the message: invalid_auth (HTTP 200)")
    assert "failed" in out and "pending" in out

    code, out, _ = _run(config, "send", "--json", token=slack.token)
    sent = json.loads(out)
    assert code == 0 and (sent["sent"], sent["pending"], sent["blocked"]) == (2, 0, [])
    assert [m["channel"] for m in slack.messages] == ["#llm-spend", "#llm-spend"]
    code, out, _ = _run(config, "list", "--json")
    assert {i["status"] for i in json.loads(out)["items"]} == {"sent"}


def test_without_slack_alerts_wait(tmp_path: Path) -> None:
    config = _setup(tmp_path, "", 1)
    code, out, _ = _run(config, "send")
    assert (code, out) == (0, "no [alerts.slack] in the config: 1 alert(s) stay pending\n")
    code, out, _ = _run(config, "send", "--json")
    assert json.loads(out)["configured"] is False and json.loads(out)["pending"] == 1
    code, out, _ = _run(config, "list")
    assert out.startswith("no [alerts.slack] in the config: alerts stay pending\n")
    code, out, _ = _run(config, "list", "--json")
    [waiting] = json.loads(out)["items"]
    assert waiting["status"] == "pending" and waiting["next_attempt"] is None  # waits for a channel
    assert json.loads(_run(config, "send", "--json")[1])["next_attempt"] is None
