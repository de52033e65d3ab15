"""The Directives & alerts, Data, Bill vs gateway and Economics pages in real Chromium on the
demo month (billing drift, four bad records, an unpriced fine-tune, batch's directives): each
draws its charts and shows what the read models read; the quarantine filter narrows the
table, the payback calculator answers (and explains bad input), a permanent alert delivery
error is shown first, and an empty ledger shows what to run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from dashboard.theme import money, percent
from governance.domain.economics import shares
from governance.ledger import evaluations
from governance.ledger.read_models.bill import read_bill
from governance.ledger.read_models.economics import read_economics
from governance.ledger.tables import alert_channel_state, ingest_runs
from tests.e2e.browser import NOW, SCREENSHOTS, Site, open_page

ROWS = """id => [...document.querySelectorAll(`#${id} tbody tr`)].map(
    tr => [...tr.querySelectorAll('td')].map(td => td.textContent))"""


def _traces(page: Any, graph: str, layer: str = "barlayer") -> int:
    return int(page.locator(f"#{graph} .{layer} .trace").count())


def _choose(page: Any, dropdown: str, value: str, table: str) -> None:
    before = page.evaluate(ROWS, table)
    page.locator(f"#{dropdown}").click()
    page.locator(f'.dash-dropdown-content [role=option]:has-text("{value}")').click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "([id, n]) => document.querySelectorAll(`#${id} tbody tr`).length !== n",
        arg=[table, len(before)],
    )


def test_directives_and_alerts(page: Any, demo_site: Site) -> None:
    open_page(page, demo_site.url + "/activity", "activity")
    assert _traces(page, "directive-timeline") == 2
    ids = page.eval_on_selector_all(
        "#directives-table tbody tr", "rows => rows.map(r => r.dataset.directive)"
    )
    assert sorted(ids) == ["2026-11/batch/premium-standard", "2026-11/batch/standard-economy"]
    table = page.locator("#directives-table").inner_text()
    with demo_site.governance.engine.connect() as conn:
        stored = {row.id: row for row in evaluations.all_rows(conn)}
    # `governance demo` evaluated each midnight: each directive began on the day it was crossed,
    # on what that evaluation saw (the forecast's own figures are the forecast tests' concern).
    forecast = stored["2026-11/batch/premium-standard"]
    assert f"forecast ≥ 90%: {money(Decimal(forecast.trigger['forecast']), 'USD')} of " in table
    assert "batch has spent $12,808.23 of its $12,500.00 allocation" in table  # on 23 Nov
    assert f"{forecast.effective_from:%-d %b %Y} 00:00 UTC" in table
    assert "23 Nov 2026 00:00 UTC" in table
    assert page.locator('[data-field="active"]').inner_text() == "2"
    alerts = page.evaluate(ROWS, "alerts-table")
    # One per evaluation that crossed levels (how many depends on the forecast's figures).
    assert {tuple(a[1:3]) for a in alerts} == {("crossing", "batch")} and len(alerts) >= 3
    assert alerts[0][3] == "batch has reached 100% of its allocation"  # the newest first
    # Not "next attempt <a time gone by>": nothing will attempt them until a channel exists.
    assert {a[4] for a in alerts} == {"waiting: no channel configured"}
    assert page.locator("#delivery-problem").count() == 0


def test_a_permanent_delivery_error_comes_first(page: Any, empty_site: Site) -> None:
    with empty_site.governance.engine.begin() as conn:
        conn.execute(
            insert(alert_channel_state).values(
                target="slack:#data-eng", reason="channel_not_found: no such channel",
                failed_hash="h", failed_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
            )
        )  # fmt: skip
    open_page(page, empty_site.url + "/activity", "activity-problem")
    problem = page.locator("#delivery-problem")
    assert problem.is_visible() and problem.bounding_box()["y"] < 200
    text = problem.inner_text()
    assert "slack:#data-eng: channel_not_found: no such channel" in text
    assert "24 Nov 2026 09:00 UTC" in text


def test_data_sources_quarantine_and_unpriced(page: Any, demo_site: Site) -> None:
    open_page(page, demo_site.url + "/data", "data")
    assert _traces(page, "source-lag") == 1
    sources = {row[0]: row for row in page.evaluate(ROWS, "sources-table")}
    assert set(sources) == {"litellm", "openai-costs", "anthropic-cost", "focus"}
    assert sources["litellm"][6:] == ["45,078", "45,075", "0", "3"]
    assert page.locator('[data-field="quarantined"]').inner_text() == "4"
    assert len(page.evaluate(ROWS, "quarantine-rows")) == 4
    [unpriced] = page.evaluate(ROWS, "unpriced-table")
    assert unpriced[:3] == ["hosted_vllm", "acme-ft-7b", "454"]

    _choose(page, "quarantine-source", "litellm", "quarantine-rows")
    assert {row[0] for row in page.evaluate(ROWS, "quarantine-rows")} == {"litellm"}
    assert len(page.evaluate(ROWS, "quarantine-rows")) == 3
    page.locator("#quarantine-reason").fill("NEGATIVE cost")
    page.wait_for_function(
        "() => document.querySelectorAll('#quarantine-rows tbody tr').length === 1"
    )
    [row] = page.evaluate(ROWS, "quarantine-rows")
    assert row[2].startswith("negative cost -0.0952525")
    assert page.locator("#quarantine-count").inner_text() == "1 held record(s)"
    page.screenshot(path=str(SCREENSHOTS / "data-filtered.png"), full_page=True)


def _lag_chart(page: Any) -> tuple[str, list[float], list[str]]:
    chart = page.evaluate(
        "() => { const g = document.querySelector('#source-lag .js-plotly-plot');"
        " return [g.layout.xaxis.title.text, g.data[0].x, g.data[0].text]; }"
    )
    return str(chart[0]), [float(x) for x in chart[1]], [str(t) for t in chart[2]]


def test_the_lag_axis_and_its_bars_count_in_one_unit(page: Any, empty_site: Site) -> None:
    def ran(source: str, ago: timedelta) -> None:
        with empty_site.governance.engine.begin() as conn:
            conn.execute(
                insert(ingest_runs).values(
                    source=source, status="ok", started_at=NOW - ago, finished_at=NOW - ago
                )
            )

    for source, ago, unit, short in (
        ("litellm", timedelta(minutes=15), "minutes", "min"),  # minutes while all are short
        ("openai-costs", timedelta(hours=5), "hours", "h"),  # then hours, 15 min as 0.2 h
    ):  # fmt: skip
        ran(source, ago)
        open_page(page, f"{empty_site.url}/data", f"data-lag-{unit}")
        title, xs, labels = _lag_chart(page)
        assert title == f"{unit} since the last successful run"
        for x, label in zip(xs, labels, strict=True):
            number, said = label.split(" ")
            assert said == short and abs(float(number) - x) <= 0.05, (x, label)
    assert labels == ["0.2 h", "5.0 h"]


def test_the_freshness_line_is_said_once_per_page(page: Any, demo_site: Site) -> None:
    for path in ("", "spend", "activity", "data", "bill", "economics"):
        open_page(page, f"{demo_site.url}/{path}")
        text = page.locator("#page").inner_text()
        assert text.count("data as of") == 1, path
        assert page.locator("#asof").inner_text().startswith("data as of 24 Nov 2026"), path


def test_bill_against_gateway(page: Any, demo_site: Site) -> None:
    governance = demo_site.governance
    with governance.engine.connect() as conn:
        days = read_bill(conn, governance.period(), NOW)
    flagged = sorted((d.provider, f"{d.day:%a %-d %b}") for d in days if d.flagged)
    assert len(flagged) == 2  # the demo drifts one day per billed provider beyond 5%
    open_page(page, demo_site.url + "/bill", "bill")
    assert _traces(page, "bill-drift", "scatterlayer") == 2  # anthropic and openai
    assert _traces(page, "bill-amounts") == 4  # gateway and bill for each
    assert page.locator('[data-field="flagged"]').inner_text() == "2"
    shown = page.eval_on_selector_all(
        "#bill-table tr.flagged",
        "rows => rows.map(r => [r.cells[1].textContent, r.cells[0].textContent])",
    )
    assert sorted(tuple(r) for r in shown) == flagged
    rows = page.evaluate(ROWS, "bill-table")
    assert any(row[4] == "no bill yet" for row in rows)
    assert len(rows) == len(days)

    page.locator("#bill-flagged input").check()
    page.wait_for_function("() => document.querySelectorAll('#bill-table tbody tr').length === 2")
    assert all("beyond 5%" in row[5] for row in page.evaluate(ROWS, "bill-table"))


def _answer(page: Any, expected: str, **inputs: str) -> str:
    """Type ``inputs`` into the calculator; its answer once it says ``expected``."""
    for name, value in inputs.items():
        page.locator(f"#payback-{name}").fill(value)
    page.wait_for_function(
        "text => document.querySelector('#payback-answer').innerText.includes(text)", arg=expected
    )
    return str(page.locator("#payback-answer").inner_text())


def test_economics_and_the_payback_calculator(page: Any, demo_site: Site) -> None:
    governance = demo_site.governance
    economics = read_economics(governance.engine, governance.period(), NOW)
    open_page(page, demo_site.url + "/economics", "economics")
    assert _traces(page, "tier-mix") == 4  # premium, standard, economy, unclassified
    assert _traces(page, "mix-cost") == 2  # actual and at the recommended mix
    by_requests = shares(economics.requests_by_tier())
    for tier in ("premium", "standard", "economy"):
        assert page.locator(f'[data-field="share-{tier}"]').inner_text() == percent(
            by_requests[tier]
        )
    assert "over" in (page.locator('[data-field="share-premium"]').get_attribute("class") or "")
    assert len(page.evaluate(ROWS, "savings")) == 2
    assert page.locator("#payback-current").input_value() == str(
        economics.top_model.monthly.quantize(Decimal("0.01"))  # type: ignore[union-attr]
    )
    assert "pays back in" in page.locator("#payback-answer").inner_text()

    answer = _answer(page, "10.0", investment="$30,000", current="5000", projected="2000.00")
    assert answer == "Saves $3,000.00 a month: pays back in 10.0 months (within a year)."
    assert "saves nothing" in _answer(page, "never pays back", projected="6000")
    error = _answer(page, "Cannot answer", investment="lots")
    assert (
        error == "Cannot answer: the fine-tuning cost must be an amount such as 20000 or 20,000.50."
    )
    page.screenshot(path=str(SCREENSHOTS / "economics-payback.png"), full_page=True)


def test_an_empty_ledger_shows_guidance_on_every_page(page: Any, empty_site: Site) -> None:
    for path in ("activity", "data", "bill", "economics"):
        open_page(page, f"{empty_site.url}/{path}", f"{path}-empty")
        assert "governance ingest PATH" in page.locator(".guidance").inner_text(), path
        assert page.locator(".js-plotly-plot").count() == 0, path
