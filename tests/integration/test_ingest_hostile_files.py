"""Hostile files through the real ingest path, on SQLite and PostgreSQL (issue 14, rows 3, 4, 8,
10 and 12): a JSONL log with a long first line, a CSV row caught half-written, a sparse file, a
glob over symlink loops and FIFOs, a stray quote in a CSV log. Each ends with the good records
in the ledger and each bad line held, alone, with its reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from governance.ingest import quarantine as quarantined
from governance.ingest.service import ingest, ledger_rules, report_document
from governance.ingest.writer import BatchWriter, start_run
from governance.ledger.tables import ledger
from governance.sources.base import ReadContext, Rejected
from tests.integration.conftest import AppFactory

CSV_HEADER = "request_id,spend,startTime,model,prompt_tokens,completion_tokens\n"


def _row(index: int, prompt: str = "") -> str:
    row = {"request_id": f"r{index}", "spend": 0.001, "startTime": "2026-11-05T10:00:00",
           "model": "gpt-4o", "prompt_tokens": 10, "completion_tokens": 5,
           "messages": prompt}  # fmt: skip
    return json.dumps(row) + "\n"


def _csv_row(index: int, spend: str = "0.50") -> str:
    return f"r{index},{spend},2026-11-05T10:00:00,gpt-4o,10,5\n"


def _settle(path: Path) -> None:
    past = time.time() - 3600  # the writer finished an hour ago, on the test's own clock
    os.utime(path, (past, past))


def _document(app: Any, paths: list[str], fmt: str | None = None, **kw: Any) -> dict[str, Any]:
    return report_document(ingest(app, paths, fmt, **kw), "USD")


def _counts(document: dict[str, Any]) -> tuple[int, int, int]:
    return document["read"], document["added"], document["quarantined"]


@pytest.mark.parametrize("long_line", [0, 1])
@pytest.mark.parametrize("fmt", [None, "litellm"])
def test_a_jsonl_log_with_a_long_first_line_is_read_line_by_line(
    make_app: AppFactory, tmp_path: Path, long_line: int, fmt: str | None
) -> None:
    app = make_app()
    rows = [_row(i) for i in range(1000)]
    rows[long_line] = _row(long_line, "a long prompt " * 6000)  # 84 KB: over the old 64 KiB sniff
    log = tmp_path / "spend.jsonl"
    log.write_text("".join(rows))
    assert _counts(_document(app, [str(log)], fmt)) == (1000, 1000, 0)
    assert quarantined.list_held(app.engine) == []


def test_retry_brings_back_a_log_once_held_as_one_document(
    make_app: AppFactory, ledger_engine: Engine, tmp_path: Path
) -> None:
    app = make_app()
    text = "".join(_row(i) for i in range(3))  # held whole, as a log taken for a document was
    run_id = start_run(ledger_engine, "litellm", app.clock())
    held = Rejected(f"{tmp_path}/spend.jsonl:2", "not JSON: Extra data", text)
    BatchWriter(ledger_engine, "litellm", "litellm", "gateway", run_id).write(
        [], [held], None, app.clock()
    )
    report = quarantined.retry(app.engine, ledger_rules(app), app.clock, {})
    assert (report.released, report.held) == (1, 0)
    with ledger_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ledger)).scalar_one() == 3


def test_a_csv_row_read_half_written_waits_for_the_rest(
    make_app: AppFactory, ledger_engine: Engine, tmp_path: Path
) -> None:
    app = make_app()
    log = tmp_path / "spend.csv"
    log.write_text(CSV_HEADER + _csv_row(1) + "r2,12")  # the writer is at "1,275.50"
    assert _counts(_document(app, [str(log)], "litellm")) == (1, 1, 0)
    with log.open("a") as handle:
        handle.write("75.50,2026-11-05T10:00:00,gpt-4o,10,5\n")
    document = _document(app, [str(log)], "litellm")
    assert _counts(document) == (1, 1, 0) and Decimal(document["cost"]) == Decimal("1275.50")
    with ledger_engine.connect() as conn:
        costs = conn.execute(select(ledger.c.source_key, ledger.c.cost)).all()
    assert sorted(costs) == [("r1", Decimal("0.50")), ("r2", Decimal("1275.50"))]


def test_a_last_csv_row_without_newline_is_read_on_the_next_run_if_unchanged(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    log = tmp_path / "export.csv"
    log.write_text(CSV_HEADER + _csv_row(1) + _csv_row(2).rstrip("\n"))
    assert _counts(_document(app, [str(log)], "litellm")) == (1, 1, 0)
    assert _counts(_document(app, [str(log)], "litellm")) == (1, 1, 0)  # as the last run left it


def test_one_stray_quote_costs_one_line_not_the_rows_after_it(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    rows = [_csv_row(i) for i in range(10)]
    rows[3] = 'r3,0.50,"2026-11-05T10:00:00,gpt-4o,10,5\n'
    log = tmp_path / "spend.csv"
    log.write_text(CSV_HEADER + "".join(rows))
    assert _counts(_document(app, [str(log)], "litellm")) == (10, 9, 1)
    (item,) = quarantined.list_held(app.engine)
    assert item["location"] == f"{log}:5" and "a quote opened on this line" in item["reason"]


def test_a_line_over_the_record_cap_is_held_as_its_excerpt_and_hash(
    make_app: AppFactory, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "spend.jsonl"
    log.parent.mkdir()
    log.write_text(_row(1) + _row(2, "p" * 20_000) + _row(3))
    app = make_app(
        f'[[sources]]\nname = "gw"\nformat = "litellm"\npath = "{log}"\n'
        "options = { max_record_bytes = 4096 }\n"
    )
    assert _counts(_document(app, [], source_name="gw")) == (3, 2, 1)
    (item,) = quarantined.list_held(app.engine)
    raw = quarantined.show(app.engine, item["id"])["raw"]
    assert "over the record cap of 4,096 bytes (options.max_record_bytes)" in item["reason"]
    assert "sha256 " in item["reason"] and len(raw) < 2200


def test_a_bad_record_cap_is_one_line_for_the_user(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(
        f'[[sources]]\nname = "gw"\nformat = "litellm"\npath = "{tmp_path}/*.jsonl"\n'
        'options = { max_record_bytes = "8M" }\n'
    )
    with pytest.raises(Exception, match=r"options\.max_record_bytes is '8M'"):
        ReadContext.of(app.source("gw"))


_RSS_SCRIPT = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from governance.context import Governance
from governance.config import parse_config, starter_config_text
from governance.ingest.service import ingest, report_document
from governance.ledger.engine import make_engine
url, path, folder = sys.argv[1:]
config = parse_config(starter_config_text(), "t.toml", Path(folder))
now = datetime(2026, 11, 24, 12, tzinfo=UTC)
app = Governance(config, Path(folder) / "t.toml", {}, lambda: now, make_engine(url))
runs = [report_document(ingest(app, [path], "litellm"), "USD") for _ in range(2)]
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked (large) test process.
status = Path("/proc/self/status").read_text()
peak = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) // 1024
print(json.dumps({"peak_mb": peak, "runs": [[r["read"], r["quarantined"]] for r in runs]}))
"""


