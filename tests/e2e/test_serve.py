"""`governance serve` as a real process: it logs its address, answers /healthz and /directives,
and exits cleanly (code 0) on SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from governance.config import starter_config_text


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_serve_answers_and_stops_on_sigterm(ledger_engine: Engine, tmp_path: Path) -> None:
    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text())
    env = {
        **os.environ,
        "GOVERNANCE_CONFIG": str(config),
        "GOVERNANCE_DATABASE_URL": ledger_engine.url.render_as_string(hide_password=False),
        "GOVERNANCE_ROUTER_TOKENS": "e2e-token",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "governance", "serve", "--port", "0", "--threads", "2"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while (
            found := re.search(rb"serving on http://127\.0\.0\.1:(\d+)", log.read_bytes())
        ) is None:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "no address logged:\n" + log.read_text()
            time.sleep(0.05)
        port = int(found[1])
        status, body = _get(port, "/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert _get(port, "/directives")[0] == 401
        status, body = _get(port, "/directives", {"Authorization": "Bearer e2e-token"})
        assert status == 200 and json.loads(body)["directives"] == []
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert "SIGTERM received: stopping" in output and output.rstrip().endswith("stopped")
    assert "Traceback" not in output
