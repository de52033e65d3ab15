"""``governance.client.DirectivesClient`` against a real server on 127.0.0.1: composed routes,
ETag polls, fail-open while the server is gone, expiry, background polling; and a stand-in
server for documents the daemon would not publish (cycles, partial expiry)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from governance.api import Server, make_wsgi_app
from governance.client import DirectivesClient
from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.services.evaluate import run_evaluation
from tests.integration.conftest import NOW
from tests.integration.test_api import SMALL, nov, overspend_batch

CHAIN = ('"gpt-4o" = "gpt-4o-mini"', '"gpt-4o" = "gpt-4o-mini"\n"gpt-4o-mini*" = "llama-3.1-70b"')


def governance_on(engine: Engine, tmp_path: Path, environ: dict[str, str]) -> Governance:
    """The starter config with a small budget and a standard-to-economy substitute."""
    text = starter_config_text().replace(*SMALL).replace(*CHAIN)
    config = parse_config(text, "test.toml", tmp_path)
    return Governance(config, tmp_path / "governance.toml", environ, lambda: NOW, engine)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_route_follows_composed_directives_and_fails_open(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    app = governance_on(ledger_engine, tmp_path, {"GOVERNANCE_ROUTER_TOKENS": "router-1"})
    overspend_batch(app, range(1, 12), per_day="30")  # 330.00 of 250.00: both batch steps
    evaluation = run_evaluation(app.config, app.engine, nov(12), nov(12))
    assert len(evaluation.directives) == 2
    clock = Clock(nov(12))
    api = make_wsgi_app(app)
    server = Server(api, port=0, threads=2).start()
    client = DirectivesClient(server.url, token="router-1", timeout=2.0, clock=clock)
    assert client.poll() is True and client.version == evaluation.version
    assert client.poll() is False and client.last_error is None  # 304: unchanged
    assert client.routes("batch") == {"premium": "economy", "standard": "economy"}
    assert client.route("batch", "gpt-4o") == "llama-3.1-70b"  # premium -> standard -> economy
    assert client.route("batch", "openai/gpt-4o") == "openai/llama-3.1-70b"  # prefix kept
    assert client.route("batch", "GPT-4o-mini-2024-07-18") == "llama-3.1-70b"
    # The starter's haiku substitute takes Claude down to economy as well (issue 17).
    assert client.route("batch", "claude-3-5-sonnet-20241022") == "llama-3.1-70b"
    assert client.route("batch", "llama-3.1-8b") == "llama-3.1-8b"  # no substitute: stays
    assert client.route("standard", "gpt-4o") == "gpt-4o"  # no directive for the category
    assert [d["category"] for d in client.directives("batch")] == ["batch", "batch"]

    server.stop()
    api.close()
    assert client.poll() is False and client.last_error is not None  # the server is gone
    assert client.route("batch", "gpt-4o") == "llama-3.1-70b"  # the last directives hold
    clock.now = datetime(2026, 12, 1, tzinfo=UTC)  # their expires_at: the period's end
    assert client.directives() == [] and client.routes("batch") == {}
    assert client.route("batch", "gpt-4o") == "gpt-4o"  # fail open

    wrong = DirectivesClient(server.url.replace(str(server.port), "9"), timeout=0.5)
    assert wrong.poll() is False and wrong.route("batch", "gpt-4o") == "gpt-4o"


def test_a_polling_client_sees_a_new_version_within_two_seconds(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    app = governance_on(ledger_engine, tmp_path, {})
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=2) as server:
        client = DirectivesClient(server.url, clock=lambda: nov(12))
        client.start(interval=0.1)
        before = client.version
        assert before is not None
        overspend_batch(app, range(1, 6))
        changed = run_evaluation(app.config, app.engine, nov(6), nov(6)).version
        started = time.monotonic()
        while client.version != changed:
            assert time.monotonic() - started < 2.0, "the client did not see the new version"
            time.sleep(0.02)
        client.stop()
        assert client.route("batch", "gpt-4o") == "gpt-4o-mini"
        unauthorised = DirectivesClient(server.url, token="x")
        assert unauthorised.poll() is True  # no tokens configured: a token is not needed
    api.close()


def _stand_in(document: dict[str, Any]) -> Any:
    body = json.dumps(document).encode()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


def _directive(category: str, tiers: str, substitutes: dict[str, str], expires: datetime) -> Any:
    from_tier, to_tier = tiers.split(">")
    return {"id": f"2026-11/{category}/{from_tier}-{to_tier}", "category": category,
            "from_tier": from_tier, "to_tier": to_tier, "substitutes": substitutes,
            "expires_at": expires.isoformat().replace("+00:00", "Z")}  # fmt: skip


def test_cycles_prefixes_and_partial_expiry() -> None:
    soon, later = nov(20), datetime(2026, 12, 1, tzinfo=UTC)
    document = {
        "version": "2026-11:test",
        "poll_seconds": 60,
        "routes": {"batch": {"premium": "economy", "standard": "economy"}, "loop": {"a": "b"}},
        "directives": [
            _directive("batch", "premium>standard", {"gpt-4o*": "gpt-4o-mini"}, later),
            _directive(
                "batch", "standard>economy", {"gpt-4o-mini": "hosted_vllm/llama-3.1-70b"}, soon
            ),
            _directive("loop", "a>b", {"m-1": "m-2", "m-2": "m-1"}, later),
        ],
    }
    clock = Clock(nov(12))
    with Server(_stand_in(document), port=0, threads=1) as server:
        client = DirectivesClient(server.url + "/directives", clock=clock)
        assert client.poll() is True
    assert client.route("batch", "openai/gpt-4o-2024-08-06") == "hosted_vllm/llama-3.1-70b"
    assert client.route("loop", "vendor/m-1") == "vendor/m-2"  # the cycle stops where it closes
    clock.now = soon + timedelta(seconds=1)  # standard -> economy has expired
    assert client.routes("batch") == {"premium": "standard"}
    assert client.route("batch", "openai/gpt-4o") == "openai/gpt-4o-mini"


def test_importing_the_client_needs_none_of_the_daemons_dependencies() -> None:
    heavy = ["sqlalchemy", "pydantic", "uvicorn", "prometheus_client", "psycopg", "click"]
    code = f"import sys, governance.client\nprint([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
