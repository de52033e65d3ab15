"""Delivery that survives Slack: down, 5xx and 429 retried on schedule and delivered once; a
permanent refusal recorded and held until the config or the secret changes; the secret never
in the logs, the outbox or an error; an incoming webhook."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from governance.alerts.enqueue import enqueue_stale_source
from governance.alerts.service import make_sender
from governance.alerts.views import delivery_problems
from governance.context import Governance
from governance.services.reports import status_document
from tests.factories import insert_rows
from tests.integration.alerting import (
    SMALL,
    WEBHOOK,
    FakeClock,
    batch_spend,
    day,
    evaluate,
    outbox_rows,
    send,
    slack_app,
)
from tests.integration.conftest import AppFactory
from tests.standins.slack_api import SlackApi

AT = datetime(2026, 11, 24, 6, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[SlackApi]:
    with SlackApi().running() as api:
        yield api


def stale(app: Governance, *sources: str) -> None:
    with app.engine.begin() as conn:
        for source in sources:
            enqueue_stale_source(conn, source, None, AT)


def test_down_then_5xx_then_rate_limited_then_up_delivers_once(
    make_app: AppFactory, slack: SlackApi
) -> None:
    app = slack_app(make_app, slack)
    stale(app, "litellm", "openai-billing")
    slack.stop()  # connections refused
    clock = FakeClock(AT)

    def back_up_answering_503() -> None:
        slack.start()
        slack.fail(503)

    def rate_limiting() -> None:
        slack.fail(429, retry_after="7")

    steps = iter([back_up_answering_503, rate_limiting])

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        for step in steps:  # Slack's state moves on while the sender waits
            step()
            break

    clock_app = dataclasses.replace(app, clock=clock)
    report = make_sender(clock_app, sleep=sleep, rng=lambda: 0.0).drain(timeout=600)
    assert (report.sent, report.pending) == (2, 0)
    assert clock.slept == [15.0, 30.0, 7.0]  # backoff, backoff, Retry-After
    assert [m["metadata"]["event_payload"]["alert"] for m in slack.messages] == [
        r.id for r in outbox_rows(app)
    ]
    first, second = outbox_rows(app)
    assert (first.status, first.attempts, second.attempts) == ("sent", 4, 1)


def test_invalid_auth_is_permanent_until_the_secret_or_config_changes(
    make_app: AppFactory, slack: SlackApi
) -> None:
    wrong = slack_app(make_app, slack, token="xoxb-revoked-token")
    stale(wrong, "litellm", "openai-billing")
    report = send(wrong)
    assert (report.sent, report.failed, report.pending) == (0, 1, 1)
    assert report.blocked == {"slack": "Slack refused the message: invalid_auth (HTTP 200)"}
    asked = slack.requests
    assert send(wrong).sent == 0 and slack.requests == asked  # not retried, not even tried
    with wrong.engine.connect() as conn:
        (problem,) = delivery_problems(conn)
    assert (problem.target, problem.reason) == ("slack", report.blocked["slack"])
    shown = status_document(wrong.config, wrong.engine, wrong.period(), wrong.clock())
    assert [(p["target"], p["reason"]) for p in shown["alert_problems"]] == [
        ("slack", report.blocked["slack"])
    ]
    assert [(r.status, r.last_error) for r in outbox_rows(wrong)] == [
        ("failed", problem.reason),
        ("pending", None),
    ]
    assert send(slack_app(make_app, slack)).sent == 2  # a new token: a new fingerprint
    with wrong.engine.connect() as conn:
        assert delivery_problems(conn) == []
    shown = status_document(wrong.config, wrong.engine, wrong.period(), wrong.clock())
    assert shown["alert_problems"] == []


def test_an_unknown_channel_holds_back_only_its_own_alerts(
    make_app: AppFactory, slack: SlackApi
) -> None:
    slack.channels = {"#llm-spend"}
    app = slack_app(make_app, slack)
    insert_rows(app.engine, batch_spend(range(1, 13), "25"))
    evaluate(app, day(13))  # batch's alert goes to #data-eng
    stale(app, "litellm")  # to #llm-spend
    report = send(app)
    assert (report.sent, report.failed) == (1, 1)
    assert list(report.blocked) == ["slack:#data-eng"]
    assert [m["channel"] for m in slack.messages] == ["#llm-spend"]
    slack.channels.add("#data-eng")  # created in Slack: the config is unchanged, still held
    assert send(app).sent == 0
    moved = slack_app(make_app, slack, channels='{ batch = "#llm-spend" }')
    assert send(moved).sent == 1
    assert [m["channel"] for m in slack.messages] == ["#llm-spend", "#llm-spend"]


def test_the_secret_never_reaches_logs_outbox_or_errors(
    make_app: AppFactory, slack: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    right = slack_app(make_app, slack)
    wrong = slack_app(make_app, slack, token="xoxb-wrong-0000")
    stale(right, "a", "b", "c")
    slack.fail(500)
    slack.fail(0)  # a dropped connection
    assert send(right).sent == 3
    stale(right, "d")
    assert "slack" in send(wrong).blocked
    slack.stop()
    stale(right, "e")
    assert send(slack_app(make_app, slack, token="xoxb-other-1111"), drain=False).retrying == 1
    rows = repr([tuple(r) for r in outbox_rows(right)])
    for secret in (slack.token, "xoxb-wrong-0000", "xoxb-other-1111"):
        assert secret not in caplog.text and secret not in rows
    assert (
        "to #llm-spend: temporary error: Slack refused the message: no error code (HTTP 500)"
        in caplog.text
    )
    assert "cannot reach Slack" in caplog.text


def test_an_incoming_webhook(make_app: AppFactory, slack: SlackApi) -> None:
    app = make_app(WEBHOOK, replace=SMALL)
    app = dataclasses.replace(app, environ={"SLACK_WEBHOOK_URL": slack.webhook_url})
    insert_rows(app.engine, batch_spend(range(1, 13), "25"))
    evaluate(app, day(13))
    assert send(app).sent == 1
    (message,) = slack.messages
    assert message["text"].startswith("batch has reached 100% of its allocation")
    assert message["blocks"][0]["type"] == "header" and "channel" not in message
    assert [r.sent_to for r in outbox_rows(app)] == ["webhook"]


def test_a_webhook_url_is_a_secret_too(
    make_app: AppFactory, slack: SlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_app(WEBHOOK, replace=SMALL)
    app = dataclasses.replace(app, environ={"SLACK_WEBHOOK_URL": slack.webhook_url})
    stale(app, "litellm")
    slack.fail(403, error="invalid_token")
    slack.fail(404)
    report = send(app)
    assert report.failed == 1 and "slack" in report.blocked
    slack.stop()
    assert "webhook-secret-part" not in caplog.text
    assert "webhook-secret-part" not in repr([tuple(r) for r in outbox_rows(app)])
