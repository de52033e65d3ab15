"""Faults a hostile or unlucky operator brings to a real `governance run`: a ledger that
refuses writes and then takes them again, a config that cannot even be read sent with SIGHUP,
runs left `running` by a killed process."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine

from governance.config import parse_config, starter_config_text
from governance.ingest.writer import finish_run, start_run
from governance.ledger import migrate
from governance.ledger.engine import make_engine
from governance.ledger.read_models.sources import read_sources
from governance.ledger.tables import ingest_runs, ledger
from tests.e2e.daemon import RunProcess
from tests.e2e.test_run import write_log

DEEP = "x = " + "[" * 600 + "]" * 600 + "\n"  # tomllib raises RecursionError on it
# Root writes a file whatever its mode, by these capabilities; a service user has none of them.
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
PR_CAPBSET_DROP = 24


def config_for(tmp_path: Path, every: str = "1m") -> Path:
    config = tmp_path / "governance.toml"
    source = f'[[sources]]\nname = "gw"\nformat = "litellm"\npath = "{tmp_path}/logs/*.jsonl"\n'
    config.write_text(starter_config_text() + f'\n{source}every = "{every}"\n')
    (tmp_path / "logs").mkdir(exist_ok=True)
    return config


def _without_root_file_powers() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


class ServiceRun(RunProcess):
    """``governance run`` as a service user would be: file modes apply to it. Under root (the
    tests' container) it is root without the capabilities that override file modes."""

    def __init__(self, log: Path, environ: dict[str, str]) -> None:
        self.log = log
        argv = [sys.executable, "-m", "governance", "run", "--port", "0", "--threads", "2"]
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                argv,
                env={**os.environ, **environ},
                stdout=sink,
                stderr=subprocess.STDOUT,
                preexec_fn=_without_root_file_powers if os.geteuid() == 0 else None,
            )
        self._port = None


class Refusal:
    """The ledger refusing writes, from ``begin()`` to ``end()``. SQLite: the file's mode is
    0444, as an operator's chmod leaves it. PostgreSQL: the database's new sessions are
    read-only (``default_transaction_read_only``, as after a failover to a standby)."""

    def __init__(self, engine: Engine, path: Path | None) -> None:
        self.engine, self.path = engine, path
        self.admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
        self.active = False

    def _alter(self, setting: str) -> None:
        with self.admin.connect() as conn:
            name = self.engine.url.database
            conn.execute(text(f'ALTER DATABASE "{name}" {setting}'))

    def begin(self) -> None:
        if self.path is not None:
            self.path.chmod(0o444)
        else:
            self._alter("SET default_transaction_read_only = on")
            self.active = True

    def end(self) -> None:
        if self.path is not None:
            self.path.chmod(0o644)
        elif self.active:
            self._alter("RESET default_transaction_read_only")
            self.active = False
            self.engine.dispose()  # none of the test's own connections stays read-only

    def close(self) -> None:
        self.end()
        self.admin.dispose()


def _ledger_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger)).scalar_one())


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_ledger_that_refuses_writes_is_degraded_then_heals_without_a_restart(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        db = tmp_path / "governance.db"
        engine = make_engine(f"sqlite:///{db}")
        migrate.upgrade(engine)
        engine.dispose()  # its WAL checkpointed: the file alone holds the ledger
        path: Path | None = db
    else:
        engine, path = request.getfixturevalue("pg_empty"), None
    config = config_for(tmp_path)
    write_log(tmp_path / "logs" / "a.jsonl", 5, "a")
    environ = {
        "GOVERNANCE_CONFIG": str(config),
        "GOVERNANCE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    refusal = Refusal(engine, path)
    refusal.begin()
    try:
        with ServiceRun(tmp_path / "run.log", environ) as run:
            run.wait_for(r"role=leader")
            health = run.until(lambda: (h := run.health())["database"] == "refusing writes" and h)
            assert health["status"] == "degraded" and "read" in health["error"], health
            assert run.get("/healthz")[0] == 503
            assert "governance_database_writable 0.0" in run.get("/metrics")[1].decode()
            assert run.get("/directives")[0] == 200  # reads go on
            refusal.end()  # the operator puts it right; the same process takes writes again
            run.until(lambda: _ledger_rows(engine) == 5)
            run.until(lambda: run.health()["status"] == "ok")
            assert "governance_database_writable 1.0" in run.get("/metrics")[1].decode()
            run.send(signal.SIGTERM)
            assert run.wait() == 0
    finally:
        refusal.close()
    assert "Traceback" not in run.output()


def test_a_reload_that_cannot_be_read_keeps_the_running_config(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/governance.db")
    migrate.upgrade(engine)
    config = config_for(tmp_path)
    environ = {"GOVERNANCE_CONFIG": str(config)}
    with RunProcess(tmp_path / "run.log", environ) as run:
        run.wait_for(r"role=leader")
        before = len(run.output())
        config.write_text(config.read_text() + DEEP)
        run.send(signal.SIGHUP)
        refused = run.wait_for(r'event="config reload refused: ', after=before)
        assert "nested too deeply" in run.output()[before:]
        assert "ingest:gw" in run.health()["jobs"]  # the running config, still serving
        assert run.get("/healthz")[0] in (200, 503) and run.process.poll() is None
        run.send(signal.SIGTERM)
        assert run.wait() == 0
    assert "Traceback" not in run.output() and refused
    done = subprocess.run(
        [sys.executable, "-m", "governance", "--config", str(config), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "nested too deeply" in done.stderr and len(done.stderr.splitlines()) <= 2


def _statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(ingest_runs.c.source, ingest_runs.c.status))
        return {source: status for source, status in rows}


def test_runs_a_killed_process_left_running_are_marked_interrupted(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    with ledger_engine.begin() as conn:  # as a process killed mid-run leaves it: no lease
        conn.execute(
            insert(ingest_runs).values(
                source="killed", started_at=now - timedelta(hours=1), status="running",
                read=3, added=3, duplicates=0, quarantined=0, cost=0,
            )
        )  # fmt: skip
    postgres = ledger_engine.dialect.name == "postgresql"
    live = start_run(ledger_engine, "by-hand", now) if postgres else None  # a live `ingest`
    config = config_for(tmp_path)
    environ = {
        "GOVERNANCE_CONFIG": str(config),
        "GOVERNANCE_DATABASE_URL": ledger_engine.url.render_as_string(hide_password=False),
    }
    with RunProcess(tmp_path / "run.log", environ) as run:
        run.wait_for(r'event="marked 1 ingest run\(s\) interrupted"')
        run.wait_for(r"role=leader")
        statuses = run.until(lambda: (s := _statuses(ledger_engine)).get("gw") == "ok" and s)
        assert statuses["killed"] == "interrupted"
        if live is not None:
            assert statuses["by-hand"] == "running"  # another live process is doing it
            finish_run(ledger_engine, live, datetime.now(UTC), "ok", None)
        run.send(signal.SIGTERM)
        assert run.wait() == 0
    with ledger_engine.connect() as conn:  # what the Data page shows
        rows = {row.name: row for row in read_sources(conn, parse_config(config.read_text()), now)}
    assert rows["killed"].last_status == "interrupted"
    assert _statuses(ledger_engine).get("by-hand", "ok") == "ok"
