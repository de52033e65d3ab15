"""The spend page in real Chromium on the demo month: its totals are those of `governance spend
--by X --json` for every grouping, a filter changes what every chart plots, the CSV download
is the table shown (money exact), and an empty ledger shows what to run."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from dashboard.theme import money
from governance.ledger.spend_view import Dimension
from governance.services.reports import spend_document
from tests.e2e.browser import NOW, SCREENSHOTS, Site, open_page, wait_for_graphs

TABLE_ROWS = """() => [...document.querySelectorAll('#spend-rows tbody tr')].map(
    tr => [...tr.querySelectorAll('td')].map(td => td.textContent))"""
PLOTTED = """id => document.querySelector(`#${id} .js-plotly-plot`).data.map(
    t => ({name: t.name, x: t.x, y: t.y}))"""


def _document(site: Site, by: Dimension) -> dict[str, Any]:
    governance = site.governance
    return spend_document(governance.config, governance.engine, by, governance.period(), NOW)


def _group_by(page: Any, by: str) -> None:
    page.locator(f'#spend-by label:has-text("{by}")').click()
    page.wait_for_function(
        "by => document.querySelector('#spend-rows th')?.textContent === by", arg=by
    )
    wait_for_graphs(page)


def _choose(page: Any, dropdown: str, value: str) -> None:
    before = page.locator("#spend-total").inner_text()
    page.locator(f"#{dropdown}").click()
    page.locator(f'.dash-dropdown-content [role=option]:has-text("{value}")').click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "before => document.querySelector('#spend-total').textContent !== before", arg=before
    )
    wait_for_graphs(page)


def test_totals_agree_with_governance_spend_for_every_grouping(page: Any, demo_site: Site) -> None:
    open_page(page, demo_site.url + "/spend", "spend")
    assert page.locator("#spend-by-day .barlayer .trace").count() > 0
    assert page.locator("#spend-totals .barlayer .trace").count() > 0
    for by in ("tier", "category", "model", "team", "provider"):
        if by != "tier":
            _group_by(page, by)
        document = _document(demo_site, by)
        want = [[r["key"] or "(none)", money(Decimal(r["cost"]), "USD")] for r in document["rows"]]
        assert [row[:2] for row in page.evaluate(TABLE_ROWS)] == want, by
        total = money(Decimal(document["total"]), "USD")
        assert page.locator("#spend-total").inner_text() == f"November 2026: {total}"
        names = {t["name"] for t in page.evaluate(PLOTTED, "spend-by-day")}
        assert names == {key for key, _ in want if key}, by


def test_a_filter_changes_every_chart_and_the_table(page: Any, demo_site: Site) -> None:
    open_page(page, demo_site.url + "/spend")
    _group_by(page, "model")
    before = {g: page.evaluate(PLOTTED, g) for g in ("spend-by-day", "spend-totals")}
    table_before = page.evaluate(TABLE_ROWS)
    _choose(page, "spend-team", "data-eng")
    after = {g: page.evaluate(PLOTTED, g) for g in ("spend-by-day", "spend-totals")}
    for graph in before:
        assert after[graph] != before[graph], graph
    assert page.evaluate(TABLE_ROWS) != table_before
    by_team = {r["key"]: r["cost"] for r in _document(demo_site, "team")["rows"]}
    expected = money(Decimal(by_team["data-eng"]), "USD")
    assert page.locator("#spend-total").inner_text() == f"November 2026: {expected}"
    page.screenshot(path=str(SCREENSHOTS / "spend-filtered.png"), full_page=True)


def test_the_csv_download_is_the_table_shown(page: Any, demo_site: Site) -> None:
    open_page(page, demo_site.url + "/spend")
    _choose(page, "spend-category", "batch")
    with page.expect_download() as download:
        page.locator("#spend-csv").click()
    assert download.value.suggested_filename == "spend-2026-11-by-tier.csv"
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    header = page.evaluate(
        "[...document.querySelectorAll('#spend-rows th')].map(t => t.textContent)"
    )
    assert rows[0] == header == [
        "tier", "spend (USD)", "share", "requests", "input tokens", "output tokens"
    ]  # fmt: skip
    shown = page.evaluate(TABLE_ROWS)
    assert len(rows) - 1 == len(shown) > 0
    for (tier, cost, share, *counts), cells in zip(rows[1:], shown, strict=True):
        assert len(cost.partition(".")[2]) > 2  # exact, not rounded to the cent
        assert [tier, money(Decimal(cost), "USD"), share] == cells[:3]
        assert [f"{int(n):,}" for n in counts] == cells[3:]


def test_an_empty_ledger_shows_what_to_run(page: Any, empty_site: Site) -> None:
    open_page(page, empty_site.url + "/spend", "spend-empty")
    assert "governance ingest PATH" in page.locator(".guidance").inner_text()
    assert page.locator(".js-plotly-plot").count() == 0
