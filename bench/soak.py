"""`governance run` over time, under a steady load: does ingest keep up, does memory stay flat,
does anything fail?

Starts the daemon on a fresh SQLite ledger (or --database-url: an empty database, as the
ledger's row count is compared with the rows written), reading a folder of LiteLLM
logs every --every seconds, while a gateway appends rows to it at --rate rows/s (a new file
each minute) and routers poll GET /directives at --polls requests/s. Every second it reads the
ledger's row count and the daemon's RSS; every 10 s it prints a line. Ingest lag is how long
the oldest row written but not yet in the ledger has waited (0 when all are in).

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 500] [--polls 200] [--every 5]
                                   [--database-url postgresql://...] [--keep DIR]

Targets: lag <= 2 intervals; RSS flat (mean of the last minute within 10% of minute 2's,
after warm-up); zero errors (failed polls, failed job runs, error lines in the daemon's log).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.soak_load import Gateway, Poller
from bench.soak_probe import daemon_errors, job_seconds, rss_mb
from governance.config import starter_config_text
from governance.ledger.engine import make_engine

SOURCE = """
[[sources]]
name = "gateway"
format = "litellm"
path = "{folder}/*.jsonl"
every = "{every}s"
"""


def start_daemon(workdir: Path, url: str, every: int) -> tuple[subprocess.Popen[bytes], int, Path]:
    """The daemon, its port and its log, once it serves."""
    (workdir / "logs").mkdir()
    config = workdir / "governance.toml"
    config.write_text(starter_config_text() + SOURCE.format(folder=workdir / "logs", every=every))
    environ = {**os.environ, "GOVERNANCE_CONFIG": str(config), "GOVERNANCE_DATABASE_URL": url}
    governance = [sys.executable, "-m", "governance"]
    subprocess.run([*governance, "db", "upgrade"], env=environ, check=True, capture_output=True)
    log = workdir / "daemon.log"
    with log.open("wb") as sink:
        daemon = subprocess.Popen([*governance, "run", "--port", "0"], env=environ,
                                  stdout=sink, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 60
    while not (found := re.search(r"serving on http://[\d.]+:(\d+)", log.read_text())):
        if daemon.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the daemon did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return daemon, int(found[1]), log


def soak(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database_url or f"sqlite:///{workdir}/governance.db"
    daemon, port, log = start_daemon(workdir, url, args.every)
    engine = make_engine(url)
    gateway, poller = Gateway(workdir / "logs", args.rate), Poller("127.0.0.1", port, args.polls)
    started = time.monotonic()
    gateway.start()
    poller.start()
    lags: list[tuple[float, float]] = []  # (seconds since start, lag)
    rss: list[tuple[float, float]] = []
    runs: list[tuple[float, float, float]] = []  # (seconds since start, ingest s, evaluate s)
    print(f"{'time':>6} {'written':>9} {'ledger':>9} {'lag max s':>9} {'RSS MB':>7} "
          f"{'ingest s':>8} {'eval s':>6} {'polls':>9} {'poll/s':>7} {'errors':>6}")  # fmt: skip
    window_lag, last_print, last_polls = 0.0, started, 0
    while (now := time.monotonic()) - started < args.minutes * 60:
        time.sleep(1.0)
        now = time.monotonic()
        with engine.connect() as conn:
            ingested = int(conn.execute(text("SELECT count(*) FROM ledger")).scalar_one())
        since = gateway.waiting_since(ingested)
        lag = 0.0 if since is None else now - since
        lags.append((now - started, lag))
        rss.append((now - started, rss_mb(daemon.pid)))
        runs.append((now - started, *job_seconds(port)))
        window_lag = max(window_lag, lag)
        if now - last_print >= 10:
            errors = len(poller.errors) + len(daemon_errors(log)[0])
            rate = (poller.answered - last_polls) / (now - last_print)
            counts = f"{gateway.written:9,} {ingested:9,} {window_lag:9.1f} {rss[-1][1]:7.1f}"
            counts += f" {runs[-1][1]:8.2f} {runs[-1][2]:6.2f}"
            polled = f"{poller.answered:9,} {rate:7.1f} {errors:6}"
            print(f"{now - started:5.0f}s {counts} {polled}", flush=True)
            window_lag, last_print, last_polls = 0.0, now, poller.answered
    elapsed = time.monotonic() - started
    poller.stop.set()
    gateway.stop.set()
    poller.join(10)
    gateway.join(10)
    daemon.send_signal(signal.SIGTERM)
    code = daemon.wait(60)
    engine.dispose()
    failures, warnings = daemon_errors(log)
    return {"lags": lags, "rss": rss, "runs": runs, "elapsed": elapsed, "poller": poller,
            "exit": code, "failures": failures, "warnings": warnings,
            "written": gateway.written}  # fmt: skip


def minute2_and_last(series: list[tuple[float, ...]], column: int) -> tuple[float, float]:
    """The mean of ``column`` over minute 2 (after warm-up) and over the last minute."""
    second = [row[column] for row in series if 60 <= row[0] < 120] or [series[0][column]]
    last = [row[column] for row in series if row[0] >= series[-1][0] - 60]
    return statistics.mean(second), statistics.mean(last)


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    lags = [lag for _, lag in result["lags"]]
    rss, runs, poller = result["rss"], result["runs"], result["poller"]
    rss2, rss_last = minute2_and_last(rss, 1)
    growth = rss_last / rss2 - 1
    latencies = sorted(poller.latencies) or [float("nan")]
    errors = len(poller.errors) + len(result["failures"]) + (result["exit"] != 0)
    print(f"\nrows written: {result['written']:,} in {result['elapsed']:.0f} s "
          f"({result['written'] / result['elapsed']:,.0f} rows/s)")  # fmt: skip
    print(f"ingest lag: max {max(lags):.1f} s, p95 {statistics.quantiles(lags, n=20)[-1]:.1f} s, "
          f"mean {statistics.mean(lags):.1f} s (interval {args.every} s)")  # fmt: skip
    top = max(mb for _, mb in rss)
    print(f"RSS: start {rss[0][1]:.1f} MB, minute 2 mean {rss2:.1f} MB, last minute mean "
          f"{rss_last:.1f} MB, max {top:.1f} MB; growth {growth:+.1%}")  # fmt: skip
    (ingest2, ingest_last), (eval2, eval_last) = (minute2_and_last(runs, c) for c in (1, 2))
    print(f"last run durations, minute 2 -> last minute: ingest {ingest2:.2f} -> "
          f"{ingest_last:.2f} s, evaluate {eval2:.2f} -> {eval_last:.2f} s")  # fmt: skip
    print(f"polls: {poller.answered:,} answered, {poller.answered / result['elapsed']:.1f} req/s, "
          f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")  # fmt: skip
    print(f"errors: {len(poller.errors)} polls, {len(result['failures'])} in the daemon's log, "
          f"exit code {result['exit']}; other warnings: {len(result['warnings'])}")  # fmt: skip
    for line in poller.errors[:3] + result["failures"][:3] + result["warnings"][:3]:
        print(f"  {line[:200]}")
    verdict = {"lag <= 2 intervals": max(lags) <= 2 * args.every,
               "RSS growth <= 10%": growth <= 0.10, "zero errors": errors == 0}  # fmt: skip
    print("targets: " + ", ".join(f"{k} {'OK' if ok else 'MISS'}" for k, ok in verdict.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=int, default=500, help="gateway rows per second")
    parser.add_argument("--polls", type=int, default=200, help="GET /directives per second")
    parser.add_argument("--every", type=int, default=5, help="the source's interval, seconds")
    parser.add_argument("--database-url", help="default: a fresh SQLite ledger")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")  # fmt: skip
    print(f"soak: {args.minutes:g} min, {args.rate} rows/s every {args.every} s, "
          f"{args.polls} polls/s, ledger {args.database_url or 'SQLite (fresh)'}")  # fmt: skip
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        report(args, soak(args, args.keep))
        return
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as folder:
        report(args, soak(args, Path(folder)))


if __name__ == "__main__":
    main()
