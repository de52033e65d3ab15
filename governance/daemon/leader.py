"""Who runs the scheduler: one ``governance run`` per ledger at a time (DESIGN section 10).

On PostgreSQL the leader holds a session advisory lock on a connection of its own for as long
as it runs the scheduler; any other ``run`` is a hot standby that tries the lock every few
seconds. PostgreSQL releases a session's locks as soon as its connection ends, which for a
killed process is at once (the kernel closes its socket), so a standby takes over within one
of its polls. A leader whose lock connection fails (the server restarted, a network cut) can
no longer be sure it holds the lock: it stops its scheduler and becomes a standby again. Until
it notices (one poll), two schedulers may overlap; every job is safe to run twice. Across a
network cut both ends find out within about 30 s: the engine's TCP keepalives tell the
leader, and the lock session asks the server for the same (``SERVER_KEEPALIVES``), so the
server ends it and frees the lock for a standby instead of keeping it for hours.

On SQLite there is one process by design (the ledger is a local file): no lock, always leader.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("governance.leader")  # the name log lines have always carried

# One key per database (advisory locks are per database): a stable 64-bit number of our name.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"spend-governance scheduler").digest()[:8], signed=True)
# The server's side of the lock session's TCP link (its defaults wait two hours).
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "30000",
}
_SET_SERVER_KEEPALIVES = text(
    "SELECT " + ", ".join(f"set_config('{name}', :{name}, false)" for name in SERVER_KEEPALIVES)
)


class Leadership(Protocol):
    last_error: str | None  # why the last attempt or check failed (None: it did not fail)

    def acquire(self) -> bool:
        """Try to become the leader, without waiting; True if this process now is."""

    def held(self) -> bool:
        """Whether this process still is the leader (False once it is not: acquire again)."""

    def release(self) -> None:
        """Stop being the leader, so that a standby can take over at once."""


class Solo:
    """A single process (SQLite): always the leader."""

    last_error: str | None = None

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AdvisoryLock:
    """``pg_try_advisory_lock`` held on a dedicated connection of ``engine``."""

    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None
        self.last_error: str | None = None  # why the last attempt or check failed

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.held()
        conn: Connection | None = None
        try:
            # Autocommit: the lock belongs to the session, and no transaction stays open.
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            )
            if got:  # only the session that holds the lock: a standby's poll stays one query
                conn.execute(_SET_SERVER_KEEPALIVES, SERVER_KEEPALIVES)
        except SQLAlchemyError as exc:
            self._failed(conn, exc)
            return False
        if not got:
            conn.close()  # it holds no lock: back to the pool
            self.last_error = None  # not a failure: another process leads
            return False
        self._conn, self.last_error = conn, None
        return True

    def held(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            self._conn = None
            self._failed(conn, exc)
            return False
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except SQLAlchemyError as exc:
            log.debug("unlocking the scheduler lock: %s", exc)
        finally:
            # Never back to the pool: a session that might still hold the lock must end.
            conn.invalidate()
            conn.close()

    def _failed(self, conn: Connection | None, exc: SQLAlchemyError) -> None:
        self.last_error = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except SQLAlchemyError:
                pass


def leadership_for(engine: Engine) -> Leadership:
    """An advisory lock on PostgreSQL; on SQLite, no election."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    return Solo()
