"""Files decoded into items: JSON Lines (read on from a byte offset), JSON documents, CSV.

Each item carries its location (``path:line``) and the byte offset just after it, which is
what the source cursor stores so that an appended file is read on from where the last run
stopped. JSON numbers are decoded as Decimal, never through float. No line, row or document
over the record cap is held in memory (``governance.sources.lines``).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

from governance.sources.csv_rows import read_csv
from governance.sources.items import Decoded, Item, Undecodable, decode_json
from governance.sources.lines import DEFAULT_MAX_RECORD_BYTES, hashed, read_lines
from governance.sources.lines import settled as is_settled

__all__ = ["Decoded", "Item", "Kind", "Undecodable", "container_kind", "decode_json", "read_items"]

Kind = Literal["jsonl", "json", "csv"]

_BOM = codecs.BOM_UTF8
_SNIFF_LINES = 20
_WHITESPACE = b" \t\r\n"


def container_kind(path: Path, cap: int = DEFAULT_MAX_RECORD_BYTES) -> Kind:
    """JSON Lines, a JSON document or CSV, told from the file's first lines, each read whole
    up to the record cap however long it is (a spend log keeping a long prompt).

    JSON Lines when two of the first lines are whole objects or arrays (a broken first line
    must not turn a log into a document); a pretty-printed document has no such lines, and a
    minified one is a single line.
    """
    with path.open("rb") as handle:
        start = _first_byte(handle)
        if start is None or handle.read(1) not in (b"{", b"["):
            return "csv"
        whole, first_whole, seen = 0, False, 0
        for line in read_lines(handle, start, cap):
            if not line.data.strip():
                continue
            seen += 1
            # A line over the cap cannot be decoded; one that opens like an object counts as
            # one (a document is one line, or many short ones).
            if line.over is not None:
                is_whole = line.data.lstrip()[:1] in (b"{", b"[")
            else:
                is_whole = isinstance(_try_json(line.data), dict | list)
            whole += is_whole
            first_whole = first_whole or (seen == 1 and is_whole)
            if whole >= 2 or (whole == 1 and seen > 1 and not first_whole):
                return "jsonl"
            if seen >= _SNIFF_LINES:
                break
    return "json"


def _first_byte(handle: BinaryIO) -> int | None:
    """The offset of the first byte that is not a byte-order mark or whitespace (left there)."""
    position = len(_BOM) if handle.read(len(_BOM)) == _BOM else 0
    handle.seek(position)
    while chunk := handle.read(65536):
        stripped = chunk.lstrip(_WHITESPACE)
        if stripped:
            position += len(chunk) - len(stripped)
            handle.seek(position)
            return position
        position += len(chunk)
    return None


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
    cap: int = DEFAULT_MAX_RECORD_BYTES,
    settled: bool = False,
) -> Iterator[Decoded]:
    """The items of ``path`` from byte ``offset`` (where line number ``line`` starts).

    ``decode_line`` is a format's fast decoder for JSON lines, tried before the generic one;
    ``cap`` is the record cap in bytes (``options.max_record_bytes``). A last line without its
    newline waits unless the file is ``settled`` (unchanged since the last run) or has not
    changed for a minute.
    """
    with path.open("rb") as handle:
        wait = not (settled or is_settled(handle))
        if kind == "jsonl":
            yield from _jsonl(handle, str(path), offset, line, decode_line, cap, wait)
        elif kind == "csv":
            yield from read_csv(handle, str(path), _skip_bom(handle, 0), offset, cap, wait)
        else:
            yield from _json_document(handle, str(path), cap)


def _skip_bom(handle: BinaryIO, offset: int) -> int:
    if offset == 0 and handle.read(len(_BOM)) == _BOM:
        return len(_BOM)
    handle.seek(offset)
    return offset


def _jsonl(
    handle: BinaryIO,
    name: str,
    offset: int,
    number: int,
    decode_line: Callable[[bytes], Any] | None,
    cap: int,
    wait: bool,
) -> Iterator[Decoded]:
    for line in read_lines(handle, _skip_bom(handle, offset), cap, number):
        location, end = f"{name}:{line.number}", line.end
        if line.over is not None:
            if wait and not line.complete:
                return
            excerpt = line.data.decode("utf-8", "replace")
            yield Undecodable(
                location, line.over.reason(), line.over.raw(excerpt), end, line.number
            )
            continue
        body = line.data.strip()
        if not body:
            continue
        if decode_line is not None:
            try:
                yield Item(location, decode_line(body), end, line.number)
                continue
            except Exception:  # the generic decoder below says what is wrong
                pass
        try:
            text = body.decode("utf-8")
            value = decode_json(text)
        except UnicodeDecodeError:
            if wait and not line.complete:
                return
            raw = body.decode("utf-8", "replace")
            yield Undecodable(location, "not UTF-8 text", raw, end, line.number)
        except ValueError as exc:
            if wait and not line.complete:
                return  # a line still being written: the next run reads it whole
            yield Undecodable(location, f"not JSON: {exc}", text, end, line.number)
        else:
            yield Item(location, value, end, line.number)


def _json_document(handle: BinaryIO, name: str, cap: int) -> Iterator[Decoded]:
    data, over = hashed(handle, cap)
    end = handle.tell()
    if over is not None:
        excerpt = data.decode("utf-8", "replace")
        yield Undecodable(f"{name}:1", over.reason("document"), over.raw(excerpt), end, 1)
        return
    try:
        value = decode_json(data.removeprefix(_BOM).decode("utf-8"))
    except UnicodeDecodeError:
        yield Undecodable(f"{name}:1", "not UTF-8 text", data.decode("utf-8", "replace"), end, 1)
    except json.JSONDecodeError as exc:
        # Held whole (it is within the cap): a fixed reader or format can read it again.
        reason = f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        yield Undecodable(f"{name}:{exc.lineno}", reason, data.decode("utf-8", "replace"), end,
                          exc.lineno)  # fmt: skip
    else:
        yield Item(f"{name}:1", value, end, 1)
