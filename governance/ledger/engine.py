"""Engines for the ledger: SQLite (the embedded default) or PostgreSQL (psycopg 3), and what
each knows of the database refusing writes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, ExceptionContext, make_url
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
    else:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=dict(PG_KEEPALIVES))
    write_state(engine)
    return engine


# Errors by which a database refuses writes while it may still answer reads. SQLite opens a
# file it may not write read-only, and that connection stays so for good; a PostgreSQL session
# that began read-only (a failover to a standby, default_transaction_read_only) likewise.
_SQLITE_REFUSALS = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR")
_PG_REFUSALS = {
    "25006": "read-only",  # read_only_sql_transaction
    "53100": "disk full",
    "58030": "I/O error",
    "42501": "no privilege",  # insufficient_privilege: a REVOKE
}
_WRITES = ("INSERT", "UPDATE", "DELETE")


def write_refusal(error: BaseException | None) -> str | None:
    """The database's reason, in words, when ``error`` (a driver's) refuses a write."""
    name = getattr(error, "sqlite_errorname", None)  # sqlite3, Python 3.11+
    refused = isinstance(name, str) and name.startswith(_SQLITE_REFUSALS)
    refused = refused or getattr(error, "sqlstate", None) in _PG_REFUSALS  # psycopg 3
    if not refused:
        return None
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@dataclass
class WriteState:
    """How this process's last write to the ledger went: None while the database takes writes
    (or none was tried), else its refusal and when."""

    refused: str | None = None
    since: datetime | None = None

    def on_error(self, context: ExceptionContext) -> None:
        reason = write_refusal(context.original_exception)
        if reason is None:
            return
        if self.refused is None:
            self.since = datetime.now(UTC)
        self.refused = reason
        # Treated as a lost connection: this one and the pool's others are discarded, so the
        # connections opened while writes were refused do not keep failing once they are not.
        context.is_disconnect = True

    def on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.refused is not None and statement.lstrip()[:6].upper() in _WRITES:
            self.refused = self.since = None


_STATES: WeakKeyDictionary[Engine, WriteState] = WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def write_state(engine: Engine) -> WriteState:
    """The ``WriteState`` of ``engine``, watched from its first call (``make_engine`` makes it)."""
    with _STATES_LOCK:
        state = _STATES.get(engine)
        if state is None:
            state = _STATES[engine] = WriteState()
            event.listen(engine, "handle_error", state.on_error)
            event.listen(engine, "after_cursor_execute", state.on_execute)
    return state
