"""Malformed files dropped into a folder `governance run` watches: every bad record is held in
the quarantine with its place and reason, the job does not fail, and the good files dropped
after them are ingested. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine

from governance.ledger.tables import quarantine
from tests.e2e.daemon import RunProcess, governance
from tests.e2e.faults import (
    count,
    daemon_config,
    environ,
    gateway_lines,
    ledger_keys,
    stop,
    url_of,
)
from tests.standins.slack_api import SlackApi

# A gateway log gone wrong: each line bad in its own way (the array's 3 items are 3 records).
BAD_LINES = [
    b'{"request_id": "cut-short", "model": "gpt-4o", "spe',
    b"\x00\xff\xfe\x89PNG not text",
    b"[1, 2, 3]",
    b'{"request_id": "no-time", "model": "gpt-4o", "spend": 0.1}',
    b"not json at all",
    b'{"request_id": "neg", "startTime": "2026-11-02T10:00:00", "model": "gpt-4o", "spend": -1}',
    b"[" * 100_000,  # deeper than Python's recursion limit
]
# Not a log at all (compressed, say): not JSON, so read as CSV; its 2 lines are held.
BINARY = b"\x1f\x8b\x08\r\x00\xffgarbage\n\x03\x00more\n"
HELD = len(BAD_LINES) + 2 + 2


def test_malformed_files_are_quarantined_and_the_daemon_goes_on(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    watch = tmp_path / "logs"
    watch.mkdir()
    (watch / "a.jsonl").write_text(gateway_lines("a", 5, team="search"))
    config = tmp_path / "governance.toml"
    with SlackApi().running() as slack:
        config.write_text(daemon_config(slack, watch))
        env = environ(config, url_of(ledger_engine), slack)
        with RunProcess(tmp_path / "run.log", env) as run:
            run.wait_for(r'event="ingested gw: 5 read, 5 added"')
            (watch / "b-bad.jsonl").write_bytes(b"\n".join(BAD_LINES) + b"\n")
            (watch / "b-binary.jsonl").write_bytes(BINARY)
            run.until(lambda: count(ledger_engine, quarantine) == HELD)
            (watch / "c.jsonl").write_text(gateway_lines("c", 7, team="search"))
            run.wait_for(r'event="ingested gw: 7 read, 7 added"')
            job = run.health()["jobs"]["ingest:gw"]
            assert (job["failures"], job["last_outcome"]) == (0, "ok")
            held = json.loads(governance(env, "quarantine", "list", "--json"))["items"]
            stop(run)
    assert "Traceback" not in run.output() and "crashed" not in run.output()
    assert ledger_keys(ledger_engine) == sorted(
        [f"a-{i}" for i in range(5)] + [f"c-{i}" for i in range(7)]
    )
    assert {item["source"] for item in held} == {"gw"} and len(held) == HELD
    places = sorted(item["location"].removeprefix(f"{watch}/") for item in held)
    assert places == sorted(
        ["b-bad.jsonl:1", "b-bad.jsonl:2", "b-bad.jsonl:3 [0]", "b-bad.jsonl:3 [1]",
         "b-bad.jsonl:3 [2]", "b-bad.jsonl:4", "b-bad.jsonl:5", "b-bad.jsonl:6", "b-bad.jsonl:7",
         "b-binary.jsonl:1", "b-binary.jsonl:2"]
    )  # fmt: skip
    reasons = {item["location"].removeprefix(f"{watch}/"): item["reason"] for item in held}
    assert reasons["b-bad.jsonl:7"].startswith("not JSON: nested too deeply")
    assert reasons["b-binary.jsonl:1"].startswith("not CSV: ")
    assert reasons["b-bad.jsonl:6"] == "negative cost -1 on a usage record"
