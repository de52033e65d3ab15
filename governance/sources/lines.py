"""Lines of a file read with a cap on their length, so that no file can take the memory.

A line over the cap (``options.max_record_bytes``, default 8 MiB) is never held whole: it is
read through in chunks and kept as its length, its sha256 and a bounded excerpt, which is what
the quarantine holds of it. A sparse or NUL-filled file of 1 GiB is then one such line.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

DEFAULT_MAX_RECORD_BYTES: Final = 8 * 1024 * 1024
EXCERPT_BYTES: Final = 2000
_CHUNK: Final = 1024 * 1024
# A last line without its newline waits while the file changes (a writer is still writing it);
# once the file has not changed for this long, it is read as it stands.
SETTLE_SECONDS: Final = 60


@dataclass(frozen=True, slots=True)
class Line:
    data: bytes  # the line with its newline; only the excerpt when ``over`` is set
    start: int
    end: int  # byte offset just after the line
    complete: bool  # ends with a newline
    number: int  # its line number, counted from where reading started
    over: Overlong | None = None


@dataclass(frozen=True, slots=True)
class Overlong:
    """A line or record over the cap: its length and hash (the excerpt is ``Line.data``)."""

    size: int
    sha256: str
    cap: int

    def reason(self, what: str = "line") -> str:
        return (
            f"a {what} of {self.size:,} bytes, over the record cap of {self.cap:,} bytes "
            f"(options.max_record_bytes); sha256 {self.sha256}; the first {EXCERPT_BYTES:,} "
            "bytes are kept"
        )

    def raw(self, excerpt: str) -> str:
        """The excerpt as the quarantine holds it: its hash makes two long lines two records."""
        return f"{excerpt}\u2026 [{self.size:,} bytes, sha256 {self.sha256}]"


def read_lines(handle: BinaryIO, position: int, cap: int, number: int = 1) -> Iterator[Line]:
    """The lines of ``handle`` from ``position`` (line ``number``), each at most ``cap`` bytes
    (its newline aside) held in memory; a longer one has ``over`` set and only its excerpt."""
    handle.seek(position)
    number -= 1
    while chunk := handle.readline(cap + 1):
        start, number = position, number + 1
        position += len(chunk)
        if len(chunk) <= cap or chunk.endswith(b"\n"):
            yield Line(chunk, start, position, chunk.endswith(b"\n"), number)
            continue
        digest, excerpt = hashlib.sha256(chunk), chunk[:EXCERPT_BYTES]
        complete = False
        while piece := handle.readline(_CHUNK):
            position += len(piece)
            digest.update(piece)
            if piece.endswith(b"\n"):
                complete = True
                break
        size = position - start - (1 if complete else 0)
        over = Overlong(size, digest.hexdigest(), cap)
        yield Line(excerpt, start, position, complete, number, over)


def hashed(handle: BinaryIO, cap: int) -> tuple[bytes, Overlong | None]:
    """The whole of ``handle`` if it is at most ``cap`` bytes, else its excerpt and hash."""
    data = handle.read(cap + 1)
    if len(data) <= cap:
        return data, None
    digest = hashlib.sha256(data)
    size = len(data)
    while piece := handle.read(_CHUNK):
        digest.update(piece)
        size += len(piece)
    return data[:EXCERPT_BYTES], Overlong(size, digest.hexdigest(), cap)


def settled(handle: BinaryIO) -> bool:
    """True when the open file has not changed for SETTLE_SECONDS (file-system time: this is
    about a writer's pace, not the budget's clock)."""
    return time.time() - os.fstat(handle.fileno()).st_mtime >= SETTLE_SECONDS


def is_regular(path: os.PathLike[str] | str) -> bool:
    """True for a regular file (symlinks followed); a FIFO, device or socket would block or
    never end."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
