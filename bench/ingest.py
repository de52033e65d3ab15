"""Ingest speed against a bare C bulk load.

Generates N LiteLLM SpendLogs rows as JSONL (and the same rows as CSV), ingests the JSONL into a
fresh SQLite ledger with `governance ingest` (a child process, so its peak RSS is its own), and
loads the CSV with the sqlite3 shell's `.import` into a table with a text primary key.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--keep DIR]

Targets: ingest rows/s at least half of `.import`'s; peak RSS <= 300 MB at 5,000,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022"]
TEAMS = ["search", "support", "payments", "data-eng", "ml-platform"]
CSV_COLUMNS = [
    "request_id", "startTime", "model", "custom_llm_provider", "spend", "prompt_tokens",
    "completion_tokens", "team", "api_key", "request_tags",
]  # fmt: skip


def generate(rows: int, jsonl: Path, table: Path) -> None:
    rng = random.Random(1)
    with jsonl.open("w") as lines, table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for i in range(rows):
            model = MODELS[i % len(MODELS)]
            team = TEAMS[rng.randrange(len(TEAMS))]
            started = (
                f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}.{i % 997:06d}"
            )
            spend = f"{rng.randrange(1, 10**7) / 10**9:.9f}"
            prompt, completion = rng.randrange(1, 8000), rng.randrange(1, 1200)
            api_key = f"{i % 50:064x}"
            row = (
                f'{{"request_id": "chatcmpl-{i:012d}", "call_type": "acompletion", '
                f'"api_key": "{api_key}", "spend": {spend}, "total_tokens": {prompt + completion}, '
                f'"prompt_tokens": {prompt}, "completion_tokens": {completion}, '
                f'"startTime": "{started}", "endTime": "{started}", "model": "{model}", '
                f'"model_group": "{model}", "custom_llm_provider": "openai", "api_base": "", '
                f'"user": "", "metadata": {{"user_api_key_alias": "svc-{i % 50}", '
                f'"user_api_key_team_alias": "{team}", "additional_usage_values": '
                f'{{"prompt_tokens_details": {{"cached_tokens": {prompt // 4}}}}}}}, '
                f'"cache_hit": "False", "cache_key": "", "request_tags": ["env:prod"], '
                f'"team_id": "{team}", "end_user": "", "status": "success"}}'
            )
            lines.write(row + "\n")
            tags = json.dumps(["env:prod"])
            cells = [f"chatcmpl-{i:012d}", started, model, "openai", spend, prompt, completion]
            writer.writerow([*cells, team, api_key, tags])


def ingest(workdir: Path, jsonl: Path) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of `governance ingest` in a child process."""
    governance = [sys.executable, "-m", "governance", "--config", str(workdir / "governance.toml")]
    subprocess.run([*governance, "init"], check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([*governance, "ingest", str(jsonl), "--format", "litellm"], check=True,
                   capture_output=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kib * 1024


def bulk_import(workdir: Path, table: Path) -> float:
    """Seconds the sqlite3 shell takes to `.import` the CSV into a text-keyed table."""
    database = workdir / "import.db"
    script = (
        f"CREATE TABLE rows ({', '.join(f'{c} TEXT' for c in CSV_COLUMNS)}, "
        "PRIMARY KEY (request_id));\n"
        f".mode csv\n.import --skip 1 {table} rows\n"
    )
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(database)], input=script, text=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        sys.exit("needs the sqlite3 command line (Debian: apt-get install sqlite3)")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    jsonl, table = workdir / "spend_logs.jsonl", workdir / "spend_logs.csv"
    generate(args.rows, jsonl, table)
    ingest_seconds, peak = ingest(workdir, jsonl)
    import_seconds = bulk_import(workdir, table)
    ours, theirs = args.rows / ingest_seconds, args.rows / import_seconds
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"rows: {args.rows:,} ({jsonl.stat().st_size / 1e6:,.0f} MB of JSONL)")
    print(
        f"governance ingest: {ingest_seconds:8.2f} s  {ours:12,.0f} rows/s"
        f"  peak RSS {peak / 1e6:,.0f} MB"
    )
    print(f"sqlite3 .import:   {import_seconds:8.2f} s  {theirs:12,.0f} rows/s")
    print(f"ratio: {ours / theirs:.2f} (target >= 0.5)")
    if args.keep is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
