"""Test hooks for a process under test: on its ``PYTHONPATH`` (Python imports ``sitecustomize``
at start), this moves its clock and arms failpoints, as the test's environment says. Nothing else
changes.

``GOVERNANCE_TEST_AT`` (set by ``pytest --at``, see tests/clock.py): ``MOMENT@EPOCH``, the fake
moment the test's clock read at the real time EPOCH; this process's clock is moved by the same
offset and ticks on, so the test and the process agree on "now".

``GOVERNANCE_FAILPOINT`` pauses the process at the named point and says so on stderr, so that a
test can SIGKILL it exactly there; the code before the point runs as it always does.

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
    from governance.services import evaluate

    enqueue = getattr(evaluate, "enqueue_alerts")  # noqa: B009  # the name evaluate() calls

    def enqueue_then_pause(*args: Any, **kwargs: Any) -> Any:
        enqueue(*args, **kwargs)
        _pause(point)

    setattr(evaluate, "enqueue_alerts", enqueue_then_pause)  # noqa: B010


def _travel(value: str) -> None:
    from datetime import datetime, timedelta

    import time_machine

    moment, _, epoch = value.rpartition("@")
    now = datetime.fromisoformat(moment) + timedelta(seconds=time.time() - float(epoch))
    time_machine.travel(now, tick=True).start()  # for the life of the process


if at := os.environ.get("GOVERNANCE_TEST_AT"):
    _travel(at)
if failpoint := os.environ.get("GOVERNANCE_FAILPOINT"):
    _install(failpoint)
