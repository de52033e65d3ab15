"""Which ``running`` ingest runs a live process is doing, so that those a killed one left are
marked ``interrupted`` and no others.

On PostgreSQL the process doing a run holds a session advisory lock keyed by the run's id, on
a connection of its own, from the transaction that inserts the run until it ends; the kernel
closes a killed process's socket and PostgreSQL frees its locks at once. A run whose lock can
be taken has nobody doing it. On SQLite one process uses the ledger (DESIGN section 10): every
run still ``running`` when the daemon starts was left by a process that is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from governance.ledger.tables import ingest_runs

RUNS_KEY_BASE = 0x52554E53 << 32  # "RUNS": run n's lock is RUNS_KEY_BASE + n
INTERRUPTED = "the process doing it stopped before it ended"
_LOCK = text("SELECT pg_advisory_lock(:key)")
_TRY = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")

_held: dict[int, Connection] = {}
_held_lock = threading.Lock()
_lease_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def begin_run(engine: Engine, insert: Callable[[Connection], int]) -> int:
    """The id ``insert`` gives the new run, its lease held (PostgreSQL) until ``end_run``."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            return insert(conn)
    conn = _lease_engine(engine).connect()
    try:
        with conn.begin():  # the lock is taken before the run is visible to anyone
            run_id = insert(conn)
            conn.execute(_LOCK, {"key": RUNS_KEY_BASE + run_id})
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    with _held_lock:
        _held[run_id] = conn
    return run_id


def _lease_engine(engine: Engine) -> Engine:
    """Leases on connections of their own, outside ``engine``'s pool: one per run under way
    would otherwise take the pool's room from the work (8 jobs and the dashboard's threads)."""
    with _held_lock:
        leases = _lease_engines.get(engine)
        if leases is None:
            leases = _lease_engines[engine] = create_engine(engine.url, poolclass=NullPool)
        return leases


def end_run(run_id: int) -> None:
    """Give up run ``run_id``'s lease (its row says how it ended)."""
    with _held_lock:
        conn = _held.pop(run_id, None)
    if conn is None:
        return
    try:
        conn.execute(_UNLOCK, {"key": RUNS_KEY_BASE + run_id})
    except SQLAlchemyError:
        pass  # the session ends below, and its locks with it
    finally:
        conn.invalidate()  # never back to the pool: the session must end
        conn.close()


def mark_interrupted(engine: Engine, now: datetime) -> list[int]:
    """Mark ``interrupted`` the runs still ``running`` that nobody is doing; their ids."""
    running = select(ingest_runs.c.id).where(ingest_runs.c.status == "running")
    interrupted = (
        update(ingest_runs)
        .where(ingest_runs.c.status == "running")  # one that ended meanwhile keeps its end
        .values(status="interrupted", finished_at=now, error=INTERRUPTED)
    )
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            ids = list(conn.execute(running).scalars())
            if ids:  # no write when there is nothing to mark
                conn.execute(interrupted.where(ingest_runs.c.id.in_(ids)))
        return ids
    marked = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for run_id in list(conn.execute(running).scalars()):
            key = {"key": RUNS_KEY_BASE + run_id}
            if not conn.execute(_TRY, key).scalar():
                continue  # a live process holds it
            try:
                conn.execute(interrupted.where(ingest_runs.c.id == run_id))
                marked.append(run_id)
            finally:
                conn.execute(_UNLOCK, key)
    return marked
