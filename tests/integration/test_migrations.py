"""Alembic: the migrations build exactly the tables the code declares, up and down."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from governance.exceptions import LedgerError
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.tables import metadata


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
