"""Which files a source names, and where to start reading each one (the file cursor).

A cursor remembers the byte offset read up to, with the file's identity: its inode and a hash
of its first bytes. A truncated or replaced file fails that check and is read from the start;
the ledger's unique keys keep a re-read from adding anything twice.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from governance.sources.containers import Kind

_HEAD_BYTES = 4096


def expand(patterns: Iterable[str]) -> list[Path]:
    """Files named by paths, globs and directories (their files), sorted, each once."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        matches = (
            sorted(glob.glob(expanded, recursive=True)) if glob.has_magic(expanded) else [expanded]
        )
        for match in matches:
            path = Path(match)
            if path.is_dir():
                for child in sorted(p for p in path.rglob("*") if p.is_file()):
                    found[child.resolve()] = None
            else:
                found[path.resolve() if path.exists() else path] = None
    return list(found)


def _head_hash(path: Path, length: int) -> str:
    with path.open("rb") as handle:
        return hashlib.sha256(handle.read(length)).hexdigest()


@dataclass(frozen=True)
class Start:
    offset: int
    line: int
    unchanged: bool  # nothing new since the last complete read


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
    if stat.st_size == offset and cursor.get("mtime_ns", stat.st_mtime_ns) == stat.st_mtime_ns:
        return Start(offset, int(cursor.get("line", 1)), True)
    if kind == "json":
        return Start(0, 1, False)  # a changed document is read whole again
    return Start(offset, int(cursor.get("line", 1)), False)


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
        "head_length": head_length,
        "head": _head_hash(path, head_length),
    }
