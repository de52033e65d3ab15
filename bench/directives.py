"""GET /directives under load, against a ten-line app returning the same bytes on the same
server (uvicorn, both answered on its event loop); and how long a directive change takes to
reach a poller.

Each app is loaded for --seconds from 64 concurrent keep-alive connections, in one-second
slices taken in turn (A B, B A, ...: other work on the machine weighs on both alike), by wrk
when it is installed (Debian: apt-get install wrk), else by a Python asyncio generator in
another process. The ratio is the median of the rounds' ratios. Then
evaluations change the directives (the budget alternates: raised, the batch directives are
lifted; lowered, they are back) while a DirectivesClient polls every 100 ms; each change is
timed from the start of the evaluation to the poller holding the new version.

    .venv/bin/python bench/directives.py [--seconds 10] [--connections 64] [--threads 8]

Targets: requests/s of /directives >= 0.9 x the ten-line app's, p99 <= 25 ms; propagation <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from governance.api import Server, freeze_start_up, make_wsgi_app
from governance.api.http import Response
from governance.client import DirectivesClient
from governance.config import Config, parse_config, starter_config_text
from governance.context import Governance
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.rollups import RollupDelta
from governance.ledger.tables import ledger
from governance.services.evaluate import run_evaluation

Load = tuple[float, float, float]  # requests/s, p50 ms, p99 ms
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert found, out
        return float(found[1]) * _UNIT_MS[found[2]]

    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert found and "Non-2xx" not in out and "Socket errors" not in out, out
    return float(found[1]), latency("50"), latency("99")


async def _connection(host: str, port: int, path: str, until: float, out: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    while time.perf_counter() < until:
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        assert length is not None, head
        await reader.readexactly(int(length[1]))
        out.append(time.perf_counter() - started)
    writer.close()


def python_load(url: str, seconds: int, connections: int) -> Load:
    """The fallback generator: keep-alive connections from asyncio, in its own process."""
    where = urlsplit(url)
    host, port, path = where.hostname or "127.0.0.1", where.port or 80, where.path
    latencies: list[float] = []

    async def run() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(
            *(_connection(host, port, path, until, latencies) for _ in range(connections))
        )

    asyncio.run(run())
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / seconds, cuts[49] * 1000, cuts[98] * 1000


def load(url: str, seconds: int, connections: int) -> Load:
    if shutil.which("wrk"):
        return wrk(url, seconds, connections)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(python_load, url, seconds, connections).result()


class TenLineApp:
    """The baseline: the same status, headers and bytes, computed once, answered on the same
    path through the server (on its event loop, as ``/directives`` is)."""

    def __init__(self, response: Response) -> None:
        self.response = response

    def answer_on_loop(self, environ: dict[str, Any]) -> Response:
        return self.response

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(self.response.status, self.response.headers)
        return [self.response.body]


def spend(engine: Any, start: datetime, now: datetime) -> None:
    """Premium batch spend of 100.00 every 6 hours from ``start`` to ``now``."""
    rows, delta, at = [], RollupDelta(), start
    while at < now:
        rows.append({"layer": "gateway", "source": "bench", "source_key": f"batch-{at}",
                     "occurred_at": at, "provider": "openai", "model": "gpt-4o",
                     "tier": "premium", "category": "batch", "team": "data-eng", "requests": 1,
                     "input_tokens": 1000, "cached_input_tokens": 0, "cache_write_tokens": 0,
                     "output_tokens": 100, "cost": Decimal(100), "currency": "USD",
                     "cost_basis": "reported", "ingested_at": now, "tags": []})  # fmt: skip
        delta.add(rows[-1])
        at += timedelta(hours=6)
    with engine.begin() as conn:
        conn.execute(ledger.insert(), rows)
        delta.flush(conn)


def config_with(budget: str, folder: str) -> Config:
    text = starter_config_text().replace('amount = "50000.00"', f'amount = "{budget}"')
    return parse_config(text, "bench.toml", Path(folder))


def propagation(app: Governance, url: str, folder: str, rounds: int) -> list[float]:
    """Seconds from the start of an evaluation that changes the directives to a poller (every
    100 ms) holding the new version. The budget alternates: a raised one lifts the batch
    directives, the small one puts them back in force."""
    client = DirectivesClient(url)
    client.start(interval=0.1)
    configs = [config_with("1000000.00", folder), config_with("1000.00", folder)]
    timings = []
    for round_ in range(rounds):
        started = time.perf_counter()
        now = app.clock()
        version = run_evaluation(configs[round_ % 2], app.engine, now, now).version
        while client.version != version:
            assert time.perf_counter() - started < 10, "the poller never saw the change"
            time.sleep(0.002)
        timings.append(time.perf_counter() - started)
        time.sleep(0.37)  # so that changes fall at different points of the cache's refresh
    client.stop()
    return timings


def compare(apps: dict[str, Any], args: argparse.Namespace) -> dict[str, list[Load]]:
    """Load each app for ``args.seconds`` in one-second turns, the order flipping each round
    (A B, B A, ...), so that a change of the machine's speed weighs on both alike."""
    servers = {name: Server(app, port=0, threads=args.threads) for name, app in apps.items()}
    freeze_start_up()  # as `governance serve` and `run` do
    for server in servers.values():
        server.start()
    for server in servers.values():
        load(server.url + "/directives", 1, args.connections)  # warm up
    results: dict[str, list[Load]] = {name: [] for name in apps}
    slices = max(args.seconds, 1)
    for round_ in range(slices):
        for name in list(servers)[:: 1 if round_ % 2 == 0 else -1]:
            url = servers[name].url + "/directives"
            results[name].append(load(url, 1, args.connections))
    for server in servers.values():
        server.stop()
    return results


