"""CSV read so that every physical line is accounted for, and none is read half-written.

csv joins lines while a quote is open, so one stray ``"`` would make the rest of a file one
cell. Here a row that spans lines and does not make a record (its quote runs to the end of the
file, or the row has the wrong number of columns) costs only its first line, which is held;
the lines after it are read again on their own. A row without its newline yet (the writer is
still writing it) waits for the next run, as does a quote still open at the end of the file,
unless the lines after it are whole rows (then the quote is stray) or the file has settled.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from governance.domain.credentials import is_secret_name
from governance.sources.items import Decoded, Item, Undecodable
from governance.sources.lines import Line, read_lines
from governance.sources.redact import REDACTED


@dataclass(frozen=True, slots=True)
class _Row:
    lines: list[Line]  # the physical lines csv took for it
    cells: list[str] | None
    error: str | None  # what csv said was wrong
    cut: Line | None  # an overlong line, or the one that took the row over the cap
    open: bool  # csv wanted more lines than it was given: the end of the file, or a cut


class _Feed:
    """Lines handed to csv one at a time; a row's lines are kept until it is judged, and can be
    handed out again (after a stray quote's line, the lines it swallowed)."""

    def __init__(self, lines: Iterator[Line], cap: int) -> None:
        self._lines, self._cap = lines, cap
        self._back: list[Line] = []  # to hand out again, last first
        self._taken: list[Line] = []
        self._size = 0
        self._cut: Line | None = None
        self._exhausted = False

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self._cut is not None:
            raise StopIteration
        line = self._back.pop() if self._back else next(self._lines, None)
        if line is None:
            self._exhausted = True
            raise StopIteration
        if line.over is not None or (self._taken and self._size + len(line.data) > self._cap):
            self._cut = line
            raise StopIteration
        self._taken.append(line)
        self._size += len(line.data)
        return line.data.decode("utf-8", "replace")

    def again(self, lines: list[Line]) -> None:
        self._back.extend(reversed(lines))

    def row(self) -> _Row | None:
        """The next row, or None at the end."""
        self._taken, self._size, self._cut, self._exhausted = [], 0, None, False
        cells: list[str] | None = None
        error = None
        try:
            cells = next(csv.reader(self))
        except StopIteration:
            pass
        except csv.Error as exc:
            error = str(exc)
        if not self._taken and self._cut is None:
            return None  # the end (csv cannot fail before it takes a line)
        wanted_more = self._exhausted or self._cut is not None
        return _Row(self._taken, cells, error, self._cut, wanted_more and bool(self._taken))


def _alone(line: Line) -> list[str] | None:
    """The cells of one physical line read on its own, or None when csv cannot read it."""
    try:
        return next(csv.reader([line.data.decode("utf-8", "replace")]), [])
    except csv.Error:
        return None


def _stray(row: _Row, width: int) -> bool:
    """True when a line after the row's first is a whole row of its own: the quote is stray,
    not a cell still being written."""
    return width > 1 and any(
        line.complete and len(_alone(line) or ()) == width for line in row.lines[1:]
    )


def _text(lines: list[Line]) -> str:
    return b"".join(line.data for line in lines).decode("utf-8", "replace").strip()


def _raw(cells: list[str], header: list[str]) -> str:
    """A row as CSV text for the quarantine, the cells of secret-named columns hidden."""
    hidden = [
        REDACTED if i < len(header) and is_secret_name(header[i]) and cell else cell
        for i, cell in enumerate(cells)
    ]
    out = io.StringIO()
    csv.writer(out).writerow(hidden)
    return out.getvalue().strip()


def read_csv(
    handle: BinaryIO, name: str, start: int, offset: int, cap: int, wait: bool
) -> Iterator[Decoded]:
    """The records of a CSV file whose header starts at byte ``start``, from byte ``offset``;
    ``wait``: a last row without its newline may still be being written."""
    if csv.field_size_limit() < cap:  # a long prompt in a cell is a record, up to the cap
        csv.field_size_limit(cap)
    feed = _Feed(read_lines(handle, start, cap), cap)
    head = feed.row()
    if head is None:
        return
    head_end = head.lines[-1] if head.lines else head.cut
    if wait and head_end is not None and not head_end.complete:
        return  # not all of the header yet
    header: list[str] = []
    if head.cut is not None and not head.lines:
        if offset == 0:
            over = head.cut.over
            assert over is not None
            excerpt = head.cut.data.decode("utf-8", "replace")
            yield Undecodable(f"{name}:1", over.reason(), over.raw(excerpt), head.cut.end, 1)
        header_end = head.cut.end
    elif head.error is not None:
        if offset == 0:
            yield Undecodable(
                f"{name}:1", f"not CSV: {head.error}", _text(head.lines), head.lines[-1].end, 1
            )
        header_end = head.lines[-1].end
    else:
        if head.open:  # a quote in the header ran on: the header is its first line
            feed.again(head.lines[1:] + ([head.cut] if head.cut else []))
            head = _Row(head.lines[:1], _alone(head.lines[0]), None, None, False)
        header, header_end = head.cells or [], head.lines[-1].end
    if offset > header_end:
        feed = _Feed(read_lines(handle, offset, cap), cap)
    # Line numbers are only known reading from the start; a resumed read names the byte offset.
    resumed = offset > 0 and offset != header_end
    yield from _records(feed, name, header, resumed, wait)


def _records(
    feed: _Feed, name: str, header: list[str], resumed: bool, wait: bool
) -> Iterator[Decoded]:
    def where(first: Line, end: int) -> str:
        return f"{name}@{end}" if resumed else f"{name}:{first.number}"

    width = len(header)
    while (row := feed.row()) is not None:
        if not row.lines:  # an overlong line
            line, over = row.cut, row.cut.over if row.cut else None
            assert line is not None and over is not None
            if wait and not line.complete:
                return
            excerpt = line.data.decode("utf-8", "replace")
            yield Undecodable(where(line, line.end), over.reason(), over.raw(excerpt), line.end,
                              line.number)  # fmt: skip
            continue
        first, last = row.lines[0], row.lines[-1]
        if wait and (
            not last.complete or (row.open and row.cut is None and not _stray(row, width))
        ):
            return  # a row still being written: the next run reads it whole
        spans = len(row.lines) > 1
        if spans and (row.open or row.error is not None or len(row.cells or ()) != width):
            reason = (
                f"a quote opened on this line runs across {len(row.lines)} lines without making"
                f" a row of {width} columns; the lines after it are read on their own"
            )
            yield Undecodable(where(first, first.end), reason, _text([first]), first.end,
                              first.number)  # fmt: skip
            feed.again(row.lines[1:] + ([row.cut] if row.cut else []))
            continue
        if row.cut is not None:
            feed.again([row.cut])
        if row.error is not None:
            text = _text(row.lines)
            yield Undecodable(where(first, last.end), f"not CSV: {row.error}", text, last.end,
                              first.number)  # fmt: skip
            continue
        cells = row.cells or []
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != width:
            reason = f"has {len(cells)} columns, the header has {width}"
            yield Undecodable(where(first, last.end), reason, _raw(cells, header), last.end,
                              first.number)  # fmt: skip
            continue
        yield Item(where(first, last.end), dict(zip(header, cells, strict=True)), last.end,
                   first.number)  # fmt: skip
