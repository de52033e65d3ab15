"""Malformed files dropped into a folder `governance run` watches: every bad record is held in
the quarantine with its place and reason, the job does not fail, and the good files dropped
after them are ingested. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _good_bad_good(
    ledger_engine: Engine, tmp_path: Path, first: int, bad: dict[str, bytes], held: int, last: int
) -> tuple[str, list[dict[str, Any]]]:
    """``governance run`` watching a folder: ``first`` good rows, then the ``bad`` files, then
    ``last`` good rows once ``held`` records are quarantined; the job must stay ok. The
    daemon's log and the quarantine list."""
    watch = tmp_path / "logs"
    watch.mkdir()
    (watch / "a.jsonl").write_text(gateway_lines("a", first, team="search"))
    config = tmp_path / "governance.toml"
    with SlackApi().running() as slack:
        config.write_text(daemon_config(slack, watch))
        env = environ(config, url_of(ledger_engine), slack)
        with RunProcess(tmp_path / "run.log", env) as run:
            run.wait_for(rf'event="ingested gw: {first} read, {first} added"')
            for name, data in bad.items():
                (watch / name).write_bytes(data)
            run.until(lambda: count(ledger_engine, quarantine) == held)
            (watch / "c.jsonl").write_text(gateway_lines("c", last, team="search"))
            run.wait_for(rf'event="ingested gw: {last} read, {last} added"')
            job = run.health()["jobs"]["ingest:gw"]
            assert (job["failures"], job["last_outcome"]) == (0, "ok")
            items = json.loads(governance(env, "quarantine", "list", "--json"))["items"]
            stop(run)
    return run.output(), items


def test_malformed_files_are_quarantined_and_the_daemon_goes_on(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    watch = tmp_path / "logs"
    bad = {"b-bad.jsonl": b"\n".join(BAD_LINES) + b"\n", "b-binary.jsonl": BINARY}
    output, held = _good_bad_good(ledger_engine, tmp_path, 5, bad, HELD, 7)
    assert "Traceback" not in output and "crashed" not in output
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


def _poisoned(prefix: str) -> bytes:
    """A log whose good rows sit among records that once stopped a source for good: a cost and
    a token count past what the ledger holds, a lone surrogate, Go's zero time, a long first
    line (a prompt kept in the log), a NUL, and a line cut short at the end of the file."""
    good = gateway_lines(prefix, 4, team="search").splitlines()
    row = json.loads(good[0])

    def bad(**fields: object) -> str:
        return json.dumps({**row, **fields})

    lines = [
        bad(request_id=f"{prefix}-long", messages="x" * 100_000),  # a good row, 100 KB long
        good[0],
        bad(request_id=f"{prefix}-huge", spend=1e10),
        good[1],
        bad(request_id=f"{prefix}-tokens", prompt_tokens=2**64),
        bad(request_id=f"{prefix}-half-emoji", metadata={"user_api_key_team_alias": "\ud83d"}),
        good[2],
        bad(request_id=f"{prefix}-year-1", startTime="0001-01-01T00:00:00"),
        bad(request_id=f"{prefix}-nul", model="gpt-4o\u0000"),
        good[3],
    ]
    return ("\n".join(lines) + "\n").encode()


def test_a_poisoned_file_between_good_ones_never_stops_the_source(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    watch = tmp_path / "logs"
    bad = {"b-poisoned.jsonl": _poisoned("b")}
    output, held = _good_bad_good(ledger_engine, tmp_path, 3, bad, 5, 2)
    assert "Traceback" not in output
    good = ["a-0", "a-1", "a-2", "b-0", "b-1", "b-2", "b-3", "b-long", "c-0", "c-1"]
    assert ledger_keys(ledger_engine) == sorted(good)
    assert sorted(item["location"].removeprefix(f"{watch}/") for item in held) == [
        "b-poisoned.jsonl:3", "b-poisoned.jsonl:5", "b-poisoned.jsonl:6", "b-poisoned.jsonl:8",
        "b-poisoned.jsonl:9",
    ]  # fmt: skip
    assert all(item["reason"] for item in held)