def report(results: dict[str, list[Load]]) -> None:
    """Requests/s (mean of the slices), p50 and p99 (medians of the slices), and the targets.
    The ratio is the median of each round's ratio: the two apps' slices of one round ran back
    to back, on the same machine speed."""
    for name, slices in results.items():
        rate = statistics.mean(s[0] for s in slices)
        p50, p99 = (statistics.median(s[i] for s in slices) for i in (1, 2))
        print(f"{name:>16}: {rate:7,.0f} requests/s, p50 {p50:6.2f} ms, p99 {p99:6.2f} ms "
              f"(worst slice {max(s[2] for s in slices):6.2f} ms)")  # fmt: skip
    ours, baseline = results["GET /directives"], results["ten-line app"]
    rounds = [a[0] / b[0] for a, b in zip(ours, baseline, strict=True)]
    ratio = statistics.median(rounds)
    p99 = statistics.median(s[2] for s in ours)
    print(f"ratio {ratio:.3f} (rounds {min(rounds):.2f}-{max(rounds):.2f}; target >= 0.9: "
          f"{'OK' if ratio >= 0.9 else 'MISS'}); "
          f"p99 {p99:.2f} ms (target <= 25 ms: {'OK' if p99 <= 25 else 'MISS'})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10, help="directive changes to time")
    args = parser.parse_args()
    generator = "wrk -t1" if shutil.which("wrk") else "Python asyncio (wrk not installed)"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load: {generator}, {args.connections} "
          f"keep-alive connections, {args.seconds} s each; uvicorn (httptools), "
          f"{args.threads} WSGI threads")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-directives-") as folder:
        engine = make_engine(f"sqlite:///{folder}/ledger.db")
        migrate.upgrade(engine)
        config = config_with("1000.00", folder)
        app = Governance(config, Path(folder), {}, lambda: datetime.now(UTC), engine)
        spend(engine, app.period().start, app.clock())
        run_evaluation(config, engine, app.clock(), app.clock())  # a document with directives
        api = make_wsgi_app(app)
        published = api.cache.current
        assert published is not None
        results = compare(
            {"ten-line app": TenLineApp(published.full),
             "GET /directives": api},
            args,
        )  # fmt: skip
        report(results)
        with Server(api, port=0, threads=args.threads) as server:
            timings = propagation(app, server.url, folder, args.rounds)
        api.close()
        engine.dispose()
    worst = max(timings)
    print(f"propagation over {len(timings)} changes: median {statistics.median(timings):.3f} s, "
          f"max {worst:.3f} s (target <= 2 s: {'OK' if worst <= 2 else 'MISS'})")  # fmt: skip


if __name__ == "__main__":
    main()
