"""How long `evaluate` takes on a big ledger, and whether that grows with the ledger.

Fills fresh SQLite ledgers with N rows spread over one month (1,000,000 and 10,000,000 by
default; generated inside SQLite, then the rollups rebuilt from them), and times `evaluate`
(spend view, forecast, crossings, directives, publication) as of the month's 20th.

    .venv/bin/python bench/evaluate.py [--rows 1000000 10000000] [--runs 30]

Target: p50 <= 100 ms, flat from 1M to 10M rows.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from governance.config import parse_config, starter_config_text
from governance.ledger import migrate, rollups
from governance.ledger.engine import make_engine
from governance.services.evaluate import run_evaluation

MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)
AS_OF = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
FILL = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :rows - 1)
INSERT INTO ledger (layer, source, source_key, occurred_at, provider, model, tier, category,
    team, project, api_key_hash, tags, requests, input_tokens, cached_input_tokens,
    cache_write_tokens, output_tokens, cost, currency, cost_basis, ingested_at)
SELECT 'gateway', 'litellm', 'req-' || i,
    strftime('%Y-%m-%d %H:%M:%S.000000', :start, '+' || (i * :spread / :rows) || ' seconds'),
    CASE i % 3 WHEN 0 THEN 'openai' WHEN 1 THEN 'anthropic' ELSE 'hosted_vllm' END,
    CASE i % 4 WHEN 0 THEN 'gpt-4o' WHEN 1 THEN 'gpt-4o-mini' WHEN 2 THEN 'claude-3-5-haiku'
        ELSE 'llama-3.1-70b' END,
    CASE i % 4 WHEN 0 THEN 'premium' WHEN 3 THEN 'economy' ELSE 'standard' END,
    CASE i % 5 WHEN 0 THEN 'critical' WHEN 1 THEN 'batch' ELSE 'standard' END,
    'team-' || (i % 7), NULL, NULL, '[]', 1, 1000, 0, 0, 200,
    (i % 1000 + 1) * 100, 'USD', 'reported', :start
FROM n
"""


def fill(path: Path, rows: int) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    spread = 30 * 24 * 3600 - 1
    with engine.begin() as conn:
        start = MONTH_START.replace(tzinfo=None).isoformat(" ")
        conn.exec_driver_sql(
            FILL.replace(":rows", str(rows))
            .replace(":spread", str(spread))
            .replace(":start", f"'{start}'")
        )
        rollups.rebuild(conn)
    engine.dispose()
    return url


def time_evaluate(url: str, runs: int) -> list[float]:
    config = parse_config(starter_config_text())
    engine = make_engine(url)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run_evaluation(config, engine, AS_OF, AS_OF)
        timings.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    medians = []
    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as folder:
        for rows in args.rows:
            started = time.perf_counter()
            url = fill(Path(folder) / f"ledger-{rows}.db", rows)
            filled = time.perf_counter() - started
            timings = time_evaluate(url, args.runs)
            p50 = statistics.median(timings)
            p90 = statistics.quantiles(timings, n=10)[-1]
            medians.append(p50)
            print(f"{rows:>12,} rows (filled in {filled:5.0f} s): evaluate p50 {p50:6.1f} ms, "
                  f"p90 {p90:6.1f} ms, max {max(timings):6.1f} ms")  # fmt: skip
    growth = medians[-1] / medians[0]
    print(f"p50 growth from {args.rows[0]:,} to {args.rows[-1]:,} rows: x{growth:.2f}")
    print(f"targets: p50 <= 100 ms ({'OK' if max(medians) <= 100 else 'MISS'}), "
          f"flat within 25% ({'OK' if growth <= 1.25 else 'MISS'})")  # fmt: skip


if __name__ == "__main__":
    main()
