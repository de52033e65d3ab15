"""The read models of the Directives & alerts, Data, Bill and Economics pages, on SQLite and
PostgreSQL: what each page shows, from rows written as the ingest and evaluation write them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import plotly.utils
from sqlalchemy import insert

from dashboard import theme
from dashboard.context import PageContext
from dashboard.pages import directives as directives_page
from governance.ledger import evaluations as store
from governance.ledger.read_models.bill import read_bill
from governance.ledger.read_models.economics import read_economics
from governance.ledger.read_models.sources import read_quarantine, read_sources, read_unpriced
from governance.ledger.tables import alert_channel_state, directives, ingest_runs, quarantine
from governance.services.activity import read_activity
from governance.services.evaluate import run_evaluation
from tests.factories import insert_rows, ledger_row
from tests.integration.conftest import NOW, AppFactory

D = Decimal
SMALL = ('amount = "50000.00"', 'amount = "1000.00"')  # batch: 25% = 250.00


def nov(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def page_text(component: Any) -> str:
    """Everything a rendered page says, as one string to search."""
    return json.dumps(component.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)


def test_activity_shows_directives_revoked_and_the_delivery_problem(make_app: AppFactory) -> None:
    app = make_app(replace=SMALL)
    insert_rows(
        app.engine,
        [ledger_row(category="batch", tier="premium", cost=D(20), occurred_at=nov(n))
         for n in range(1, 6)],
    )  # fmt: skip
    run_evaluation(app.config, app.engine, nov(6, 0), nov(6, 0))
    with app.engine.begin() as conn:
        assert store.revoke(conn, "2026-11/batch/premium-standard", "ops", "launch week", nov(6))
        conn.execute(
            insert(alert_channel_state).values(
                target="slack", reason="token_revoked: the token was revoked",
                failed_hash="h", failed_at=nov(6, 13),
            )
        )  # fmt: skip

    activity = read_activity(app)
    [revoked] = activity.directives
    assert (revoked.status, revoked.revoked_by, revoked.revoke_reason) == (
        "revoked", "ops", "launch week",
    )  # fmt: skip
    assert (revoked.trigger.level, revoked.trigger.basis) == (90, "forecast")
    assert revoked.trigger.allocation == D("250.00") and activity.active == []
    assert {a.kind for a in activity.alerts} == {"crossing"}
    assert all(a.status == "pending" for a in activity.alerts)
    assert [(p.target, p.since) for p in activity.problems] == [("slack", nov(6, 13))]
    assert activity.alerts_configured is False

    theme.register_template()
    text = page_text(directives_page.layout(PageContext(app)))
    assert "Alerts are not being delivered" in text and "token_revoked" in text
    assert "by ops: launch week" in text and "forecast \\u2265 90%" in text


SOURCES = """
[[sources]]
name = "gateway"
format = "litellm"
path = "/var/log/litellm/*.jsonl"
every = "5m"

