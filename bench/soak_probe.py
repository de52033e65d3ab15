"""What bench/soak.py reads from the daemon under test: its RSS, how long its last ingest and
evaluation runs took, and the errors and warnings in its log."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path


def job_seconds(port: int) -> tuple[float, float]:
    """How long the daemon's last ingest and evaluation runs took (its /healthz)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        jobs = json.loads(conn.getresponse().read())["jobs"]
    finally:
        conn.close()
    took = [
        jobs.get(name, {}).get("last_duration_seconds") for name in ("ingest:gateway", "evaluate")
    ]
    return took[0] or 0.0, took[1] or 0.0


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found[1]) / 1024 if found else float("nan")


def daemon_errors(log: Path) -> tuple[list[str], list[str]]:
    """The daemon's errors (error lines, failed or crashed job runs) and its other warnings
    (such as a slow request)."""
    errors, warnings = [], []
    for line in log.read_text().splitlines():
        if "level=error" in line or re.search(r'event="job \S+ (failed|crashed)', line):
            errors.append(line)
        elif "level=warning" in line:
            warnings.append(line)
    return errors, warnings
