"""How long the overview and the spend page take to draw on a big ledger, in real Chromium.

Fills a SQLite ledger with N rows over one month (``bench/evaluate.py``'s fill: generated inside
SQLite, rollups rebuilt; a few minutes for 10,000,000 rows) and keeps it at ``--ledger`` for
the next run, evaluates it as of the month's 20th, serves ``http_app`` (uvicorn), and opens
each page --runs times in headless Chromium: the time from navigation start until every graph
of the page has drawn its SVG. Each load is timed in a fresh browser context (an empty cache,
as a first visit) and again in a warm one (as a reload).

    .venv/bin/python bench/dashboard.py [--rows 10000000] [--ledger PATH] [--runs 7]

Target: median and max <= 1.5 s per page.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repository's packages, tests and benches

from bench.evaluate import AS_OF, fill  # noqa: E402
from governance.api import Server, freeze_start_up  # noqa: E402
from governance.bootstrap import http_app  # noqa: E402
from governance.config import parse_config, starter_config_text  # noqa: E402
from governance.context import Governance  # noqa: E402
from governance.ledger.engine import make_engine  # noqa: E402
from governance.services.evaluate import run_evaluation  # noqa: E402
from tests.e2e.browser import CHROMIUM, FLAGS, VIEWPORT  # noqa: E402

TARGET_SECONDS = 1.5
PAGES = (("/", "overview"), ("/spend", "spend"))
# True once Dash is idle and the page's graphs (at least one) have all drawn; then the time
# since navigation started, in ms (performance.now() counts from the navigation's start).
DRAWN = """() => {
    if (document.querySelector('[data-dash-is-loading="true"]')) return false;
    const graphs = [...document.querySelectorAll('#page .dash-graph')];
    if (!graphs.length || graphs.some(g => !g.querySelector('.main-svg'))) return false;
    return performance.now();
}"""


def ledger(path: Path, rows: int) -> str:
    """The ledger at ``path``, filled with ``rows`` rows unless it holds them already."""
    if path.exists():
        with sqlite3.connect(path) as conn:
            (held,) = conn.execute("SELECT count(*) FROM ledger").fetchone()
        if held == rows:
            print(f"ledger: {path} ({rows:,} rows, reused)")
            return f"sqlite:///{path}"
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    url = fill(path, rows)
    print(f"ledger: {path} ({rows:,} rows, filled in {time.perf_counter() - started:.0f} s)")
    return url


# How long the server took to answer the page's layout callback, in ms (Resource Timing).
SERVER = """() => {
    const calls = performance.getEntriesByType('resource').filter(
        e => e.name.includes('_dash-update-component'));
    return calls.length ? calls[0].responseEnd - calls[0].requestStart : 0;
}"""


def load(page: Any, url: str) -> tuple[float, float]:
    """Open ``url``; seconds from navigation start to every graph drawn, and the seconds the
    server took to lay the page out."""
    page.goto(url, wait_until="commit")
    drawn = page.wait_for_function(DRAWN, timeout=60_000, polling="raf").json_value()
    return float(drawn) / 1000, float(page.evaluate(SERVER)) / 1000


Timings = dict[tuple[str, str], list[tuple[float, float]]]


def measure(browser: Any, base: str, runs: int) -> Timings:
    """Per page and cache state, (drawn, server) seconds of each load."""
    timings: Timings = {}
    for _ in range(runs):  # the pages in turn, so that other load on the machine hits both
        for path, name in PAGES:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            timings.setdefault((name, "cold"), []).append(load(page, base + path))
            timings.setdefault((name, "warm"), []).append(load(page, base + path))
            context.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--ledger", type=Path, help="default: bench/out/dashboard-ROWS.db")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    url = ledger(args.ledger or ROOT / "bench" / "out" / f"dashboard-{args.rows}.db", args.rows)
    config = parse_config(starter_config_text())
    engine = make_engine(url)
    run_evaluation(config, engine, AS_OF, AS_OF)
    governance = Governance(config, ROOT / "governance.toml", {}, lambda: AS_OF, engine)
    from playwright.sync_api import sync_playwright

    api = http_app(governance)
    freeze_start_up()  # as `governance serve` and `run` do
    with Server(api, port=0, threads=4) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        print(f"browser: Chromium {browser.version}, headless, {VIEWPORT['width']}x"
              f"{VIEWPORT['height']}; {args.runs} loads per page")  # fmt: skip
        load(browser.new_page(), server.url + "/")  # the server's first request pays its imports
        timings = measure(browser, server.url, args.runs)
        browser.close()
    api.close()
    engine.dispose()
    worst = 0.0
    for (name, cache), values in sorted(timings.items()):
        drawn = [d for d, _ in values]
        answer = statistics.median(s for _, s in values)
        median, high = statistics.median(drawn), max(drawn)
        worst = max(worst, high)
        print(f"{name:>9} ({cache} cache): drawn median {median:5.2f} s, max {high:5.2f} s; "
              f"server's layout callback median {answer * 1000:4.0f} ms")  # fmt: skip
    verdict = "OK" if worst <= TARGET_SECONDS else "MISS"
    print(f"target: median and max <= {TARGET_SECONDS} s per page ({verdict})")


if __name__ == "__main__":
    main()