def test_a_sparse_file_is_read_in_bounded_memory_once(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    sparse = tmp_path / "sparse.jsonl"
    with sparse.open("wb") as handle:
        handle.truncate(256 * 1024 * 1024)  # 0 bytes on disk, 256 MiB of NUL
    _settle(sparse)
    url = ledger_engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, url, str(sparse), str(tmp_path)],
        capture_output=True, text=True, timeout=240, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["runs"] == [[1, 1], [0, 0]]  # held once; the next run reads nothing again
    assert result["peak_mb"] < 300, result


def test_a_glob_over_symlink_loops_fifos_and_devices_ends(
    make_app: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tree = tmp_path / "logs"
    (tree / "a").mkdir(parents=True)
    (tree / "a" / "one.jsonl").write_text(_row(1))
    (tree / "two.jsonl").write_text(_row(2))
    (tree / "loop1").symlink_to(".")
    (tree / "a" / "loop2").symlink_to("..")
    os.mkfifo(tree / "pipe.jsonl")
    (tree / "zero.jsonl").symlink_to("/dev/zero")
    app = make_app()
    found: list[dict[str, Any]] = []
    worker = threading.Thread(
        target=lambda: found.append(_document(app, [f"{tree}/**/*.jsonl"])), daemon=True
    )
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the glob never ended"
    assert _counts(found[0]) == (2, 2, 0)
    skipped = " ".join(r.getMessage() for r in caplog.records)
    assert "pipe.jsonl: a FIFO" in skipped and "zero.jsonl: a device" in skipped
    assert "a symlink loop" in skipped
