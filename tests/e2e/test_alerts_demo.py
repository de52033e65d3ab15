"""The demo month evaluated day by day, each day's alerts posted to the Slack stand-in: exactly
the expected sequence of messages, each crossing with its drivers, and the month's summary on
the first of the next; evaluating the month again posts nothing more."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.demo import run_demo
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.tables import crossings
from tests.integration.alerting import SLACK, FakeClock, evaluate, send
from tests.standins.slack_api import SlackApi

EXPECTED = [
    # The backfill starts on day 13; by the 16th the forecast passes 90% and 100% at once.
    (date(2026, 10, 13), "#data-eng", "batch is forecast to reach 70% of its allocation"),
    (date(2026, 10, 16), "#data-eng", "batch is forecast to reach 100% of its allocation"),
    (date(2026, 10, 20), "#data-eng", "batch has reached 70% of its allocation"),
    (date(2026, 10, 22), "#data-eng", "batch has reached 90% of its allocation"),
    (date(2026, 10, 23), "#data-eng", "batch has reached 100% of its allocation"),
    (date(2026, 11, 1), "#llm-spend", "2026-10 closed: $4,436.21 of $5,000.00 spent (88.7%)"),
]
ISSUED = {
    date(2026, 10, 16): "Directive issued: 2026-10/batch/premium-standard",
    date(2026, 10, 23): "Directive issued: 2026-10/batch/standard-economy",
}


def _month(app: Governance, slack: SlackApi) -> list[tuple[date, str, str]]:
    """Evaluate at each midnight from 2 October to 1 November, sending after each."""
    posted = []
    for n in range(31):
        as_of = datetime(2026, 10, 2, tzinfo=UTC) + timedelta(days=n)
        evaluate(app, as_of)
        before = len(slack.messages)
        send(app, FakeClock(as_of))
        posted += [(as_of.date(), m["channel"], m["text"]) for m in slack.messages[before:]]
    return posted


def test_the_demo_month_posts_its_story(tmp_path: Path) -> None:
    with SlackApi().running() as slack:
        text = starter_config_text().replace('amount = "50000.00"', 'amount = "5000.00"')
        text += SLACK.format(api_url=slack.api_url, channels='{ batch = "#data-eng" }')
        engine = make_engine(f"sqlite:///{tmp_path}/ledger.db")
        migrate.upgrade(engine)
        app = Governance(
            parse_config(text, "test.toml", tmp_path),
            tmp_path / "governance.toml",
            {"SLACK_BOT_TOKEN": slack.token},
            lambda: datetime(2026, 11, 1, 6, tzinfo=UTC),
            engine,
        )
        run_demo(app, tmp_path / "demo", "2026-10")
        posted = _month(app, slack)
        assert [(day, channel, text.splitlines()[0]) for day, channel, text in posted] == EXPECTED
        for day, _, text in posted[:-1]:
            models = next(line for line in text.splitlines() if line.startswith("Top models"))
            assert models.count("$") == 3, text
            assert "Top teams this period: data-eng: $" in text
            assert "/day before it" in text
            assert (ISSUED[day] in text) if day in ISSUED else ("Directive" not in text)
        summary = posted[-1][2]
        assert "batch: $2,118.46 of $1,250.00 (169.5%) over" in summary
        with engine.connect() as conn:
            recorded = conn.execute(select(crossings.c.level, crossings.c.basis)).all()
        assert len(recorded) == 6  # 90% and 100% forecast were crossed in one message
        assert "Crossed: 100% forecast, 90% forecast" in posted[1][2]

        assert _month(app, slack) == []  # the month again, as after a restart: nothing new
    engine.dispose()
