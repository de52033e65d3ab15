"""The words of alerts, from facts to a message and to Block Kit: pure, no database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from governance.alerts.facts import (
    BurnFacts,
    CategoryTotal,
    Crossed,
    DirectiveFacts,
    Level,
    Lifted,
    PeriodClosed,
    Stale,
    from_json,
    kind_of,
    to_json,
)
from governance.alerts.messages import render
from governance.alerts.slack.blocks import fallback_text, to_blocks

AT = datetime(2026, 11, 18, 6, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
DIRECTIVE = DirectiveFacts(
    "2026-11/batch/premium-standard", "premium", "standard", END, {"gpt-4o": "gpt-4o-mini"}
)


def crossed(**changes: object) -> Crossed:
    values: dict[str, object] = {
        "period": "2026-11",
        "category": "batch",
        "currency": "USD",
        "at": AT,
        "crossed": [
            Level(100, "forecast", Decimal("2790")),
            Level(90, "actual", Decimal("2260")),
            Level(90, "forecast", Decimal("2790")),
        ],
        "allocation": Decimal("2500"),
        "spend": Decimal("2260"),
        "forecast": Decimal("2790"),
        "forecast_low": Decimal("2600.5"),
        "forecast_high": Decimal("3012.25"),
        "top_models": [("gpt-4o", Decimal("1500")), ("claude-3-5-sonnet", Decimal("600"))],
        "top_teams": [("data-eng", Decimal("2000")), ("(none)", Decimal("260"))],
        "burn": BurnFacts(date(2026, 11, 18), Decimal("210"), Decimal("120"), False),
        "directives": [DIRECTIVE],
    }
    values.update(changes)
    return Crossed(**values)  # type: ignore[arg-type]


def test_a_crossing_says_what_drives_the_spend() -> None:
    message = render(crossed(), "http://dash.example/")
    assert message.title == "batch is forecast to reach 100% of its allocation"
    assert message.severity == "critical"
    text = message.plain_text()
    for words in (
        "$2,260.00 of $2,500.00 (90.4%)",
        "$2,790.00 (80% interval $2,600.50 to $3,012.25)",
        "100% forecast, 90% actual, 90% forecast",
        "gpt-4o: $1,500.00; claude-3-5-sonnet: $600.00",
        "data-eng: $2,000.00",
        "$210.00 on Wed 18 Nov so far against $120.00/day before it (1.8x)",
        "2026-11/batch/premium-standard: route premium to standard until 2026-12-01 00:00 UTC",
        "substitutes: gpt-4o -> gpt-4o-mini",
        "http://dash.example/",
    ):
        assert words in text, words


def test_actual_crossings_read_as_facts_and_lower_levels_as_warnings() -> None:
    facts = crossed(crossed=[Level(70, "actual", Decimal("1800"))], burn=None, directives=[])
    message = render(facts)
    assert message.title == "batch has reached 70% of its allocation"
    assert message.severity == "warning" and message.link is None
    assert "Burn" not in dict(message.fields) and "Directive issued" not in message.plain_text()


def test_block_kit_escapes_names_and_keeps_slack_limits() -> None:
    facts = crossed(
        category="r&d <" + "x" * 200 + ">",
        top_models=[(f"model-{i}", Decimal(i)) for i in range(1, 4)],
        directives=[DIRECTIVE, DIRECTIVE, DIRECTIVE, DIRECTIVE, DIRECTIVE, DIRECTIVE],
    )
    message = render(facts, "http://dash.example/?a=1&b=2")
    blocks = to_blocks(message)
    header = blocks[0]["text"]["text"]
    assert blocks[0]["type"] == "header" and len(header) <= 150
    assert header.startswith(":rotating_light: r&d <")  # plain text: no escaping there
    assert "r&amp;d &lt;" in blocks[1]["text"]["text"]
    sections = [b for b in blocks if b["type"] == "section" and "fields" in b]
    assert all(len(b["fields"]) <= 10 for b in sections)
    assert sum(len(b["fields"]) for b in sections) == 4 + 2 + 6
    assert blocks[-1] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "<http://dash.example/?a=1&amp;b=2|Open the dashboard>"}
        ],
    }
    assert fallback_text(message).startswith("r&d <")
    json.dumps(blocks)  # a payload Slack can be sent


def test_facts_survive_the_outbox_as_json() -> None:
    for facts in (
        crossed(),
        Lifted("2026-11", "batch", "USD", AT, DIRECTIVE, Decimal(3000), Decimal(1), Decimal(2)),
        Stale("litellm-logs", AT, None),
        PeriodClosed(
            "2026-10", "EUR", AT, Decimal(100), [CategoryTotal("a", Decimal(1), Decimal(2))]
        ),
    ):
        stored = json.loads(json.dumps(to_json(facts)))
        assert stored["type"] == kind_of(facts)
        assert from_json(stored) == facts


def test_a_lifted_directive() -> None:
    facts = Lifted(
        "2026-11", "batch", "USD", AT, DIRECTIVE, Decimal(4000), Decimal(2260), Decimal(2790)
    )
    message = render(facts)
    assert message.title == "batch: directive lifted, premium is no longer routed to standard"
    assert "at the allocation of $4,000.00" in message.summary
    assert message.fields == [("Spend", "56.5% of the allocation")]


def test_a_stale_source() -> None:
    seen = render(Stale("openai-billing", AT, datetime(2026, 11, 17, 18, tzinfo=UTC)))
    assert seen.title == "Source openai-billing is stale"
    assert "since 2026-11-17 18:00 UTC (12 h)" in seen.summary
    assert "never produced data" in render(Stale("x", AT, None)).summary


def test_a_closed_period_lists_every_category() -> None:
    facts = PeriodClosed(
        "2026-10",
        "CHF",
        AT,
        Decimal(10000),
        [
            CategoryTotal("critical", Decimal(4000), Decimal("2500")),
            CategoryTotal("batch", Decimal(2500), Decimal("2600.10")),
            CategoryTotal("other", Decimal(0), Decimal(5)),
        ],
    )
    message = render(facts)
    assert message.title == "2026-10 closed: 5,105.10 CHF of 10,000.00 CHF spent (51.1%)"
    assert message.summary == "Over their allocation: batch."
    assert message.sections == [
        (
            "Categories",
            [
                "critical: 2,500.00 CHF of 4,000.00 CHF (62.5%)",
                "batch: 2,600.10 CHF of 2,500.00 CHF (104%) over",
                "other: 5.00 CHF of 0.00 CHF (-)",
            ],
        )
    ]
