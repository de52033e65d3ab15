"""Peak RSS of `governance ingest` on files meant to take the memory.

Each file is ingested by a child process into a fresh SQLite ledger (so its peak RSS is its own):
a sparse 1 GiB file (no disk used: NUL bytes, one line), the same read as `--format litellm`,
a 256 MiB JSON Lines file whose lines are 16 MiB each (over the 8 MiB record cap), and 40 lines
of 7 MiB each (under the cap) that are JSON cut short, or records the reader refuses. Prints,
per file, seconds, peak RSS, what was read and quarantined, and the ledger's size.

    .venv/bin/python bench/hostile_files.py [--gib 1]

Target: peak RSS under 300 MB for every file, whatever its size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def _long_lines(path: Path, size: int, line: int) -> Path:
    chunk = b"x" * (1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(size // line):
            handle.write(b'{"request_id": "r", "messages": "')
            for _ in range(line // len(chunk)):
                handle.write(chunk)
            handle.write(b'"}\n')
    return path


def _near_cap(path: Path, count: int, line: int, valid: bool) -> Path:
    """``count`` lines of ``line`` bytes each, under the cap: valid records the reader refuses
    (no startTime), or JSON cut short."""
    body = b"y" * (line - 64)
    with path.open("wb") as handle:
        for index in range(count):
            end = b'"}\n' if valid else b"\n"
            handle.write(b'{"request_id": "r%d", "spend": 1, "messages": "' % index + body + end)
    return path


def ingest(workdir: Path, path: Path, fmt: str | None) -> dict[str, object]:
    """One `governance ingest --json` in a child process: its seconds, peak RSS and report."""
    home = workdir / f"{path.name}.d"
    home.mkdir()
    governance = [sys.executable, "-m", "governance", "--config", str(home / "governance.toml")]
    subprocess.run([*governance, "init"], check=True, capture_output=True, cwd=home)
    started = time.perf_counter()
    command = [*governance, "ingest", str(path), "--json", *(["--format", fmt] if fmt else [])]
    # A child's RUSAGE_CHILDREN peak is the largest of all children so far: one at a time.
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    peak, report = done.stdout.split("\n", 1)
    document = json.loads(report)
    database = next(home.glob("*.db"))
    return {
        "seconds": seconds,
        "peak_mb": int(peak) / 1024,
        "read": document["read"],
        "quarantined": document["quarantined"],
        "ledger_mb": database.stat().st_size / 1e6,
    }


_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(done.stdout)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0)
    args = parser.parse_args()
    size = int(args.gib * 1024**3)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        cases = [
            (_sparse(workdir / "sparse.log", size), None),
            (_sparse(workdir / "sparse.jsonl", size), "litellm"),
            (_long_lines(workdir / "long.jsonl", 256 * 1024**2, 16 * 1024**2), "litellm"),
            (_near_cap(workdir / "near-bad.jsonl", 40, 7 * 1024**2, False), "litellm"),
            (_near_cap(workdir / "near-held.jsonl", 40, 7 * 1024**2, True), "litellm"),
        ]
        for path, fmt in cases:
            result = ingest(workdir, path, fmt)
            print(
                f"{path.name:14} {path.stat().st_size / 1024**2:7,.0f} MiB  "
                f"{result['seconds']:6.1f} s  peak RSS {result['peak_mb']:6.1f} MB  "
                f"read {result['read']}  quarantined {result['quarantined']}  "
                f"ledger {result['ledger_mb']:.1f} MB"
            )
    print(f"(resource limits: {resource.getrlimit(resource.RLIMIT_AS)})")


if __name__ == "__main__":
    main()
