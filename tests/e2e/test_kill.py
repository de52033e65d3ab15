"""A process killed with SIGKILL at random points of an ingest, many times, then finished:
the ledger and the quarantine are exactly those of an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from governance.config import starter_config_text
from governance.ledger.tables import ingest_runs, ledger, metadata, quarantine
from tests.factories import rollups_match_ledger

ROWS = 12_000
BATCH = 150
KILLS = 8


def _write_log(path: Path, rows: int) -> None:
    rng = random.Random(7)
    models = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku-latest", "hosted_vllm/llama-3.1-70b"]
    with path.open("w") as handle:
        for i in range(rows):
            if i % 997 == 0:
                handle.write(f"{{broken line {i}\n")
                continue
            request_id = f"req-{i if i % 501 else i - 1}"  # some ids repeat: duplicates
            handle.write(
                json.dumps(
                    {
                        "request_id": request_id,
                        "startTime": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00",
                        "model": rng.choice(models),
                        "spend": f"{rng.randint(0, 10**6) / 10**7:.7f}",
                        "prompt_tokens": rng.randint(1, 5000),
                        "completion_tokens": rng.randint(1, 900),
                        "metadata": {"user_api_key_team_alias": rng.choice(["search", "data-eng"])},
                        "request_tags": [],
                    }
                )
                .replace('"spend": "', '"spend": ')
                .replace('", "prompt', ', "prompt')
                + "\n"
            )


def _snapshot(engine: Engine) -> tuple[list[Any], list[Any]]:
    columns = [c for c in ledger.c if c.name not in ("id", "ingested_at", "run_id")]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(ledger.c.source_key)).all()
        held = conn.execute(
            select(quarantine.c.fingerprint, quarantine.c.location, quarantine.c.reason).order_by(
                quarantine.c.fingerprint
            )
        ).all()
    return [tuple(r) for r in rows], [tuple(r) for r in held]


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def _last_run(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(ingest_runs.c.id), 0))).scalar_one())


def _wait_for_progress(
    engine: Engine, process: subprocess.Popen[bytes], after_run: int, rows: int
) -> None:
    """Until the process's own ingest run has read ``rows`` records (committed per batch)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with engine.connect() as conn:
            read = conn.execute(
                select(ingest_runs.c.read).where(ingest_runs.c.id > after_run)
            ).scalar()
        if read is not None and read >= rows:
            return
        time.sleep(0.01)


def _command(log: Path) -> list[str]:
    return [sys.executable, "-m", "governance", "ingest", str(log), "--format", "litellm",
            "--batch-size", str(BATCH)]  # fmt: skip


def test_sigkill_at_random_points_loses_and_doubles_nothing(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    log = tmp_path / "gateway.jsonl"
    _write_log(log, ROWS)
    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text())
    env = {
        **os.environ,
        "GOVERNANCE_CONFIG": str(config),
        "GOVERNANCE_DATABASE_URL": ledger_engine.url.render_as_string(hide_password=False),
    }
    subprocess.run(_command(log), env=env, check=True, capture_output=True)
    expected = _snapshot(ledger_engine)
    assert len(expected[0]) > ROWS * 0.9 and len(expected[1]) == ROWS // 997 + 1
    _empty(ledger_engine)

    rng = random.Random(int(os.environ.get("KILL_SEED", "11")))
    for _ in range(KILLS):
        after_run = _last_run(ledger_engine)
        process = subprocess.Popen(_command(log), env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        # Kill after this run has committed a few batches, somewhere inside the next one.
        _wait_for_progress(ledger_engine, process, after_run, rng.randint(1, 4) * BATCH)
        time.sleep(rng.uniform(0, 0.05))
        assert process.poll() is None, "the ingest finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
    finished = subprocess.run(_command(log), env=env, check=True, capture_output=True, text=True)
    assert "total" in finished.stdout
    assert _snapshot(ledger_engine) == expected
    rollups_match_ledger(ledger_engine)
