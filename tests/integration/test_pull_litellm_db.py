"""Pulling LiteLLM's ``LiteLLM_SpendLogs`` from a real PostgreSQL database (its own, created
here) into real ledgers: incremental reads, the overlap for late rows, ties, exact spend."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url

from governance.config import SourceConfig
from governance.context import Governance
from governance.ingest.pull import pull
from governance.ingest.writer import load_cursor
from governance.ledger.tables import ledger
from governance.sources.pullers.base import PullContext
from governance.sources.pullers.litellm_db import LiteLLMDbPuller
from tests.integration.conftest import AppFactory

pytestmark = pytest.mark.postgres  # LiteLLM's database is PostgreSQL, whatever the ledger

# LiteLLM's own table, as Prisma creates it from its schema.prisma.
SPEND_LOGS_DDL = """
CREATE TABLE "LiteLLM_SpendLogs" (
    request_id TEXT PRIMARY KEY, call_type TEXT NOT NULL, api_key TEXT NOT NULL DEFAULT '',
    spend DOUBLE PRECISION NOT NULL DEFAULT 0.0, total_tokens INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    "startTime" TIMESTAMP(3) NOT NULL, "endTime" TIMESTAMP(3) NOT NULL,
    request_duration_ms INTEGER, "completionStartTime" TIMESTAMP(3),
    model TEXT NOT NULL DEFAULT '', model_id TEXT DEFAULT '', model_group TEXT DEFAULT '',
    custom_llm_provider TEXT DEFAULT '', api_base TEXT DEFAULT '', "user" TEXT DEFAULT '',
    metadata JSONB DEFAULT '{}', cache_hit TEXT DEFAULT '', cache_key TEXT DEFAULT '',
    request_tags JSONB DEFAULT '[]', team_id TEXT, organization_id TEXT, end_user TEXT,
    requester_ip_address TEXT, messages JSONB DEFAULT '{}', response JSONB DEFAULT '{}',
    session_id TEXT, status TEXT, mcp_namespaced_tool_name TEXT, agent_id TEXT,
    proxy_server_request JSONB DEFAULT '{}'
);
CREATE INDEX ON "LiteLLM_SpendLogs" ("startTime");
CREATE INDEX ON "LiteLLM_SpendLogs" ("startTime", request_id);
"""
T0 = datetime(2026, 11, 3, 9, 0)  # naive UTC, as LiteLLM stores it


@pytest.fixture(scope="module")
def litellm_url(pg_server: str) -> Iterator[str]:
    """A schema of its own on the test database, standing for LiteLLM's database: the url
    puts it first on the search path. (A schema, not a database: CREATE DATABASE fails while
    another session is copying template1.)"""
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    schema = f"litellm_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_server).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def litellm_db(litellm_url: str) -> Iterator[Engine]:
    engine = create_engine(litellm_url)
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE IF EXISTS "LiteLLM_SpendLogs"'))
        conn.execute(text(SPEND_LOGS_DDL))
    yield engine
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE "LiteLLM_SpendLogs"'))
    engine.dispose()


def insert(db: Engine, request_id: str, start: datetime, spend: str, **extra: Any) -> None:
    """One spend log row; ``spend`` is SQL, so that 0.1 + 0.2 is computed in float8."""
    row = {
        "request_id": request_id,
        "start": start,
        "end": start + timedelta(seconds=2),
        "metadata": '{"user_api_key_team_alias": "search", "spend_logs_metadata": {"x": 1.5}}',
        "tags": '["category:critical"]',
        **extra,
    }
    with db.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, spend, prompt_tokens,'
                ' completion_tokens, "startTime", "endTime", model, custom_llm_provider,'
                f" metadata, request_tags) VALUES (:request_id, 'acompletion', {spend}, 100, 20,"
                " :start, :end, 'gpt-4o-mini', 'openai', CAST(:metadata AS jsonb),"
                " CAST(:tags AS jsonb))"
            ),
            row,
        )


def litellm_app(make_app: AppFactory, url: str, **environ: str) -> Governance:
    toml = f'[[sources]]\nname = "gateway"\nformat = "litellm-db"\nurl = "{url}"\n'
    if environ:
        toml += 'api_key_env = "LITELLM_DB_PASSWORD"\n'
    return replace(make_app(toml), environ=environ)


def ledger_costs(engine: Engine) -> dict[str, Decimal]:
    with engine.connect() as conn:
        rows = conn.execute(select(ledger.c.source_key, ledger.c.cost)).all()
    return {key: cost for key, cost in rows}


def test_rows_are_read_incrementally_with_an_overlap_for_late_ones(
    make_app: AppFactory, litellm_db: Engine, litellm_url: str
) -> None:
    insert(litellm_db, "a", T0, "0.1")
    insert(litellm_db, "b", T0 + timedelta(seconds=10), "0.2")
    insert(litellm_db, "c", T0 + timedelta(seconds=20), "0.1::float8 + 0.2::float8")
    app = litellm_app(make_app, litellm_url)
    [first] = pull(app)
    counts = first.files[0].counts
    assert (counts.read, counts.added, counts.cost) == (3, 3, Decimal("0.6"))
    cursor = load_cursor(app.engine, "gateway", first.files[0].path)
    assert cursor == {"start_time": "2026-11-03T09:00:20", "request_id": "c"}

    insert(litellm_db, "d", T0 + timedelta(seconds=15), "0.05")  # written late, started earlier
    insert(litellm_db, "e", T0 + timedelta(seconds=60), "0.25")
    [second] = pull(app)
    counts = second.files[0].counts
    # Read again from c's start less 300 s: a, b, c once more (duplicates), d and e new.
    assert (counts.read, counts.added, counts.duplicates, counts.cost) == (5, 2, 3, Decimal("0.3"))
    costs = ledger_costs(app.engine)
    assert costs == {
        "a": Decimal("0.1"),
        "b": Decimal("0.2"),
        "c": Decimal("0.3"),
        "d": Decimal("0.05"),
        "e": Decimal("0.25"),
    }
    assert sum(costs.values()) == Decimal("0.9")


def test_spend_is_read_from_its_exact_text_and_json_as_objects(
    litellm_db: Engine, litellm_url: str
) -> None:
    insert(litellm_db, "c", T0, "0.1::float8 + 0.2::float8")
    source = SourceConfig(name="gateway", format="litellm-db", url=litellm_url)
    period_start = datetime(2026, 11, 1, tzinfo=UTC)
    context = PullContext(
        source, {}, period_start + timedelta(days=3), period_start, 10, time.sleep
    )
    [item] = list(LiteLLMDbPuller(context).items(None))
    assert item.value["spend"] == "0.30000000000000004"  # float8's exact shortest text
    assert item.value["startTime"] == "2026-11-03T09:00:00"
    assert item.value["metadata"]["spend_logs_metadata"] == {"x": Decimal("1.5")}
    assert item.value["request_tags"] == ["category:critical"]
    assert "messages" not in item.value and "response" not in item.value


def test_keyset_pages_read_rows_of_the_same_start_once(
    make_app: AppFactory, litellm_db: Engine, litellm_url: str
) -> None:
    for request_id in ("r5", "r1", "r4", "r2", "r3"):
        insert(litellm_db, request_id, T0, "0.01")
    app = litellm_app(make_app, litellm_url)
    [report] = pull(app, batch_size=2)
    counts = report.files[0].counts
    assert (counts.read, counts.added, counts.duplicates) == (5, 5, 0)
    assert load_cursor(app.engine, "gateway", report.files[0].path) == {
        "start_time": "2026-11-03T09:00:00",
        "request_id": "r5",
    }


def test_the_password_comes_from_the_environment_and_is_never_shown(
    make_app: AppFactory, litellm_db: Engine, litellm_url: str
) -> None:
    insert(litellm_db, "a", T0, "0.1")
    app = litellm_app(make_app, litellm_url, LITELLM_DB_PASSWORD="s3cret-pw")
    [report] = pull(app)
    assert report.files[0].error is None and report.files[0].counts.added == 1
    assert ":***@" in report.files[0].path and "s3cret-pw" not in report.files[0].path


def test_an_unreachable_or_foreign_database_fails_the_source_cleanly(
    make_app: AppFactory, litellm_url: str
) -> None:
    down = "postgresql://litellm:hunter2@127.0.0.1:1/litellm"
    [report] = pull(litellm_app(make_app, down))
    error = report.files[0].error or ""
    assert error.startswith("cannot read postgresql+psycopg://litellm:***@127.0.0.1:1/litellm")
    assert "hunter2" not in error
    [report] = pull(litellm_app(make_app, litellm_url))  # no LiteLLM_SpendLogs table there now
    assert "has no LiteLLM_SpendLogs table" in (report.files[0].error or "")