[[sources]]
name = "never-read"
format = "litellm"
path = "/nowhere/*.jsonl"
"""


def run(source: str, finished: datetime, status: str = "ok", **counts: Any) -> dict[str, Any]:
    values = {"read": 0, "added": 0, "duplicates": 0, "quarantined": 0, "error": None, **counts}
    return {"source": source, "started_at": finished - timedelta(minutes=1),
            "finished_at": finished, "status": status, "cost": D(0), **values}  # fmt: skip


def test_sources_flag_the_stale_and_the_failing(make_app: AppFactory) -> None:
    app = make_app(SOURCES)
    with app.engine.begin() as conn:
        conn.execute(
            insert(ingest_runs),
            [
                run("gateway", NOW - timedelta(hours=2), read=10, added=9, quarantined=1),
                run("gateway", NOW - timedelta(minutes=1), "failed", error="disk gone"),
                run("manual", NOW - timedelta(days=2), read=5, added=3, duplicates=2),
            ],
        )
        rows = {r.name: r for r in read_sources(conn, app.config, NOW)}
    assert list(rows) == ["gateway", "never-read", "manual"]
    gateway, never, manual = rows.values()
    assert gateway.stale and gateway.lag == timedelta(hours=2)
    assert (gateway.last_status, gateway.last_error, gateway.runs) == ("failed", "disk gone", 2)
    assert (gateway.read, gateway.added, gateway.quarantined) == (10, 9, 1)
    assert never.stale and never.last_success is None and never.runs == 0
    assert not manual.stale and manual.every is None and manual.duplicates == 2


def held(source: str, reason: str, n: int) -> dict[str, Any]:
    return {"source": source, "format": "litellm", "location": f"f.jsonl:{n}", "reason": reason,
            "raw": "{}", "fingerprint": f"fp{n}", "seen_at": nov(1) + timedelta(minutes=n),
            "status": "held"}  # fmt: skip


def test_the_quarantine_is_filtered_and_paged_in_sql(make_app: AppFactory) -> None:
    app = make_app()
    with app.engine.begin() as conn:
        conn.execute(
            insert(quarantine),
            [
                held("litellm", "missing field 'startTime'", 1),
                held("litellm", "cost 100% off", 2),
                held("openai-costs", "cost is in GBP and [fx] has no GBP rate", 3),
                held("litellm", "not_json", 4) | {"status": "released"},
            ],
        )
        everything = read_quarantine(conn)
        assert (everything.total, everything.sources) == (3, ["litellm", "openai-costs"])
        assert [h.location for h in everything.items] == ["f.jsonl:3", "f.jsonl:2", "f.jsonl:1"]
        assert read_quarantine(conn, source="litellm").total == 2
        assert [h.location for h in read_quarantine(conn, reason="GBP").items] == ["f.jsonl:3"]
        assert read_quarantine(conn, reason="STARTTIME").total == 1  # any case
        assert read_quarantine(conn, reason="%").total == 1  # a literal percent sign
        assert read_quarantine(conn, reason="_").total == 0  # a literal underscore
        paged = read_quarantine(conn, source="litellm", limit=1, offset=1)
        assert (paged.total, [h.location for h in paged.items]) == (2, ["f.jsonl:1"])


def test_unpriced_models_come_from_the_rollup(make_app: AppFactory) -> None:
    app = make_app()
    insert_rows(
        app.engine,
        [
            ledger_row(model="ft-7b", provider="vllm", tier="unclassified", cost=D(0),
                       cost_basis="unpriced", occurred_at=nov(2)),
            ledger_row(model="ft-7b", provider="vllm", tier="unclassified", cost=D(0),
                       cost_basis="unpriced", occurred_at=nov(5)),
            ledger_row(model="ft-7b", provider="vllm", tier="unclassified", cost=D(0),
                       cost_basis="reported", occurred_at=nov(5), requests=3),
            ledger_row(),  # priced: not listed
        ],
    )  # fmt: skip
    with app.engine.connect() as conn:
        [found] = read_unpriced(conn)
    assert (found.provider, found.model, found.unpriced, found.requests) == ("vllm", "ft-7b", 2, 5)
    assert (found.first_day, found.last_day) == (date(2026, 11, 2), date(2026, 11, 5))


def spend(provider: str, layer: str, day: int, cost: str, **more: Any) -> dict[str, Any]:
    return ledger_row(provider=provider, layer=layer, occurred_at=nov(day), cost=D(cost),
                      source=layer, **more)  # fmt: skip


def test_bill_against_gateway_per_provider_day(make_app: AppFactory) -> None:
    app = make_app()
    insert_rows(
        app.engine,
        [
            spend("openai", "gateway", 1, "100"), spend("openai", "billing", 1, "103"),
            spend("openai", "gateway", 2, "60"), spend("openai", "gateway", 2, "40"),
            spend("openai", "billing", 2, "94"),
            spend("openai", "gateway", 3, "50"),
            spend("google", "billing", 1, "7"),
            ledger_row(occurred_at=datetime(2026, 10, 31, 12, tzinfo=UTC)),  # another period
        ],
    )  # fmt: skip
    with app.engine.connect() as conn:
        days = {(d.provider, d.day.day): d for d in read_bill(conn, app.period(), NOW)}
    assert list(days) == [("google", 1), ("openai", 1), ("openai", 2), ("openai", 3)]
    assert days["openai", 1].drift == D(3) and not days["openai", 1].flagged
    assert days["openai", 2].drift == D(-6) and days["openai", 2].flagged
    assert days["openai", 2].gateway == D(100)
    assert (days["openai", 3].drift, days["openai", 3].state) == (None, "no bill yet")
    assert days["google", 1].state == "no gateway traffic"


def directive_row(conn: Any, effective: datetime) -> None:
    evaluation = store.record_evaluation(conn, "2026-11", effective, effective, "hash", {})
    conn.execute(
        insert(directives).values(
            id="2026-11/batch/premium-standard", period="2026-11", category="batch",
            from_tier="premium", to_tier="standard",
            trigger={"level": 90, "basis": "forecast", "spend": "1", "allocation": "2"},
            reason="r", substitutes={}, effective_from=effective,
            expires_at=datetime(2026, 12, 1, tzinfo=UTC), origin="auto", status="active",
            evaluation_id=evaluation,
        )
    )  # fmt: skip


def batch(tier: str, day: int, requests: int, cost: str, model: str = "m") -> dict[str, Any]:
    return ledger_row(category="batch", tier=tier, requests=requests, cost=D(cost),
                      occurred_at=nov(day), model=model)  # fmt: skip


def test_economics_mix_cost_savings_and_top_model(make_app: AppFactory) -> None:
    app = make_app()
    rows = [batch("premium", n, 8, "8.00", "gpt-4o") for n in range(1, 10)]
    rows += [batch("standard", n, 2, "0.20") for n in range(1, 10)]
    rows += [batch("premium", 10, 5, "5.00"), batch("standard", 10, 5, "0.50")]  # mixed day
    rows += [batch("standard", n, 10, "1.00") for n in range(11, 24)]
    rows.append(spend("google", "billing", 3, "50", category="critical", tier="premium",
                      requests=0))  # fmt: skip
    insert_rows(app.engine, rows)
    with app.engine.begin() as conn:
        directive_row(conn, nov(10))

    economics = read_economics(app.engine, app.period(), NOW)
    [effect] = economics.directives
    # Before: 72 premium at 1.00 and 18 standard (20%) at 0.10; after: 130 standard, of which
    # 26 would have been standard anyway: 104 rerouted, each 1.00 - 0.10 cheaper.
    assert (effect.savings.rerouted, effect.savings.saved) == (104, D("93.60"))
    assert effect.days_after == 14
    assert economics.requests_by_tier() == {"premium": 77, "standard": 153}
    assert economics.cost_by_tier() == {"premium": D("127.00"), "standard": D("15.30")}
    assert economics.uncounted == {"critical": {"premium": D(50)}}
    mix = economics.at_mix()
    assert mix["critical"].actual == mix["critical"].at_mix == D(50)  # nothing to re-weight
    assert mix["batch"].actual == D("92.30") and mix["batch"].at_mix < mix["batch"].actual
    assert economics.top_model is not None and economics.top_model.model == "gpt-4o"
    assert economics.top_model.spend == D("72.00")
    assert economics.top_model.monthly == D("72.00") * 30 / D("23.5")
