"""Alerts end to end on real ledgers, posted to the Slack stand-in through slack-sdk: one message
per crossing across evaluations and restarts, with what drives the spend; lifted directives,
the period's summary, and the one window where a crash can post twice."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from governance.alerts import outbox
from governance.alerts.enqueue import enqueue_stale_source
from governance.alerts.service import make_sender
from governance.ledger.engine import make_engine
from tests.factories import insert_rows
from tests.integration.alerting import (
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


@pytest.fixture
def slack() -> Iterator[SlackApi]:
    with SlackApi().running() as api:
        yield api


def test_one_message_per_crossing_across_evaluations_and_restarts(
    make_app: AppFactory, slack: SlackApi
) -> None:
    app = slack_app(make_app, slack)
    insert_rows(app.engine, batch_spend(range(1, 6), "20"))
    evaluate(app, day(6))  # forecast 70, 90 and 100 at once: one message
    assert send(app).sent == 1
    evaluate(app, day(6))  # the same evaluation again: nothing new
    assert send(app).sent == 0
    insert_rows(app.engine, batch_spend(range(6, 13), "25", tier="standard", model="o-mini"))
    evaluate(app, day(13))  # actual 70, 90 and 100
    restarted = slack_app(make_app, slack)
    assert send(restarted).sent == 1 and send(restarted).sent == 0

    first, second = slack.messages
    assert [m["channel"] for m in slack.messages] == ["#data-eng", "#data-eng"]
    assert first["text"].startswith("batch is forecast to reach 100% of its allocation")
    assert "Crossed: 100% forecast, 90% forecast, 70% forecast" in first["text"]
    assert "Top models this period: gpt-4o: $100.00" in first["text"]
    assert "Top teams this period: data-eng: $100.00" in first["text"]
    assert "Burn: $20.00 on Mon 05 Oct against $20.00/day before it (1.0x)" in first["text"]
    assert "Directive issued: 2026-10/batch/premium-standard" in first["text"]
    assert "Open the dashboard: http://dash.example/" in first["text"]
    assert first["blocks"][0]["type"] == "header"
    assert second["text"].startswith("batch has reached 100% of its allocation")
    assert "$275.00 of $250.00 (110%)" in second["text"]
    assert "Top models this period: o-mini: $175.00; gpt-4o: $100.00" in second["text"]
    assert "Directive issued: 2026-10/batch/standard-economy" in second["text"]
    ids = [m["metadata"]["event_payload"]["alert"] for m in slack.messages]
    assert [r.id for r in outbox_rows(app)] == ids
    assert {(r.status, r.attempts, r.sent_to) for r in outbox_rows(app)} == {
        ("sent", 1, "#data-eng")
    }


def test_a_lifted_directive_and_the_closed_period(make_app: AppFactory, slack: SlackApi) -> None:
    app = slack_app(make_app, slack)
    insert_rows(app.engine, batch_spend(range(1, 13), "25"))
    evaluate(app, day(13))
    raised = slack_app(make_app, slack, replace=('amount = "50000.00"', 'amount = "5000.00"'))
    evaluate(raised, day(13, 1))  # allocation 1,250: the directives' conditions no longer hold
    evaluate(raised, datetime(2026, 11, 1, 6, tzinfo=UTC))  # the first of November
    evaluate(raised, datetime(2026, 11, 1, 7, tzinfo=UTC))
    assert send(raised).sent == 4
    texts = slack.texts()
    assert texts[0].startswith("batch has reached 100%")
    assert sorted(t.splitlines()[0] for t in texts[1:3]) == [
        "batch: directive lifted, premium is no longer routed to standard",
        "batch: directive lifted, standard is no longer routed to economy",
    ]
    assert texts[3].startswith("2026-10 closed: $300.00 of $5,000.00 spent (6%)")
    assert "batch: $300.00 of $1,250.00 (24%)" in texts[3]
    assert [m["channel"] for m in slack.messages][3] == "#llm-spend"  # not about one category


def test_a_stale_source_alerts_once_per_episode(make_app: AppFactory, slack: SlackApi) -> None:
    app = slack_app(make_app, slack)
    last = datetime(2026, 11, 24, 6, tzinfo=UTC)
    with app.engine.begin() as conn:
        assert enqueue_stale_source(conn, "openai-billing", last, last + timedelta(hours=3))
        assert not enqueue_stale_source(conn, "openai-billing", last, last + timedelta(hours=4))
        assert enqueue_stale_source(conn, "openai-billing", last + timedelta(hours=5), last)
    assert send(app).sent == 2
    assert slack.texts()[0].startswith("Source openai-billing is stale")


def test_a_crash_between_posting_and_marking_is_the_only_duplicate_window(
    make_app: AppFactory, slack: SlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = slack_app(make_app, slack)
    with app.engine.begin() as conn:
        enqueue_stale_source(conn, "litellm", None, app.clock())

    def crash(*args: object) -> bool:
        raise KeyboardInterrupt  # the process dies: nothing after this runs

    monkeypatch.setattr(outbox, "mark_sent", crash)
    with pytest.raises(KeyboardInterrupt):
        send(app)
    monkeypatch.undo()
    assert len(slack.messages) == 1
    clock = FakeClock(app.clock() + timedelta(seconds=60))  # restarted within the lease
    assert send(app, clock, drain=False).sent == 0
    clock.now += timedelta(minutes=1)  # the lease ran out: posted again, the documented case
    assert send(app, clock).sent == 1
    assert len(slack.messages) == 2
    assert [r.attempts for r in outbox_rows(app)] == [2]


def test_concurrent_senders_post_each_alert_once(
    make_app: AppFactory, slack: SlackApi, ledger_engine: Engine
) -> None:
    """Four senders, each with its own engine as separate processes would have, race on the
    same outbox (on PostgreSQL: row locks; on SQLite: one writer at a time)."""
    app = slack_app(make_app, slack)
    with app.engine.begin() as conn:
        for n in range(24):
            enqueue_stale_source(conn, f"source-{n}", None, app.clock())
    url = ledger_engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    reports = []

    def run(engine: Engine) -> None:
        sender = make_sender(dataclasses.replace(app, _engine=engine))
        start.wait()
        reports.append(sender.deliver_due())

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for engine in engines:
        engine.dispose()
    alerts = sorted(m["metadata"]["event_payload"]["alert"] for m in slack.messages)
    assert alerts == sorted(r.id for r in outbox_rows(app))
    assert sum(r.sent for r in reports) == 24
    assert {r.attempts for r in outbox_rows(app)} == {1}
