"""The scheduler lock: one holder per PostgreSQL database; a holder whose connection dies
loses it, and another takes it at once. SQLite needs none."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from governance.daemon.leader import SERVER_KEEPALIVES, AdvisoryLock, Solo, leadership_for
from governance.ledger.engine import PG_KEEPALIVES, make_engine


@pytest.mark.postgres
def test_one_holder_and_a_takeover_when_its_connection_dies(pg_ledger: Engine) -> None:
    url = pg_ledger.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(2)]  # two processes' engines
    first, second = (leadership_for(engine) for engine in engines)
    assert isinstance(first, AdvisoryLock) and isinstance(second, AdvisoryLock)
    try:
        assert first.acquire() and first.held()
        assert not second.acquire() and not second.held()
        assert first.acquire()  # asking again while holding it: still held
        with pg_ledger.connect() as admin:  # the leader's backend is killed (or its host)
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND pid <> pg_backend_pid() AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        assert not first.held() and first.last_error
        assert second.acquire()
        assert not first.acquire()
        second.release()
        assert first.acquire()
        first.release()
        first.release()  # twice is harmless
    finally:
        for lock in (first, second):
            lock.release()
        for engine in engines:
            engine.dispose()


def test_sqlite_is_always_led_by_its_one_process(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/ledger.db")
    leadership = leadership_for(engine)
    assert isinstance(leadership, Solo) and leadership.acquire() and leadership.held()
    leadership.release()
    engine.dispose()


@pytest.mark.postgres
def test_both_ends_of_the_lock_session_watch_the_link(pg_ledger: Engine) -> None:
    """A network cut, unlike a killed backend, is seen only by TCP keepalives: the engine sets
    libpq's, and the lock session the server's, so the lock is freed in about 30 s, not hours."""
    url = pg_ledger.url.render_as_string(hide_password=False)
    engine = make_engine(url)
    lock = AdvisoryLock(engine)
    try:
        assert lock.acquire()
        conn = lock._conn  # the session that holds the lock
        assert conn is not None
        client = conn.connection.dbapi_connection.info.get_parameters()  # type: ignore[union-attr]
        assert {name: client[name] for name in PG_KEEPALIVES} == {
            name: str(value) for name, value in PG_KEEPALIVES.items()
        }
        server = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in SERVER_KEEPALIVES}
        assert server == SERVER_KEEPALIVES
    finally:
        lock.release()
        engine.dispose()
