"""The overview page in real Chromium on the demo month: every category's burn chart is drawn,
its numbers are those of `governance status --json`, the category over its allocation is
marked and explained, and an empty ledger shows what to run instead of blank charts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dashboard.theme import money
from governance.services.reports import status_document
from tests.e2e.browser import NOW, Site, open_page


def _status(site: Site) -> dict[str, Any]:
    governance = site.governance
    return status_document(governance.config, governance.engine, governance.period(), NOW)


def _field(page: Any, category: str, field: str) -> str:
    return str(page.locator(f'[data-category="{category}"] [data-field="{field}"]').inner_text())


def test_overview_shows_each_category_as_governance_status_does(page: Any, demo_site: Site) -> None:
    open_page(page, demo_site.url + "/", "overview")
    status = _status(demo_site)
    currency = status["currency"]
    shown = [c for c in status["categories"] if c["allocation"] != "0.00" or c["spend"] != "0.00"]
    assert [c["name"] for c in shown] == ["critical", "standard", "batch"]
    for category in shown:
        name = category["name"]
        for field in ("allocation", "spend", "forecast"):
            assert _field(page, name, field) == money(Decimal(category[field]), currency)
        traces = page.locator(f"#burn-{name} .scatterlayer .trace").count()
        assert traces >= 4, f"{name}: burn chart not drawn"  # spend, forecast, band, pace
        band = f"{money(Decimal(category['forecast_low']), currency)} to "
        assert band in page.locator(f'[data-category="{name}"] .facts').inner_text()
    total = sum((Decimal(c["spend"]) for c in status["categories"]), Decimal(0))
    assert page.locator('.cards [data-field="spend"]').inner_text() == money(total, currency)
    assert page.locator('.cards [data-field="budget"]').inner_text() == "$50,000.00"
    assert page.locator("#asof").inner_text().startswith("data as of 24 Nov 2026")


def test_the_category_over_allocation_is_marked_and_explained(page: Any, demo_site: Site) -> None:
    open_page(page, demo_site.url + "/")
    batch = page.locator('[data-category="batch"]')
    assert "over" in (batch.locator('[data-field="percent"]').get_attribute("class") or "")
    assert batch.locator('[data-field="state"]').inner_text() == "over allocation"
    assert page.locator('.cards [data-field="over"]').inner_text() == "batch"
    for calm in ("critical", "standard"):
        percent = page.locator(f'[data-category="{calm}"] [data-field="percent"]')
        assert "over" not in (percent.get_attribute("class") or "").split()
    text = batch.inner_text()
    assert "premium → standard" in text and "standard → economy" in text
    assert "batch is forecast to spend" in text and "batch has spent" in text  # the reasons
    assert "Top models: claude-3-opus" in text and "Top teams: data-eng" in text
    # The burn chart draws the 70/90/100% levels and the forecast band up to the period end.
    plotted = page.evaluate("document.querySelector('#burn-batch .js-plotly-plot').data")
    assert plotted[-1]["x"][0].startswith("2026-11-01") and len(plotted[-1]["x"]) == 24
    assert any(t["x"][-1].startswith("2026-11-30") for t in plotted if t.get("fill"))
    levels = page.locator("#burn-batch .annotation-text").all_text_contents()
    assert {"70%", "90%", "100%"} <= set(levels)


def test_an_empty_ledger_shows_what_to_run(page: Any, empty_site: Site) -> None:
    open_page(page, empty_site.url + "/", "overview-empty")
    guidance = page.locator(".guidance").inner_text()
    for command in ("governance demo", "governance ingest PATH", "[[sources]]"):
        assert command in guidance
    assert page.locator(".js-plotly-plot").count() == 0
