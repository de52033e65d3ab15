"""The overview in real Chromium on the 1st and the 20th of a month, the clock stopped there:
each category's state is the worse of the levels its spend and its forecast reached, in that
level's colour; forecast crossings are said to wait until day 4 while they must; while the
period has only begun a notice links to the last full period; the period picker offers the
periods with data and puts its choice in the URL.

The ledger is written here (last month whole, this month up to the clock), each category at
its own even pace: critical at 50% of its allocation, standard at 80%, batch at 115%.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from dashboard.theme import level_colour
from governance.config import parse_config
from governance.context import Governance
from governance.demo.run import replay_evaluations
from governance.domain.periods import Period, period_for_label
from governance.domain.thresholds import FORECAST_MIN_DAYS, reaches
from governance.ledger.tables import ingest_runs
from governance.services.evaluate import run_evaluation
from governance.services.reports import status_document
from tests.e2e.browser import Site, demo_governance, open_page, serve_site, site_config_text
from tests.factories import insert_rows, ledger_row

PACE = {"critical": Decimal("0.5"), "standard": Decimal("0.8"), "batch": Decimal("1.15")}
SPENDER = {  # provider, model, tier, team
    "critical": ("openai", "gpt-4o", "premium", "payments"),
    "standard": ("anthropic", "claude-3-5-haiku-latest", "standard", "support"),
    "batch": ("openai", "gpt-4o-mini", "standard", "data-eng"),
}
MONTH = "2026-12"  # the current period of both sites; the clock is fixed, never today's
WAIT = f"forecast crossings start on day {math.floor(FORECAST_MIN_DAYS) + 1}"  # DESIGN 6


def moment(day: int, hour: int) -> datetime:
    """``hour`` o'clock on ``day`` of MONTH in the sites' budget timezone."""
    zone = parse_config(site_config_text(), "governance.toml", Path(".")).budget.timezone
    return period_for_label(MONTH, zone).day_starts()[day - 1] + timedelta(hours=hour)


def paced_rows(app: Governance, period: Period, until: datetime) -> list[dict[str, Any]]:
    """One row an hour per category, at its PACE of its allocation over the period."""
    starts = period.day_starts()
    rows = []
    for name, pace in PACE.items():
        share = app.config.categories[name].share
        hourly = app.config.budget.amount * share / 100 * pace / (period.days * 24)
        provider, model, tier, team = SPENDER[name]
        for start, end in zip(starts, [*starts[1:], period.end], strict=True):
            for at in (start + timedelta(hours=h, minutes=10) for h in range(25)):
                if at < min(end, until):
                    rows.append(
                        ledger_row(category=name, provider=provider, model=model, tier=tier,
                                   team=team, cost=hourly.quantize(Decimal("0.000001")),
                                   occurred_at=at, ingested_at=at)
                    )  # fmt: skip
    return rows


def paced_site(directory: Path, now: datetime) -> Iterator[Site]:
    """Last month whole and this one up to ``now``, evaluated as a running daemon would."""
    app = demo_governance(directory, now=now)
    current = app.period()
    previous = current.previous()
    insert_rows(app.engine, paced_rows(app, previous, previous.end))
    insert_rows(app.engine, paced_rows(app, current, now))
    with app.engine.begin() as conn:
        conn.execute(
            insert(ingest_runs).values(source="litellm", status="ok", read=1, added=1,
                                       started_at=now - timedelta(minutes=16),
                                       finished_at=now - timedelta(minutes=15))
        )  # fmt: skip
    replay_evaluations(app, previous, previous.end)
    run_evaluation(app.config, app.engine, previous.end, previous.end)
    replay_evaluations(app, current, now)
    run_evaluation(app.config, app.engine, now, now)
    yield from serve_site(app)
    app.close()


@pytest.fixture(scope="module")
def day_one(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from paced_site(tmp_path_factory.mktemp("day-one"), moment(1, 9))


@pytest.fixture(scope="module")
def day_twenty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from paced_site(tmp_path_factory.mktemp("day-twenty"), moment(20, 12))


def expected_states(site: Site) -> dict[str, tuple[int | None, str]]:
    """Per category, from `governance status`: the worse level reached and its basis."""
    app = site.governance
    status = status_document(app.config, app.engine, app.period(), app.clock())
    levels = app.config.budget.thresholds
    states = {}
    for c in status["categories"]:
        allocation = Decimal(c["allocation"])
        if allocation == 0:
            continue
        reached = {
            basis: max((x for x in levels if reaches(Decimal(c[key]), allocation, x)), default=None)
            for basis, key in (("actual", "spend"), ("forecast", "forecast"))
        }
        actual, forecast = reached["actual"], reached["forecast"]
        worse = forecast is not None and (actual is None or forecast > actual)
        states[c["name"]] = (forecast, "forecast") if worse else (actual, "actual")
    return states


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def check_states(page: Any, site: Site) -> dict[str, tuple[int | None, str]]:
    """Each category's badge says its state, in its level's colour, with the forecast's
    percentage when the forecast is what put it there."""
    levels = site.governance.config.budget.thresholds
    states = expected_states(site)
    for name, (level, basis) in states.items():
        badge = page.locator(f'[data-category="{name}"] [data-field="state"]')
        assert badge.get_attribute("data-level") == (None if level is None else str(level)), name
        text = badge.inner_text()
        if level is None:
            assert text == f"below {min(levels)}%", name
            continue
        assert badge.get_attribute("data-basis") == basis, name
        fill = badge.evaluate("e => getComputedStyle(e).backgroundColor")
        assert fill == rgb(level_colour(level, levels)), name
        if basis == "forecast":
            forecast = page.locator(f'[data-category="{name}"] [data-field="forecast"]')
            percent = forecast.locator("xpath=../td[last()]").inner_text()
            assert text.startswith(f"forecast {percent}: "), name
    return states


def test_on_the_first_the_forecast_says_the_state_and_crossings_wait(
    page: Any, day_one: Site
) -> None:
    open_page(page, day_one.url + "/", "overview-day1")
    states = check_states(page, day_one)
    # The pace of each category shows in its forecast, not in its day's spend.
    assert states == {
        "critical": (None, "actual"),
        "standard": (70, "forecast"),
        "batch": (100, "forecast"),
    }
    standard = page.locator('[data-category="standard"]')
    assert standard.locator('[data-field="percent"]').inner_text().endswith("of allocation used")
    assert standard.locator('[data-field="state"]').inner_text().endswith(": past 70%")
    for name in ("standard", "batch"):
        panel = page.locator(f'[data-category="{name}"]')
        assert panel.locator('[data-field="forecast-wait"]').inner_text() == WAIT
        assert panel.locator(".directives").inner_text() == f"No downgrade in force: {WAIT}."
    assert page.locator('[data-category="critical"] [data-field="forecast-wait"]').count() == 0


def test_on_the_first_a_notice_links_to_the_last_full_period(page: Any, day_one: Site) -> None:
    open_page(page, day_one.url + "/")
    notice = page.locator("#period-begun")
    assert notice.inner_text().startswith("December 2026 has only begun (day 1 of 31)")
    assert WAIT in notice.inner_text()
    link = page.locator("#last-full-period")
    assert link.inner_text() == "See November 2026, the last full period"
    assert link.get_attribute("href") == "/?period=2026-11"
    link.click()
    page.wait_for_selector("text=Overview: November 2026")
    assert page.url.endswith("/?period=2026-11")
    assert page.locator("#period-begun").count() == 0
    assert page.locator("#overview-period").inner_text().startswith("November 2026")
    # November whole: batch went over, and its downgrades are those it had.
    batch = page.locator('[data-category="batch"]')
    assert batch.locator('[data-field="state"]').inner_text() == "over allocation"
    assert "Downgraded in this period:" in batch.inner_text()
    plotted = page.evaluate("document.querySelector('#burn-batch .js-plotly-plot').data")
    assert [t["name"] for t in plotted] == ["even pace", "spent"]  # nothing left to forecast
    assert WAIT not in page.locator("#page").inner_text()
    open_page(page, day_one.url + "/?period=2026-11", "overview-day1-last-month")


def test_on_the_twentieth_the_picker_offers_the_periods_with_data(
    page: Any, day_twenty: Site
) -> None:
    open_page(page, day_twenty.url + "/", "overview-day20")
    states = check_states(page, day_twenty)
    assert states["standard"] == (70, "forecast") and states["critical"] == (None, "actual")
    assert page.locator("#period-begun").count() == 0
    assert WAIT not in page.locator("#page").inner_text()
    assert "70% forecast on" in page.locator('[data-category="standard"] .crossed').inner_text()

    page.locator("#overview-period").click()
    options = page.locator(".dash-dropdown-content [role=option]").all_inner_texts()
    assert options == ["December 2026 (current)", "November 2026"]
    page.locator('.dash-dropdown-content [role=option]:has-text("November 2026")').click()
    page.wait_for_selector("text=Overview: November 2026")
    assert page.url.endswith("/?period=2026-11")


def test_a_period_that_is_no_period_says_so(page: Any, day_twenty: Site) -> None:
    open_page(page, day_twenty.url + "/?period=2026-13")
    assert "2026-13" in page.locator("#period-problem").inner_text()
    assert page.locator("h2").first.inner_text() == "Overview: December 2026"
