"""Issue 5's end to end: on the demo month, evaluation crosses the batch levels the demo was
built to cross, GET /directives serves the downgrade with its routes, version and expiry, and a
router's DirectivesClient reroutes premium batch traffic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from governance.api import Server, make_wsgi_app
from governance.client import DirectivesClient
from governance.demo import run_demo
from governance.services.evaluate import run_evaluation
from tests.integration.conftest import AppFactory

SMALL = ('amount = "50000.00"', 'amount = "5000.00"')  # the demo scales to the allocations


def test_the_demo_month_downgrades_batch_and_a_router_follows(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(replace=SMALL)
    run_demo(app, tmp_path / "demo", "2026-10")
    end_of_october = datetime(2026, 10, 31, 23, tzinfo=UTC)
    result = run_evaluation(app.config, app.engine, end_of_october, end_of_october)
    batch = {(c.level, c.basis) for c in result.crossed if c.category == "batch"}
    assert {(70, "actual"), (90, "actual"), (100, "actual"), (90, "forecast")} <= batch
    assert not [c for c in result.crossed if c.category != "batch" and c.basis == "actual"]
    assert [d.id for d in result.directives] == [
        "2026-10/batch/premium-standard",
        "2026-10/batch/standard-economy",
    ]
    with Server(make_wsgi_app(app, refresh_seconds=0.1), port=0, threads=2) as server:
        client = DirectivesClient(server.url, clock=lambda: end_of_october)
        assert client.poll()
        assert client.version == result.version
        assert client.routes("batch") == {"premium": "economy", "standard": "economy"}
        assert {d["expires_at"] for d in client.directives()} == {"2026-11-01T00:00:00Z"}
        # The starter's [substitutes] take premium models down both steps (issue 17: the
        # standard->economy step had none, and stopped at gpt-4o-mini).
        assert client.route("batch", "openai/gpt-4o") == "openai/llama-3.1-70b"
        assert client.route("batch", "claude-3-5-sonnet-20241022") == "llama-3.1-70b"
        assert client.route("critical", "gpt-4o") == "gpt-4o"  # other categories untouched
