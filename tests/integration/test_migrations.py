"""Alembic: the migrations build exactly the tables the code declares, up and down."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from governance.exceptions import LedgerError
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.tables import ledger, metadata
from tests.factories import ledger_row, rollups_match_ledger


def test_migrated_schema_matches_the_declared_tables(ledger_engine: Engine) -> None:
    assert migrate.current_revision(ledger_engine) == migrate.head_revision()
    with ledger_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_an_empty_database_is_refused_until_upgraded(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    with pytest.raises(LedgerError, match="governance db upgrade"):
        migrate.require_current(engine)
    assert migrate.upgrade(engine) == migrate.head_revision()
    migrate.require_current(engine)
    assert {"ledger", "quarantine", "source_cursors", "ingest_runs"} <= set(
        inspect(engine).get_table_names()
    )
    assert migrate.upgrade(engine) == migrate.head_revision()  # idempotent
    engine.dispose()


def test_the_rollups_migration_backfills_an_existing_ledger(ledger_engine: Engine) -> None:
    migrate.downgrade(ledger_engine, "0001")
    rows = [
        ledger_row(
            source_key=f"r{i}",
            occurred_at=datetime(2026, 10, 1 + i % 3, i % 24, tzinfo=UTC),
            cost=(Decimal(i) / 7).quantize(Decimal("1E-9")),
            team=None if i % 2 else "search",
            cost_basis="unpriced" if i % 5 == 0 else "reported",
        )
        for i in range(60)
    ]
    for row in rows:
        del row["priced_model"]  # revision 0005's column: not there at 0001
    with ledger_engine.begin() as conn:
        conn.execute(ledger.insert(), rows)
    migrate.upgrade(ledger_engine)
    rollups_match_ledger(ledger_engine)
