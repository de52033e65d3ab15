"""Reading within bounds: JSON Lines told by their lines however long, a line or document over
the record cap held as an excerpt with its hash, CSV rows read only once written whole, and a
stray quote costing its own line only."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from governance.sources.containers import Item, Undecodable, container_kind, read_items

HEADER = "request_id,spend,startTime,model\n"


def _row(index: int, prompt: str = "") -> str:
    row = {"request_id": f"r{index}", "spend": 0.001, "startTime": "2026-11-05T10:00:00",
           "model": "gpt-4o", "messages": prompt}  # fmt: skip
    return json.dumps(row) + "\n"


def _settle(path: Path) -> None:
    """As if the writer had finished a while ago (relative to the test's own clock)."""
    past = time.time() - 3600
    os.utime(path, (past, past))


def test_jsonl_whose_first_lines_are_long_is_still_jsonl(tmp_path: Path) -> None:
    for first_long in (True, False):
        path = tmp_path / f"long-{first_long}.jsonl"
        rows = [_row(i) for i in range(1000)]
        rows[0 if first_long else 1] = _row(0 if first_long else 1, "x" * 70_000)
        path.write_text("".join(rows))
        assert container_kind(path) == "jsonl"
        items = list(read_items(path, "jsonl"))
        assert len(items) == 1000 and all(isinstance(item, Item) for item in items)


def test_a_line_over_the_cap_is_held_as_an_excerpt_with_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    long_line = b'{"request_id": "big", "messages": "' + b"z" * 10_000 + b'"}'
    path.write_bytes(_row(1).encode() + long_line + b"\n" + _row(2).encode())
    first, held, last = read_items(path, "jsonl", cap=4096)
    assert isinstance(first, Item) and isinstance(last, Item)
    assert isinstance(held, Undecodable) and held.location.endswith(":2")
    digest = hashlib.sha256(long_line + b"\n").hexdigest()
    assert f"a line of {len(long_line):,} bytes, over the record cap of 4,096" in held.reason
    assert digest in held.reason and len(held.raw) < 2200 and digest in held.raw


def test_a_sparse_file_is_one_held_record_of_its_excerpt(tmp_path: Path) -> None:
    path = tmp_path / "sparse.log"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # no disk used: NUL bytes
    _settle(path)
    for kind in ("csv", "jsonl", "json"):
        (held,) = read_items(path, kind, cap=1024 * 1024)
        assert isinstance(held, Undecodable) and "over the record cap" in held.reason
        assert held.end == 64 * 1024 * 1024 and len(held.raw) < 2200


def test_a_csv_row_still_being_written_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "growing.csv"
    path.write_text(HEADER + "r1,0.50,2026-11-05T10:00:00,gpt-4o\nr2,12")
    (first,) = read_items(path, "csv")
    assert isinstance(first, Item) and first.value["request_id"] == "r1"
    with path.open("a") as handle:
        handle.write("75.50,2026-11-05T10:00:01,gpt-4o\n")
    (second,) = read_items(path, "csv", first.end)
    assert isinstance(second, Item) and second.value["spend"] == "1275.50"


def test_a_last_csv_row_without_newline_is_read_once_the_file_settles(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "r1,0.50,2026-11-05T10:00:00,gpt-4o")
    assert list(read_items(path, "csv")) == []
    assert len(list(read_items(path, "csv", settled=True))) == 1  # unchanged since the last run
    _settle(path)
    assert len(list(read_items(path, "csv"))) == 1


def test_a_stray_quote_costs_its_own_line_only(tmp_path: Path) -> None:
    rows = [f"r{i},0.5,2026-11-05T10:00:00,gpt-4o\n" for i in range(10)]
    rows[2] = 'r2,0.5,"2026-11-05T10:00:00,gpt-4o\n'
    rows[6] = 'r6,"multi\nline",2026-11-05T10:00:00,gpt-4o\n'  # a real multi-line cell stays
    path = tmp_path / "stray.csv"
    path.write_text(HEADER + "".join(rows))
    items = list(read_items(path, "csv"))
    held = [item for item in items if isinstance(item, Undecodable)]
    good = [item.value["request_id"] for item in items if isinstance(item, Item)]
    assert good == [f"r{i}" for i in range(10) if i != 2]
    assert [item.location.rsplit(":", 1)[1] for item in held] == ["4"]
    assert "a quote opened on this line" in held[0].reason
    assert [item.value["spend"] for item in items if isinstance(item, Item)][5] == "multi\nline"
