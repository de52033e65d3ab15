"""Pulling when the API misbehaves: rate limits, server errors, dropped connections, a revoked
key; and one failing source among working ones."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from governance.ingest.pull import failures, pull
from governance.ingest.writer import load_cursor
from governance.ledger.tables import ingest_runs
from tests.integration.conftest import AppFactory
from tests.integration.test_pull_api import (
    CASES,
    EXACT_TOTALS,
    KEY,
    NOW,
    Sleeps,
    ledger_total,
    source_app,
)
from tests.standins.provider_api import ProviderApi, fixture_buckets

COSTS = "/v1/organization/costs"
COST_REPORT = "/v1/organizations/cost_report"


@pytest.fixture
def api() -> Iterator[ProviderApi]:
    with ProviderApi(KEY, max_page_size=1).running() as running:
        yield running


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limits_are_waited_out_as_the_api_asks(
    make_app: AppFactory, api: ProviderApi, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    url = api.serve(COST_REPORT, fixture_buckets(*CASES["anthropic-cost"].fixtures))
    api.fail(status, times=2, after=1, retry_after="7")
    sleeps = Sleeps()
    [report] = pull(source_app(make_app, "anthropic-cost", url), sleep=sleeps)
    assert report.files[0].error is None
    assert report.files[0].counts.added == 12
    assert sleeps == [7.0, 7.0]
    assert len(api.received) == 4 + 2
    assert f"answered {status}" in caplog.text and KEY not in caplog.text


def test_server_errors_past_the_attempts_fail_the_source_and_write_nothing(
    make_app: AppFactory, api: ProviderApi, caplog: pytest.LogCaptureFixture
) -> None:
    buckets = fixture_buckets(*CASES["openai-costs"].fixtures)
    url = api.serve(COSTS, buckets)
    app = source_app(make_app, "openai-costs", url, attempts=3)
    pull(app, sleep=Sleeps())
    cursor = load_cursor(app.engine, "billing", url)
    buckets[2]["results"][0]["amount"]["value"] = 9.0  # Nov 3, on the re-pull's first page
    api.fail(500, times=10, after=1)  # the second page never comes
    sleeps = Sleeps()
    [report] = pull(app, sleep=sleeps)
    assert report.files[0].error == (f"GET {url} failed 3 times; last: answered 500: try later")
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1 and 1 <= sleeps[1] <= 2  # backoff, jittered
    assert ledger_total(app.engine)[:2] == (8, EXACT_TOTALS["openai-costs"])  # no revision
    assert load_cursor(app.engine, "billing", url) == cursor
    with app.engine.connect() as conn:
        statuses = conn.execute(select(ingest_runs.c.status).order_by(ingest_runs.c.id)).all()
    assert [s for (s,) in statuses] == ["ok", "failed"]
    assert KEY not in caplog.text


def test_dropped_connections_are_retried(make_app: AppFactory, api: ProviderApi) -> None:
    url = api.serve(COSTS, fixture_buckets(*CASES["openai-costs"].fixtures))
    api.fail(0, times=2)
    sleeps = Sleeps()
    [report] = pull(source_app(make_app, "openai-costs", url), sleep=sleeps)
    assert report.files[0].error is None
    assert report.files[0].counts.cost == EXACT_TOTALS["openai-costs"]
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("fmt", "path", "says"),
    [
        ("openai-costs", COSTS, "Incorrect API key provided: ***."),
        ("anthropic-cost", COST_REPORT, "invalid x-api-key"),
    ],
)
def test_a_refused_key_is_permanent_and_never_shown(
    make_app: AppFactory,
    api: ProviderApi,
    caplog: pytest.LogCaptureFixture,
    fmt: str,
    path: str,
    says: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = api.serve(path, [])
    revoked = "sk-admin-revoked-42"
    sleeps = Sleeps()
    app = source_app(make_app, fmt, url, key=revoked)
    [report] = pull(app, sleep=sleeps)
    assert report.files[0].error == f"GET {url} answered 401: {says} (not retried)"
    assert (len(api.received), sleeps) == (1, [])
    assert load_cursor(app.engine, "billing", url) is None
    assert revoked not in caplog.text


def test_a_redirect_is_refused_so_the_key_stays_with_its_host(
    make_app: AppFactory, api: ProviderApi
) -> None:
    url = api.serve(COSTS, [])
    api.fail(307, times=1)
    [report] = pull(source_app(make_app, "openai-costs", url), sleep=Sleeps())
    assert report.files[0].error == (
        f"GET {url} answered 307: try later (redirected to http://127.0.0.1:9/elsewhere;"
        " use that url) (not retried)"
    )
    assert len(api.received) == 1


def test_a_missing_key_names_its_variable(make_app: AppFactory, api: ProviderApi) -> None:
    app = replace(source_app(make_app, "openai-costs", api.serve(COSTS, [])), environ={})
    [report] = pull(app, sleep=Sleeps())
    assert report.files[0].error == "source 'billing': set ADMIN_KEY (or ADMIN_KEY_FILE)"
    assert api.received == []


def test_one_failing_source_does_not_stop_the_others(
    make_app: AppFactory, api: ProviderApi
) -> None:
    openai_url = api.serve(COSTS, fixture_buckets(*CASES["openai-costs"].fixtures))
    anthropic_url = api.serve(COST_REPORT, fixture_buckets(*CASES["anthropic-cost"].fixtures))
    toml = "".join(
        f'[[sources]]\nname = "{name}"\nformat = "{fmt}"\nurl = "{url}"\napi_key_env = "{env}"\n'
        for name, fmt, url, env in [
            ("anthropic", "anthropic-cost", anthropic_url, "ANTHROPIC_ADMIN_KEY"),
            ("openai", "openai-costs", openai_url, "OPENAI_ADMIN_KEY"),
        ]
    )
    environ = {"ANTHROPIC_ADMIN_KEY": "wrong", "OPENAI_ADMIN_KEY": KEY}
    app = replace(make_app(toml), environ=environ, clock=lambda: NOW)
    reports = pull(app, sleep=Sleeps())
    assert [r.source for r in reports] == ["anthropic", "openai"]
    assert failures(reports) == [
        f"anthropic: GET {anthropic_url} answered 401: invalid x-api-key (not retried)"
    ]
    assert reports[1].files[0].counts.cost == EXACT_TOTALS["openai-costs"]
    assert ledger_total(app.engine)[1] == Decimal("26.45457")
