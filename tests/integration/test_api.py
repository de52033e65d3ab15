"""The HTTP API over a real socket (uvicorn on 127.0.0.1), on SQLite and PostgreSQL: the
router contract of GET /directives, /healthz, /metrics, /api/v1/status, errors."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

from governance.api import Server, make_wsgi_app
from governance.context import Governance
from governance.ledger import evaluations as store
from governance.ledger.tables import ingest_runs, quarantine
from governance.services.evaluate import publish, run_evaluation
from governance.services.reports import status_document
from tests.factories import insert_rows, ledger_row
from tests.integration.conftest import NOW, AppFactory

SMALL = ('amount = "50000.00"', 'amount = "1000.00"')  # batch: 25% = 250.00
Reply = tuple[int, dict[str, str], bytes]


def fetch(url: str, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Reply:
    """One request on a fresh connection: status, headers (lower-case names), body."""
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def nov(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def overspend_batch(app: Governance, days: range, per_day: str = "20") -> None:
    """Premium batch spend on those November days: with SMALL, 5 days of 20 are forecast
    past 90% of the allocation (premium to standard)."""
    insert_rows(
        app.engine,
        [
            ledger_row(category="batch", tier="premium", model="gpt-4o", cost=Decimal(per_day),
                       occurred_at=nov(n), team="data-eng")
            for n in days
        ],
    )  # fmt: skip


def test_directives_follow_the_router_contract(make_app: AppFactory) -> None:
    app = make_app(replace=SMALL)
    overspend_batch(app, range(1, 6))
    evaluation = run_evaluation(app.config, app.engine, nov(6), nov(6))
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=4) as server:
        status, headers, body = fetch(server.url, "/directives")
        document = json.loads(body)
        assert status == 200 and headers["content-type"] == "application/json"
        assert (
            headers["etag"] == f'"{evaluation.version}"' and headers["cache-control"] == "no-cache"
        )
        assert document["version"] == evaluation.version
        assert document["routes"] == {"batch": {"premium": "standard"}}
        assert document["poll_seconds"] == 60
        assert document["period"] == {
            "start": "2026-11-01T00:00:00Z",
            "end": "2026-12-01T00:00:00Z",
        }
        (directive,) = document["directives"]
        assert directive["id"] == "2026-11/batch/premium-standard"
        assert directive["substitutes"] == {
            "gpt-4o": "gpt-4o-mini",
            "claude-3-5-sonnet*": "claude-3-5-haiku-latest",
        }
        assert directive["trigger"]["basis"] == "forecast" and directive["origin"] == "auto"
        assert directive["expires_at"] == "2026-12-01T00:00:00Z"

        for tag in (
            f'"{evaluation.version}"',
            evaluation.version,
            f'"x", W/"{evaluation.version}"',
            "*",
        ):
            status, headers, body = fetch(server.url, "/directives", {"If-None-Match": tag})
            assert (status, body, headers["etag"]) == (304, b"", f'"{evaluation.version}"')
        assert fetch(server.url, "/directives", {"If-None-Match": '"2026-11:other"'})[0] == 200

        status, headers, body = fetch(server.url, "/directives?category=batch")
        assert status == 200 and json.loads(body)["directives"] == document["directives"]
        status, headers, body = fetch(server.url, "/directives?category=critical")
        critical = json.loads(body)
        assert (critical["routes"], critical["directives"]) == ({}, [])
        assert (
            critical["version"] == evaluation.version
            and headers["etag"] == f'"{evaluation.version}"'
        )
        status, _, body = fetch(server.url, "/directives", method="HEAD")
        assert (status, body) == (200, b"")
    api.close()


def test_a_new_version_is_served_within_two_seconds(make_app: AppFactory) -> None:
    app = make_app(replace=SMALL)
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=4) as server:
        empty = json.loads(fetch(server.url, "/directives")[2])
        assert empty["directives"] == [] and empty["version"].startswith("2026-11:")
        overspend_batch(app, range(1, 6))
        changed = run_evaluation(app.config, app.engine, nov(6), nov(6))
        assert changed.version != empty["version"]
        started = time.monotonic()
        while json.loads(fetch(server.url, "/directives")[2])["version"] != changed.version:
            assert time.monotonic() - started < 2.0, "the new version was not served within 2 s"
            time.sleep(0.05)
        # A revocation publishes again: the directive is gone at the next refresh.
        with app.engine.begin() as conn:
            assert store.revoke(conn, "2026-11/batch/premium-standard", "ops", "test", nov(7))
            revoked, _ = publish(conn, app.config, nov(7))
        started = time.monotonic()
        while (document := json.loads(fetch(server.url, "/directives")[2]))["version"] != revoked:
            assert time.monotonic() - started < 2.0, "the revocation was not served within 2 s"
            time.sleep(0.05)
        assert document["directives"] == [] and document["routes"] == {}
    api.close()


def test_router_tokens_guard_directives_only(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app()
    for environ in (
        {"GOVERNANCE_ROUTER_TOKENS": "token-one, token-two"},
        {"GOVERNANCE_ROUTER_TOKENS_FILE": _write(tmp_path / "tokens", "token-one,token-two\n")},
    ):
        api = make_wsgi_app(replace(app, environ=environ))
        with Server(api, port=0, threads=2) as server:
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
                status, got, body = fetch(server.url, "/directives", headers)
                assert (status, got["www-authenticate"]) == (401, "Bearer")
                assert json.loads(body) == {"error": "a router token is needed"}
            assert fetch(server.url, "/directives", {"Authorization": "Bearer token-two"})[0] == 200
            assert fetch(server.url, "/directives", {"Authorization": "bearer token-one"})[0] == 200
            assert fetch(server.url, "/healthz")[0] == 200
            spec = json.loads(fetch(server.url, "/openapi.json")[2])
            assert spec["paths"]["/directives"]["get"]["security"] == [{"routerToken": []}]
        api.close()


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


SOURCES = """
[[sources]]
name = "gateway"
format = "litellm"
path = "/nonexistent/*.jsonl"
every = "5m"
[[sources]]
name = "billing"
format = "openai-costs"
url = "http://127.0.0.1:9/v1/organization/costs"
every = "30m"
"""


def _runs(app: Governance, finished: dict[str, datetime]) -> None:
    with app.engine.begin() as conn:
        for source, at in finished.items():
            conn.execute(ingest_runs.insert().values(
                source=source, started_at=at - timedelta(seconds=5), finished_at=at, status="ok",
                read=1, added=1, duplicates=0, quarantined=0, cost=Decimal(0)))  # fmt: skip


def test_health_is_degraded_by_a_stale_source(make_app: AppFactory) -> None:
    app = make_app(SOURCES)
    _runs(app, {"gateway": NOW - timedelta(minutes=10), "billing": NOW - timedelta(hours=2)})
    run_evaluation(app.config, app.engine, NOW, NOW)
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=2) as server:
        status, _, body = fetch(server.url, "/healthz")
        assert status == 503
        assert json.loads(body) == {
            "status": "degraded",
            "database": "ok",
            "last_ingest": "2026-11-24T11:50:00Z",
            "last_evaluation": "2026-11-24T12:00:00Z",
            "directives_version": api.cache.current.version if api.cache.current else None,
            "stale_sources": ["billing"],  # 2 h > 3 x 30 min; 10 min < 3 x 5 min
        }
    api.close()
    _runs(app, {"billing": NOW - timedelta(minutes=80)})
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=2) as server:
        status, _, body = fetch(server.url, "/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
    api.close()


def test_metrics_and_status_read_the_ledger(make_app: AppFactory) -> None:
    app = make_app(SOURCES, replace=SMALL)
    overspend_batch(app, range(1, 6))
    insert_rows(app.engine, [ledger_row(cost_basis="unpriced", cost=Decimal(0), model="x-1",
                                        occurred_at=nov(3)) for _ in range(3)])  # fmt: skip
    _runs(app, {"gateway": NOW - timedelta(minutes=4)})
    with app.engine.begin() as conn:
        conn.execute(quarantine.insert().values(
            source="gateway", format="litellm", location="a.jsonl:3", reason="bad", raw="{",
            fingerprint="f" * 64, seen_at=NOW, status="held"))  # fmt: skip
    run_evaluation(app.config, app.engine, nov(6), nov(6))
    expected = status_document(app.config, app.engine, app.period(), NOW)
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=2) as server:
        status, headers, body = fetch(server.url, "/metrics")
        assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = _samples(body.decode())
        assert json.loads(fetch(server.url, "/api/v1/status")[2]) == expected
        november = fetch(server.url, "/api/v1/status?period=2026-10")
        assert november[0] == 200 and json.loads(november[2])["period"]["start"].startswith(
            "2026-10"
        )
        assert json.loads(fetch(server.url, "/api/v1/status?period=2026-13")[2]) == {
            "error": "not a period, expected YYYY-MM: '2026-13'"
        }
    api.close()
    for category in expected["categories"]:
        labels = (("category", category["name"]),)
        for metric, key in (("governance_spend", "spend"), ("governance_allocation", "allocation"),
                            ("governance_spend_percent", "percent"),
                            ("governance_forecast", "forecast"),
                            ("governance_forecast_low", "forecast_low"),
                            ("governance_forecast_high", "forecast_high")):  # fmt: skip
            assert samples[metric, labels] == float(category[key])
        assert samples["governance_directives_active", labels] == len(category["directives"])
    assert samples["governance_directives_active", (("category", "batch"),)] == 1
    assert samples["governance_spend", (("category", "batch"),)] == 100.0
    assert samples["governance_quarantined_records", ()] == 1
    assert samples["governance_unpriced_rows", ()] == 3
    assert samples["governance_ingest_lag_seconds", (("source", "gateway"),)] == 240
    assert samples["governance_database_up", ()] == 1


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_unknown_paths_and_methods_answer_json_errors(make_app: AppFactory) -> None:
    calls: list[Any] = []

    def dashboard(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<html>dashboard</html>"]

    app = make_app()
    api = make_wsgi_app(app)
    with Server(api, port=0, threads=2) as server:
        status, headers, body = fetch(server.url, "/nope")
        assert (status, json.loads(body)) == (404, {"error": "no such endpoint: /nope"})
        status, headers, body = fetch(server.url, "/directives", method="POST")
        assert (status, headers["allow"]) == (405, "GET, HEAD")
        assert json.loads(body) == {"error": "only GET and HEAD"}
    api.close()
    api = make_wsgi_app(app, fallback=dashboard)
    with Server(api, port=0, threads=2) as server:
        assert fetch(server.url, "/")[2] == b"<html>dashboard</html>"
        assert fetch(server.url, "/api/v1/nothing")[0] == 404  # /api/ stays the API's
        assert fetch(server.url, "/healthz")[0] == 200
    api.close()
    assert calls == ["/"]
