"""A schemathesis run against the live server's /openapi.json: requests generated from the
document (valid and invalid ones), every answer checked against it: status codes, headers,
content types, bodies, bearer auth, unsupported methods.

Schemathesis runs as its command line tool: its pytest loader (``from_fixture``) does not work
with this pytest (it reads a private attribute pytest no longer has).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from governance.api import Server, make_wsgi_app
from governance.services.evaluate import run_evaluation
from tests.integration.conftest import AppFactory
from tests.integration.test_api import SMALL, nov, overspend_batch

TOKEN = "schema-test-token"
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


def test_the_api_keeps_its_openapi_contract(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(replace=SMALL)
    overspend_batch(app, range(1, 6))
    run_evaluation(app.config, app.engine, nov(6), nov(6))  # a directive to describe
    api = make_wsgi_app(replace(app, environ={"GOVERNANCE_ROUTER_TOKENS": TOKEN}))
    with Server(api, port=0, threads=4) as server:
        run = subprocess.run(
            [SCHEMATHESIS, "run", f"{server.url}/openapi.json",
             "--header", f"Authorization: Bearer {TOKEN}",
             "--checks", "all", "--max-examples", "20", "--seed", "20261124",
             "--generation-database", "none", "--no-color"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    api.close()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "4 selected / 4 total" in run.stdout  # /openapi.json itself is not fuzzed
    assert "No issues found" in run.stdout
