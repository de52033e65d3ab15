"""What the fault tests share: a daemon config on a small budget (batch's allocation is $25.00)
reading a watched folder and posting to the Slack stand-in; gateway logs of the current
period; and what the ledger, the outbox and Slack hold afterwards, to compare with what was
expected: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from governance.domain.periods import period_containing
from governance.ledger.tables import alert_outbox, crossings, ledger
from tests.clock import starter_config
from tests.e2e.daemon import RunProcess
from tests.factories import insert_rows, ledger_row
from tests.standins.slack_api import SlackApi

BUDGET = "100.00"  # batch 25% = 25.00, standard 35% = 35.00
LEVELS = {70, 90, 100}


def recent() -> datetime:
    """A time of the current period, a little in the past (the daemon evaluates now)."""
    now = datetime.now(UTC)
    return max(now - timedelta(minutes=5), period_containing(now, "UTC").start)


def gateway_lines(prefix: str, count: int, team: str = "data-eng", spend: str = "0.0005") -> str:
    """``count`` LiteLLM SpendLogs rows as JSONL, ids ``prefix-0``..., all of ``team``."""
    at = recent().replace(tzinfo=None)
    return "".join(
        json.dumps({"request_id": f"{prefix}-{i}", "model": "gpt-4o", "spend": float(spend),
                    "prompt_tokens": 100, "completion_tokens": 20,
                    "startTime": (at + timedelta(microseconds=i)).isoformat(),
                    "metadata": {"user_api_key_team_alias": team}}) + "\n"
        for i in range(count)
    )  # fmt: skip


def daemon_config(slack: SlackApi, watch: Path | None = None, every: str = "1s") -> str:
    """The starter config on ``BUDGET``, reading ``watch/*.jsonl`` (if given) as source gw."""
    text = starter_config().replace('amount = "50000.00"', f'amount = "{BUDGET}"')
    if watch is not None:
        text += f"""
[[sources]]
name = "gw"
format = "litellm"
path = "{watch}/*.jsonl"
every = "{every}"
"""
    return (
        text
        + f"""
[alerts.slack]
token_env = "SLACK_BOT_TOKEN"
channel = "#llm-spend"
api_url = "{slack.api_url}"
"""
    )


def environ(config: Path, url: str, slack: SlackApi) -> dict[str, str]:
    return {"GOVERNANCE_CONFIG": str(config), "GOVERNANCE_DATABASE_URL": url,
            "SLACK_BOT_TOKEN": slack.token}  # fmt: skip


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def overspend(engine: Engine, cost: str = "30.00") -> None:
    """Batch over its allocation (120%), already in the ledger: the next evaluation crosses
    every level at once, which is one alert."""
    at = recent()
    each = Decimal(cost) / 10
    rows = [ledger_row(category="batch", tier="premium", model="gpt-4o", team="data-eng",
                       occurred_at=at, ingested_at=at, cost=each) for _ in range(10)]  # fmt: skip
    insert_rows(engine, rows)


def ledger_keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(ledger.c.source_key)).scalars())


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def crossed(engine: Engine, basis: str = "actual") -> dict[str, set[int]]:
    """The levels crossed per category on ``basis``."""
    found: dict[str, set[int]] = {}
    with engine.connect() as conn:
        query = select(crossings.c.category, crossings.c.level).where(crossings.c.basis == basis)
        for category, level in conn.execute(query):
            found.setdefault(category, set()).add(level)
    return found


def outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(alert_outbox).order_by(alert_outbox.c.id)))


def all_sent(engine: Engine) -> bool:
    rows = outbox(engine)
    return bool(rows) and all(row.status == "sent" for row in rows)


def posted_ids(slack: SlackApi) -> list[int]:
    """The alert id of every message Slack accepted, in order."""
    return [m["metadata"]["event_payload"]["alert"] for m in slack.messages]


def assert_each_alert_posted_once(engine: Engine, slack: SlackApi) -> list[Any]:
    """Every alert of the outbox is sent and was posted exactly once; the outbox's rows."""
    rows = outbox(engine)
    assert [(row.id, row.status) for row in rows] == [(row.id, "sent") for row in rows]
    posted = Counter(posted_ids(slack))
    assert {i: n for i, n in posted.items() if n > 1} == {}, "posted twice"
    assert sorted(posted) == [row.id for row in rows]
    return rows


def crossing_alerts(rows: list[Any], category: str) -> list[Any]:
    return [row for row in rows if row.kind == "crossing" and row.category == category]


def stop(run: RunProcess) -> None:
    """SIGTERM: the daemon finishes what it is doing and exits 0."""
    run.send(signal.SIGTERM)
    assert run.wait() == 0, run.output()


def eventually(check: Any, timeout: float = 30.0, every: float = 0.05) -> Any:
    """Poll ``check()`` until it returns something true (no process to watch meanwhile)."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {check}"
        time.sleep(every)
    return value
