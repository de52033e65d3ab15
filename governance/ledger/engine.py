"""Engines for the ledger: SQLite (the embedded default) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from governance.exceptions import UsageError


def normalise_url(url: str) -> URL:
    """Parse a database URL; plain ``postgresql://`` means psycopg 3, the driver we ship."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
        )
    return parsed


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    return normalise_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions itself, lazily, so a first SAVEPOINT would start one and its
    # RELEASE commit it: half a batch. We take over: no implicit BEGIN, ours on "begin" below.
    dbapi_connection.isolation_level = None
    # WAL lets the dashboard read while an ingest writes; the busy timeout rides out short locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# A PostgreSQL server that stops answering (a network cut, not a refused connection) is
# noticed within about 30 s instead of the kernel's ~15 minutes of retransmissions.
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,  # ms: sent data unacknowledged for this long ends the link
}


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def make_engine(url: str, *, create_dirs: bool = False) -> Engine:
    """An engine for ``url``; nothing connects until it is used."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if create_dirs and database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True, connect_args=dict(PG_KEEPALIVES))
