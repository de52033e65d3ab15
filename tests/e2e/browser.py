"""Real headless Chromium (Debian's, never a downloaded one) driven by Playwright, and the
demo month served by the real HTTP app: what every dashboard test opens.

Under CI=true a missing Chromium fails the run; elsewhere the browser tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from governance.api import Server
from governance.bootstrap import http_app
from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.demo import run_demo
from governance.demo.run import replay_evaluations
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.services.evaluate import run_evaluation

CHROMIUM = os.environ.get("GOVERNANCE_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = Path(os.environ.get("GOVERNANCE_SCREENSHOTS", "screenshots"))


def chromium_or_skip() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page at 1280x800."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


@dataclass
class Site:
    url: str
    governance: Governance


def site_config_text() -> str:
    """The config every site here runs on: the starter config."""
    return starter_config_text()


def demo_governance(
    directory: Path, environ: dict[str, str] | None = None, now: datetime = NOW
) -> Governance:
    """``site_config_text()`` on a SQLite ledger in ``directory``, its clock stopped at ``now``."""
    config = parse_config(site_config_text(), "governance.toml", directory)
    app = Governance(config, directory / "governance.toml", environ or {}, lambda: now)
    app._engine = make_engine(f"sqlite:///{directory / 'governance.db'}", create_dirs=True)
    migrate.upgrade(app.engine)
    return app


def serve_site(app: Governance) -> Iterator[Site]:
    api = http_app(app, refresh_seconds=0.2)
    with Server(api, port=0, threads=4) as server:
        yield Site(server.url, app)
    api.close()


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo month (November 2026, up to NOW) ingested, evaluated and served."""
    directory = tmp_path_factory.mktemp("demo-site")
    app = demo_governance(directory)
    demo = run_demo(app, directory / "demo")
    replay_evaluations(app, demo.period, NOW)  # what `governance demo` does
    run_evaluation(app.config, app.engine, NOW, NOW)
    yield from serve_site(app)
    app.close()


@pytest.fixture
def empty_site(tmp_path: Path) -> Iterator[Site]:
    """A served, empty ledger."""
    app = demo_governance(tmp_path)
    yield from serve_site(app)
    app.close()


def open_page(page: Any, url: str, name: str | None = None) -> Any:
    """Go to ``url``, wait until Dash has drawn every graph, and screenshot it as ``name``."""
    page.goto(url)
    page.wait_for_selector("#page > *")
    wait_for_graphs(page)
    if name is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return page


def wait_for_graphs(page: Any) -> None:
    """Until Dash is idle and every graph on the page has drawn its plot."""
    page.wait_for_function(
        """() => {
            const loading = document.querySelector('[data-dash-is-loading="true"]');
            const graphs = [...document.querySelectorAll('.js-plotly-plot')];
            const pending = [...document.querySelectorAll('.dash-graph')].filter(
                g => !g.querySelector('.main-svg'));
            return !loading && pending.length === 0;
        }""",
        timeout=20_000,
    )
