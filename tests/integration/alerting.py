"""Helpers for the alert tests: an app posting to the Slack stand-in, a fake clock, and an
evaluation that writes its alerts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from governance.alerts.delivery import SendReport
from governance.alerts.enqueue import enqueue_alerts
from governance.alerts.service import make_sender
from governance.context import Governance
from governance.domain.evaluation import Evaluation
from governance.ledger.tables import alert_outbox
from governance.services import evaluate as evaluation
from tests.factories import ledger_row
from tests.integration.conftest import AppFactory
from tests.standins.slack_api import SlackApi

SMALL = ('amount = "50000.00"', 'amount = "1000.00"')  # batch: 25% = 250.00
SLACK = """
[alerts.slack]
token_env = "SLACK_BOT_TOKEN"
channel = "#llm-spend"
channels = {channels}
dashboard_url = "http://dash.example/"
api_url = "{api_url}"
"""
WEBHOOK = """
[alerts.slack]
webhook_url_env = "SLACK_WEBHOOK_URL"
dashboard_url = "http://dash.example/"
"""


def day(n: int, hour: int = 0) -> datetime:
    return datetime(2026, 10, n, hour, tzinfo=UTC)


class FakeClock:
    """A clock whose ``sleep`` moves it on instead of waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def slack_app(
    make_app: AppFactory,
    slack: SlackApi,
    token: str | None = None,
    extra: str = "",
    replace: tuple[str, str] = SMALL,
    channels: str = '{ batch = "#data-eng" }',
) -> Governance:
    """The starter config with a small budget, posting to ``slack`` with ``token``."""
    app = make_app(SLACK.format(api_url=slack.api_url, channels=channels) + extra, replace=replace)
    environ = {"SLACK_BOT_TOKEN": slack.token if token is None else token}
    return dataclasses.replace(app, environ=environ)


def evaluate(app: Governance, as_of: datetime) -> Evaluation:
    """An evaluation and its alerts in one transaction, as ``evaluate()`` does once it calls
    ``enqueue_alerts`` itself (calling it twice adds nothing: every alert has a key)."""
    with app.engine.begin() as conn:
        result = evaluation.evaluate(app.config, conn, as_of, as_of)
        enqueue_alerts(conn, app.config, result, as_of)
    return result


def send(app: Governance, clock: FakeClock | None = None, drain: bool = True) -> SendReport:
    """A new sender (as after a restart) draining the outbox on a fake clock (or, without
    ``drain``, making one pass)."""
    clock = clock or FakeClock(app.clock())
    sender = make_sender(dataclasses.replace(app, clock=clock), sleep=clock.sleep, rng=lambda: 0.0)
    return sender.drain(timeout=3600) if drain else sender.deliver_due()


def batch_spend(days: range, per_day: str, **fields: Any) -> list[dict[str, Any]]:
    values = {"category": "batch", "tier": "premium", "model": "gpt-4o", "team": "data-eng"}
    return [
        ledger_row(**{**values, **fields, "cost": Decimal(per_day), "occurred_at": day(n, 12)})
        for n in days
    ]


def outbox_rows(app: Governance) -> list[Any]:
    with app.engine.connect() as conn:
        return list(conn.execute(select(alert_outbox).order_by(alert_outbox.c.id)))
