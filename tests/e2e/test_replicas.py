"""Scale-out on PostgreSQL (DESIGN section 10): one `governance run` leads, two `governance
serve` replicas answer /directives and the dashboard from the same ledger, and a change
published anywhere reaches every replica."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from governance.config import starter_config_text
from tests.e2e.daemon import RunProcess
from tests.factories import insert_rows, ledger_row


class ServeProcess(RunProcess):
    """``python -m governance serve``: the HTTP app without the scheduler."""

    command = "serve"


def _directives(process: RunProcess) -> dict[str, Any]:
    status, body = process.get("/directives")
    assert status == 200, body
    document: dict[str, Any] = json.loads(body)
    return document


@pytest.mark.postgres
def test_replicas_serve_what_the_leader_publishes(pg_empty: Engine, tmp_path: Path) -> None:
    # Batch over a $25 allocation this month: the leader's first evaluation downgrades it.
    # A minute ago: this period's, whatever the date (at 00:30 on the 1st, 01:00 is to come).
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    overspend = ledger_row(
        occurred_at=start, category="batch", tier="premium", model="gpt-4o", cost=Decimal(30)
    )
    insert_rows(pg_empty, [overspend])
    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text().replace('amount = "50000.00"', 'amount = "100.00"'))
    environ = {
        "GOVERNANCE_CONFIG": str(config),
        "GOVERNANCE_DATABASE_URL": pg_empty.url.render_as_string(hide_password=False),
    }
    with (
        RunProcess(tmp_path / "run.log", environ) as leader,
        ServeProcess(tmp_path / "a.log", environ) as first,
        ServeProcess(tmp_path / "b.log", environ) as second,
    ):
        leader.wait_for(r"role=leader")
        published = leader.until(lambda: _directives(leader)["directives"])
        version = _directives(leader)["version"]
        assert {d["id"] for d in published} >= {f"{start:%Y-%m}/batch/standard-economy"}
        for replica in (first, second):
            assert replica.until(lambda r=replica: _directives(r)["version"] == version)
            assert _directives(replica)["routes"] == _directives(leader)["routes"]
            assert replica.get("/")[0] == 200  # the dashboard
            status, layout = replica.get("/_dash-layout")
            assert status == 200 and b"page" in layout

        # A revocation published by any process reaches every replica within seconds.
        revoke = [sys.executable, "-m", "governance", "directive", "revoke"]
        revoke += [f"{start:%Y-%m}/batch/standard-economy", "--reason", "replica test"]
        done = subprocess.run(revoke, env={**os.environ, **environ}, capture_output=True)
        assert done.returncode == 0, done.stderr
        for replica in (first, second, leader):
            replica.until(lambda r=replica: _directives(r)["version"] != version, timeout=10)
            ids = {d["id"] for d in _directives(replica)["directives"]}
            assert f"{start:%Y-%m}/batch/standard-economy" not in ids
