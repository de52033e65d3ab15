"""Which files a source names, and where to start reading each one (the file cursor).

A cursor remembers the byte offset read up to, with the file's identity: its inode and a hash
of its first bytes. A truncated or replaced file fails that check and is read from the start;
the ledger's unique keys keep a re-read from adding anything twice.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import stat as stats
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.sources.containers import Kind

_HEAD_BYTES = 4096
log = logging.getLogger(__name__)


def expand(patterns: Iterable[str]) -> list[Path]:
    """Files named by paths, globs and directories (their files), sorted, each once.

    Only regular files are read: a FIFO, device or socket (which would block, or never end) is
    skipped with a logged reason, and so is a directory reached twice under a ``**`` glob or a
    folder (a symlink loop, which would otherwise be walked for ever). A named path that does
    not exist is kept, for the run to report.
    """
    found: dict[Path, None] = {}
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        matches = sorted(_glob(expanded)) if glob.has_magic(expanded) else [expanded]
        for match in matches:
            path = Path(match)
            if path.is_dir():
                for child in sorted(_walk(str(path), hidden=True)):
                    found[Path(child).resolve()] = None
            elif not os.path.lexists(path):
                found[path] = None
            elif (why := _not_regular(path)) is None:
                found[path.resolve()] = None
            else:
                log.warning("skipped %s: %s", path, why, extra={"path": str(path)})
    return list(found)


def _glob(pattern: str) -> Iterator[str]:
    """``glob.glob`` with ``**``, walked once per directory: Python's own follows a symlink to
    an ancestor round and round."""
    parts = pattern.split(os.sep)
    if "**" not in parts:
        yield from glob.glob(pattern)
        return
    at = parts.index("**")
    head, tail = (
        os.sep.join(parts[:at]) or ("/" if pattern.startswith(os.sep) else "."),
        parts[at + 1 :],
    )
    for root in glob.glob(head) if glob.has_magic(head) else [head]:
        if not os.path.isdir(root):
            continue
        if not tail:
            yield from _walk(root, hidden=False)
            continue
        for folder in _folders(root, hidden=False):
            yield from _glob(os.path.join(glob.escape(folder), *tail))


def _folders(root: str, hidden: bool) -> Iterator[str]:
    """``root`` and every folder under it, symlinks followed, each real folder once."""
    seen: set[tuple[int, int]] = set()
    for folder, subfolders, _ in os.walk(root, followlinks=True):
        identity = _identity(folder)
        if identity in seen:
            log.warning("skipped %s: a folder already walked (a symlink loop)", folder,
                        extra={"path": folder})  # fmt: skip
            subfolders.clear()
            continue
        seen.add(identity)
        subfolders[:] = sorted(d for d in subfolders if hidden or not d.startswith("."))
        yield folder


def _walk(root: str, hidden: bool) -> Iterator[str]:
    """The regular files under ``root`` (non-regular ones skipped with a logged reason)."""
    for folder in _folders(root, hidden):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if (not hidden and name.startswith(".")) or os.path.isdir(path):
                continue
            if (why := _not_regular(Path(path))) is None:
                yield path
            else:
                log.warning("skipped %s: %s", path, why, extra={"path": path})


def _identity(folder: str) -> tuple[int, int]:
    status = os.stat(folder)
    return status.st_dev, status.st_ino


def _not_regular(path: Path) -> str | None:
    """Why ``path`` (symlinks followed) is not a file to read, or None when it is one."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stats.S_ISREG(mode):
        return None
    kinds = {stats.S_ISFIFO: "a FIFO", stats.S_ISSOCK: "a socket", stats.S_ISCHR: "a device",
             stats.S_ISBLK: "a device"}  # fmt: skip
    kind = next((name for test, name in kinds.items() if test(mode)), "not a regular file")
    return f"{kind}, not a regular file"


def _head_hash(path: Path, length: int) -> str:
    with path.open("rb") as handle:
        return hashlib.sha256(handle.read(length)).hexdigest()


@dataclass(frozen=True)
class Start:
    offset: int
    line: int
    unchanged: bool  # nothing new since the last complete read
    # The file is as the last run left it: a last line without its newline is final.
    settled: bool = False


def start_of(path: Path, kind: Kind, cursor: dict[str, Any] | None) -> Start:
    """Where to read ``path`` from, given its saved cursor."""
    if not cursor:
        return Start(0, 1, False)
    stat = path.stat()
    offset = int(cursor.get("offset", 0))
    same_file = (
        cursor.get("inode") == stat.st_ino
        and stat.st_size >= offset
        and cursor.get("kind") == kind
        and cursor.get("head") == _head_hash(path, int(cursor.get("head_length", 0)))
    )
    if not same_file:
        return Start(0, 1, False)
    same_time = cursor.get("mtime_ns", stat.st_mtime_ns) == stat.st_mtime_ns
    if stat.st_size == offset and same_time:
        return Start(offset, int(cursor.get("line", 1)), True, True)
    if kind == "json":
        return Start(0, 1, False)  # a changed document is read whole again
    settled = same_time and cursor.get("size") == stat.st_size
    return Start(offset, int(cursor.get("line", 1)), False, settled)


def position(path: Path, kind: Kind, offset: int, line: int) -> dict[str, Any]:
    """The cursor to save after reading ``path`` up to byte ``offset``."""
    head_length = min(offset, _HEAD_BYTES)
    stat = path.stat()
    return {
        "offset": offset,
        "line": line,
        "kind": kind,
        "inode": stat.st_ino,
        "mtime_ns": stat.st_mtime_ns,
        "size": stat.st_size,
        "head_length": head_length,
        "head": _head_hash(path, head_length),
    }
