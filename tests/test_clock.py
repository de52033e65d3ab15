"""The ``--at`` clock itself: this process and the processes a test starts agree on the moment."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.clock import moment_of


def test_the_test_and_its_processes_start_at_the_moment(request: pytest.FixtureRequest) -> None:
    text = request.config.getoption("--at")
    if not text:
        pytest.skip("runs with --at MOMENT (CI's clock run)")
    moment = moment_of(text)
    assert abs(datetime.now(UTC) - moment) < timedelta(seconds=5)
    seen = subprocess.run(
        [sys.executable, "-c", "import datetime; print(datetime.datetime.now(datetime.UTC))"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert abs(datetime.fromisoformat(seen.strip()) - moment) < timedelta(seconds=30)
