"""The database goes away under a running API, for real: the SQLite file is moved aside (a
directory takes its place), or the TCP path to PostgreSQL is cut by a proxy. /directives keeps
answering with the last known document, /healthz says degraded, and both recover."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from governance.api import Server, make_wsgi_app
from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.ledger.engine import make_engine
from governance.services.evaluate import run_evaluation
from tests.integration.conftest import NOW, AppFactory
from tests.integration.test_api import SMALL, nov, overspend_batch


def fetch(url: str, path: str) -> tuple[int, bytes]:
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; ``cut()`` drops every connection and refuses new
    ones until ``mend()``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        self.refusing = False
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):  # one side ended: end the other, and free both
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def cut(self) -> None:
        self.refusing = True
        with self.lock:
            for end in self.open:
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)  # the pumps wake up and close them
            self.open.clear()

    def mend(self) -> None:
        self.refusing = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


@contextmanager
def breakable(ledger: Engine) -> Iterator[tuple[Engine, Callable[[], None], Callable[[], None]]]:
    """An engine of its own on ``ledger``'s database, with ``cut`` and ``mend``."""
    if ledger.dialect.name == "sqlite":
        path = Path(ledger.url.database or "")
        engine = make_engine(ledger.url.render_as_string(hide_password=False))
        aside = path.with_name(path.name + ".aside")

        def cut() -> None:
            path.rename(aside)
            path.mkdir()  # SQLite cannot open a directory: "unable to open database file"
            engine.dispose()  # open connections would go on using the moved file

        def mend() -> None:
            path.rmdir()
            aside.rename(path)

        yield engine, cut, mend
        engine.dispose()
        return
    proxy = TcpProxy((ledger.url.host or "127.0.0.1", ledger.url.port or 5432))
    engine = make_engine(ledger.url.set(port=proxy.port).render_as_string(hide_password=False))
    yield engine, proxy.cut, proxy.mend
    engine.dispose()
    proxy.close()


def test_the_last_directives_are_served_while_the_database_is_down(
    make_app: AppFactory, ledger_engine: Engine
) -> None:
    app = make_app(replace=SMALL)
    overspend_batch(app, range(1, 6))
    evaluation = run_evaluation(app.config, app.engine, nov(6), nov(6))
    with breakable(ledger_engine) as (engine, cut, mend):
        api = make_wsgi_app(replace(app, _engine=engine))
        with Server(api, port=0, threads=4) as server:
            status, before = fetch(server.url, "/directives")
            assert status == 200 and json.loads(before)["version"] == evaluation.version
            assert fetch(server.url, "/healthz")[0] == 200
            cut()
            wait_for(lambda: not api.cache.database_ok)
            assert fetch(server.url, "/directives") == (200, before)
            status, body = fetch(server.url, "/healthz")
            health = json.loads(body)
            assert status == 503 and (health["status"], health["database"]) == (
                "degraded",
                "unreachable",
            )
            assert health["directives_version"] == evaluation.version
            assert health["last_evaluation"] == "2026-11-06T12:00:00Z"  # the last reading
            status, body = fetch(server.url, "/api/v1/status")
            assert status == 503 and "database" in json.loads(body)["error"]
            metrics = fetch(server.url, "/metrics")[1].decode()
            assert "governance_database_up 0.0" in metrics
            mend()
            wait_for(lambda: fetch(server.url, "/healthz")[0] == 200)
        api.close()


def test_nothing_to_serve_when_the_database_was_never_reached(tmp_path: Path) -> None:
    (tmp_path / "not-a-database").mkdir()
    engine = make_engine(f"sqlite:///{tmp_path / 'not-a-database'}")
    config = parse_config(starter_config_text(), "test.toml", tmp_path)
    api = make_wsgi_app(Governance(config, tmp_path / "governance.toml", {}, lambda: NOW, engine))
    with Server(api, port=0, threads=2) as server:
        status, body = fetch(server.url, "/directives")
        assert status == 503 and json.loads(body)["error"].startswith(
            "no directives available: the database is unreachable"
        )
        status, body = fetch(server.url, "/healthz")
        assert status == 503 and json.loads(body)["database"] == "unreachable"
        assert json.loads(body)["directives_version"] is None
    api.close()
    engine.dispose()
