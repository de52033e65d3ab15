"""A failpoint: on the ``PYTHONPATH`` of a process under test (Python imports
``sitecustomize`` at start), it pauses the process at the point named by
``GOVERNANCE_FAILPOINT`` and says so on stderr, so that a test can SIGKILL it exactly there.
Nothing else changes: the code before the point runs as it always does.

Points:
- ``evaluate``: an evaluation has written everything in its transaction (its inputs,
  crossings, directives, published document and alerts), which is not yet committed.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

REACHED = "failpoint {} reached"


def _pause(point: str) -> None:
    print(REACHED.format(point), file=sys.stderr, flush=True)
    while True:
        time.sleep(60)  # until killed


def _install(point: str) -> None:
    if point != "evaluate":
        raise SystemExit(f"unknown failpoint {point!r}")
    from governance import evaluate

    enqueue = getattr(evaluate, "enqueue_alerts")  # noqa: B009  # the name evaluate() calls

    def enqueue_then_pause(*args: Any, **kwargs: Any) -> Any:
        enqueue(*args, **kwargs)
        _pause(point)

    setattr(evaluate, "enqueue_alerts", enqueue_then_pause)  # noqa: B010


if failpoint := os.environ.get("GOVERNANCE_FAILPOINT"):
    _install(failpoint)
