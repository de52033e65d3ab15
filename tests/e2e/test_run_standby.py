"""Two `governance run` processes on one PostgreSQL ledger: one leads (runs the scheduler),
the other waits as a hot standby serving HTTP, and takes over within 30 s of the leader being
killed with SIGKILL."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from governance.config import starter_config_text
from tests.e2e.daemon import RunProcess

TAKEOVER_SECONDS = 30


@pytest.mark.postgres
def test_a_standby_takes_over_when_the_leader_is_killed(pg_empty: Engine, tmp_path: Path) -> None:
    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text())
    environ = {
        "GOVERNANCE_CONFIG": str(config),
        "GOVERNANCE_DATABASE_URL": pg_empty.url.render_as_string(hide_password=False),
    }
    with RunProcess(tmp_path / "a.log", environ) as first:
        first.wait_for(r"role=leader")
        with RunProcess(tmp_path / "b.log", environ) as second:
            second.wait_for(r'event="role standby" role=standby')
            standby = second.health()
            assert (standby["role"], standby["jobs"]) == ("standby", {})
            assert second.get("/directives")[0] == 200  # a standby serves as a replica does
            leader = first.until(lambda: first.health()["jobs"].get("evaluate", {}).get("runs"))
            assert leader and first.health()["role"] == "leader"

            first.process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            second.wait_for(r'event="role leader" role=leader', timeout=TAKEOVER_SECONDS)
            assert time.monotonic() - killed < TAKEOVER_SECONDS
            assert second.until(lambda: second.health()["jobs"].get("evaluate", {}).get("runs"))
            assert second.health()["role"] == "leader"
            second.send(signal.SIGTERM)
            assert second.wait() == 0, second.output()
    assert second.output().rstrip().endswith("event=stopped")
