"""Files decoded into items: JSON Lines (read on from a byte offset), JSON documents, CSV.

Each item carries its location (``path:line``) and the byte offset just after it, which is
what the source cursor stores so that an appended file is read on from where the last run
stopped. JSON numbers are decoded as Decimal, never through float.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Literal

Kind = Literal["jsonl", "json", "csv"]

_DECODER = json.JSONDecoder(parse_float=Decimal)


def decode_json(text: str | bytes) -> Any:
    """A JSON value with its numbers' decimals kept exact (Decimal, never float). Nesting
    deeper than Python's recursion limit is a JSONDecodeError too, as any other bad JSON."""
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


_BOM = codecs.BOM_UTF8
_SNIFF_BYTES = 65536


@dataclass(frozen=True, slots=True)
class Item:
    location: str
    value: Any
    end: int  # byte offset just after the item
    line: int


@dataclass(frozen=True, slots=True)
class Undecodable:
    location: str
    reason: str
    raw: str
    end: int
    line: int


Decoded = Item | Undecodable


def container_kind(path: Path) -> Kind:
    """JSON Lines, a JSON document or CSV, told from the file's first bytes.

    JSON Lines when two of the first lines are whole objects or arrays (a broken first line
    must not turn a log into a document); a pretty-printed document has no such lines.
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES).removeprefix(_BOM).lstrip()
    if head[:1] not in (b"{", b"["):
        return "csv"
    lines = [line for line in head.split(b"\n")[:20] if line.strip()]
    whole = sum(1 for line in lines if isinstance(_try_json(line), dict | list))
    if whole >= 2 or (whole == 1 and len(lines) > 1 and _try_json(lines[0]) is None):
        return "jsonl"
    return "json"


def _try_json(line: bytes) -> Any:
    try:
        return decode_json(line)
    except ValueError:
        return None


def read_items(
    path: Path,
    kind: Kind,
    offset: int = 0,
    line: int = 1,
    decode_line: Callable[[bytes], Any] | None = None,
) -> Iterator[Decoded]:
    """The items of ``path`` from byte ``offset`` (where line number ``line`` starts).

    ``decode_line`` is a format's fast decoder for JSON lines, tried before the generic one.
    """
    with path.open("rb") as handle:
        if kind == "jsonl":
            yield from _jsonl(handle, str(path), offset, line, decode_line)
        elif kind == "csv":
            yield from _csv(handle, str(path), offset)
        else:
            yield from _json_document(handle, str(path))


def _skip_bom(handle: BinaryIO, offset: int) -> int:
    if offset == 0 and handle.read(len(_BOM)) == _BOM:
        return len(_BOM)
    handle.seek(offset)
    return offset


def _jsonl(
    handle: BinaryIO,
    name: str,
    offset: int,
    line: int,
    decode_line: Callable[[bytes], Any] | None,
) -> Iterator[Decoded]:
    position = _skip_bom(handle, offset)
    while chunk := handle.readline():
        end = position + len(chunk)
        location = f"{name}:{line}"
        complete = chunk.endswith(b"\n")
        body = chunk.strip()
        if body and decode_line is not None:
            try:
                yield Item(location, decode_line(body), end, line)
                position, line = end, line + 1
                continue
            except Exception:  # the generic decoder below says what is wrong
                pass
        if body:
            try:
                text = body.decode("utf-8")
                value = decode_json(text)
            except UnicodeDecodeError:
                yield Undecodable(
                    location, "not UTF-8 text", body.decode("utf-8", "replace"), end, line
                )
            except ValueError as exc:
                if not complete:
                    return  # a line still being written: the next run reads it whole
                yield Undecodable(location, f"not JSON: {exc}", text, end, line)
            else:
                yield Item(location, value, end, line)
        position, line = end, line + 1


class _CountingLines:
    """Text lines of a binary file, counting the bytes handed out (csv pulls whole rows)."""

    def __init__(self, handle: BinaryIO, position: int) -> None:
        self.handle, self.position, self.lines = handle, position, 0
        self.last = ""  # the last line handed out

    def __iter__(self) -> _CountingLines:
        return self

    def __next__(self) -> str:
        chunk = self.handle.readline()
        if not chunk:
            raise StopIteration
        self.position += len(chunk)
        self.lines += 1
        self.last = chunk.decode("utf-8", "replace")
        return self.last


def _csv_rows(lines: _CountingLines) -> Iterator[list[str] | csv.Error]:
    """csv's rows, with its errors in their place: a row csv cannot read (a bare carriage
    return in a field, a field over csv's size limit: a binary file) is one bad record, not
    the end of the run."""
    reader = csv.reader(lines)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


def _csv(handle: BinaryIO, name: str, offset: int) -> Iterator[Decoded]:
    start = _skip_bom(handle, 0)
    lines = _CountingLines(handle, start)
    header = next(_csv_rows(lines), None)
    if header is None:
        return
    if isinstance(header, csv.Error):  # every row is then held, for want of columns
        if offset == 0:
            yield Undecodable(
                f"{name}:1", f"not CSV: {header}", lines.last.strip(), lines.position, 1
            )
        header = []
    if offset > lines.position:
        handle.seek(offset)
        lines.position = offset
    # Line numbers are only known reading from the start; a resumed read names the byte offset.
    resumed = offset > 0 and offset != lines.position
    for row in _csv_rows(lines):
        if isinstance(row, csv.Error):
            where = f"{name}@{lines.position}" if resumed else f"{name}:{lines.lines}"
            text = lines.last.strip()
            yield Undecodable(where, f"not CSV: {row}", text, lines.position, lines.lines)
            continue
        first_line = lines.lines - row_line_count(row) + 1
        where = f"{name}@{lines.position}" if resumed else f"{name}:{first_line}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raw = io.StringIO()
            csv.writer(raw).writerow(row)
            reason = f"has {len(row)} columns, the header has {len(header)}"
            yield Undecodable(where, reason, raw.getvalue().strip(), lines.position, first_line)
            continue
        yield Item(where, dict(zip(header, row, strict=True)), lines.position, first_line)


def row_line_count(row: list[str]) -> int:
    return 1 + sum(cell.count("\n") for cell in row)


def _json_document(handle: BinaryIO, name: str) -> Iterator[Decoded]:
    data = handle.read()
    end = len(data)
    try:
        value = decode_json(data.removeprefix(_BOM).decode("utf-8"))
    except UnicodeDecodeError:
        yield Undecodable(
            f"{name}:1", "not UTF-8 text", data[:2000].decode("utf-8", "replace"), end, 1
        )
    except json.JSONDecodeError as exc:
        where = f"{name}:{exc.lineno}"
        yield Undecodable(
            where,
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            data[:2000].decode("utf-8", "replace"),
            end,
            exc.lineno,
        )
    else:
        yield Item(f"{name}:1", value, end, 1)
