"""Whatever bytes land in a watched file, reading it yields items or undecodable records (held
in the quarantine), never an exception: one would end the ingest run, and in the daemon every
later run of that source, at the same file, with the files after it never read."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.sources.containers import Item, Kind, Undecodable, read_items

ROW = b'{"request_id": "r1", "spend": 0.1}\n'


def _read(data: bytes, kind: Kind, offset: int = 0) -> list[Item | Undecodable]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dropped.jsonl"
        path.write_bytes(data)
        return list(read_items(path, kind, offset))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=3000), kind=st.sampled_from(["jsonl", "json", "csv"]))
def test_any_bytes_are_items_or_held(data: bytes, kind: Kind) -> None:
    items = _read(data, kind)
    assert all(isinstance(item, Item | Undecodable) for item in items)
    if items:  # read on from the cursor the last one leaves: nothing is read twice
        ends = [item.end for item in items]
        assert ends == sorted(ends)


def test_a_row_csv_cannot_read_is_held_and_the_rest_read() -> None:
    data = b"request_id,spend\nr1\rr2,0.1\nr3,0.2\n"  # a bare carriage return in a field
    bad, good = _read(data, "csv")
    assert isinstance(bad, Undecodable) and bad.reason.startswith("not CSV: new-line character")
    assert (bad.location, bad.line) == (f"{bad.location.split(':')[0]}:2", 2)
    assert isinstance(good, Item) and good.value == {"request_id": "r3", "spend": "0.2"}


def test_a_binary_file_read_as_csv_is_held_not_raised() -> None:
    data = b"\x1f\x8b\x08\r\x00\xffgarbage\n\x03\x00more\n"  # compressed, say
    items = _read(data, "csv")
    assert [(type(item), item.line) for item in items] == [(Undecodable, 1), (Undecodable, 2)]
    assert isinstance(items[0], Undecodable) and items[0].reason.startswith("not CSV: ")
    assert _read(data, "csv", items[-1].end) == []  # the next run reads nothing again


def test_json_nested_deeper_than_the_recursion_limit_is_bad_json() -> None:
    deep = b"[" * 100_000
    first, bad, last = _read(ROW + deep + b"\n" + ROW, "jsonl")
    assert isinstance(first, Item) and isinstance(last, Item)
    assert isinstance(bad, Undecodable) and bad.reason.startswith("not JSON: nested too deeply")
    (document,) = _read(deep, "json")
    assert isinstance(document, Undecodable) and "nested too deeply" in document.reason
