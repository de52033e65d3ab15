"""``pytest --at MOMENT``: run tests with the clock moved to an awkward moment.

Every test then starts at ``MOMENT`` (UTC, RFC 3339) and the clock ticks on from there: in this
process through time-machine, and in every process a test starts (``governance run``, the CLI)
through ``tests/hooks/sitecustomize.py``, which moves that process's clock by the same offset,
so the test and its daemon agree on what "now" is. Monotonic clocks are never moved: timeouts
and sleeps keep their real length. CI runs the date-sensitive tests at several such moments
(``.ci/clock``); a test that only passes on the day it was written fails there.

``--budget-timezone ZONE`` puts the starter config's budget in ZONE (for a DST change day).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

HOOKS = Path(__file__).parent / "hooks"  # sitecustomize.py for the processes tests start
AT_VARIABLE = "GOVERNANCE_TEST_AT"  # "<moment>@<real epoch seconds when the clock read it>"
TIMEZONE_VARIABLE = "GOVERNANCE_TEST_TIMEZONE"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("clock")
    group.addoption(
        "--at",
        metavar="MOMENT",
        help="start every test's clock at MOMENT (RFC 3339, e.g. 2027-01-01T00:30:00Z)",
    )
    group.addoption(
        "--budget-timezone",
        metavar="ZONE",
        help="the budget timezone of the starter config in tests (e.g. Europe/Berlin)",
    )


def moment_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise pytest.UsageError(f"--at {text!r}: not an RFC 3339 moment") from exc
    if moment.tzinfo is None:
        raise pytest.UsageError(f"--at {text!r}: say the offset (Z for UTC)")
    return moment


@pytest.fixture(autouse=True)
def moved_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """With ``--at``: this test's clock, and that of every process it starts, begin at the
    moment. Without it: nothing changes."""
    zone = request.config.getoption("--budget-timezone")
    if zone:
        monkeypatch.setenv(TIMEZONE_VARIABLE, zone)
    text = request.config.getoption("--at")
    if not text:
        yield
        return
    import time_machine

    moment = moment_of(text)
    monkeypatch.setenv(AT_VARIABLE, f"{moment.isoformat()}@{time.time()!r}")
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HOOKS), path])))
    with time_machine.travel(moment, tick=True):
        yield


def starter_config() -> str:
    """The starter config, its budget in the ``--budget-timezone`` zone when one is given: for
    the daemon's tests, whose assertions hold in any zone."""
    from governance.config import starter_config_text

    text = starter_config_text()
    zone = os.environ.get(TIMEZONE_VARIABLE)
    if zone:
        text = text.replace('timezone = "UTC"', f'timezone = "{zone}"', 1)
        assert zone in text, 'the starter config no longer says timezone = "UTC"'
    return text
