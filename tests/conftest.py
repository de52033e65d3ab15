"""Shared fixtures: real ledgers on SQLite and on PostgreSQL at 127.0.0.1:5432.

Under CI=true an unreachable PostgreSQL fails the run; elsewhere its tests skip with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.tables import metadata
from tests.clock import add_options, moved_clock

__all__ = ["moved_clock"]  # autouse: with --at, every test's clock starts at the moment

PG_ADMIN_URL = os.environ.get(
    "GOVERNANCE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; its URL. Dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # any failure to connect means the server is not usable
        admin.dispose()
        reason = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {str(exc).splitlines()[0]}"
        if _in_ci():
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    name = f"governance_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_ledger(pg_server: str) -> Iterator[Engine]:
    """The session's PostgreSQL ledger, migrated once."""
    engine = make_engine(pg_server)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_engine(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[Engine]:
    """An empty, migrated ledger: once on a SQLite file, once on PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/ledger.db")
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
        return
    yield from _emptied(request.getfixturevalue("pg_ledger"))


@pytest.fixture
def pg_empty(pg_ledger: Engine) -> Iterator[Engine]:
    """The session's PostgreSQL ledger, emptied before and after: for tests that are about
    PostgreSQL alone (the scheduler lock, replicas)."""
    yield from _emptied(pg_ledger)


def _emptied(engine: Engine) -> Iterator[Engine]:
    _empty(engine)
    yield engine
    _empty(engine)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)
