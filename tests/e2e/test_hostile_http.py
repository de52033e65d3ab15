"""Hostile HTTP clients against a real `governance serve` (2 WSGI threads) over real sockets:
a 1 GiB body, declared or chunked, is refused 413 at once and the server's memory does not
grow; slow bodies, more of them than there are threads, do not keep /healthz, /metrics or the
dashboard from answering."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from governance.config import starter_config_text
from tests.e2e.daemon import RunProcess
from tests.e2e.test_replicas import ServeProcess

GIB = 1 << 30
CALLBACK = b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


@pytest.fixture
def served(ledger_engine: Engine, tmp_path: Path) -> Iterator[RunProcess]:
    config = tmp_path / "governance.toml"
    config.write_text(starter_config_text())
    environ = {
        "GOVERNANCE_CONFIG": str(config),
        "GOVERNANCE_DATABASE_URL": ledger_engine.url.render_as_string(hide_password=False),
    }
    with ServeProcess(tmp_path / "serve.log", environ) as process:
        assert process.get("/healthz")[0] == 200
        assert process.get("/")[0] == 200  # the dashboard is built and has served a page
        yield process


def rss_mb(process: RunProcess) -> float:
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def push(port: int, head: bytes, chunk: bytes, total: int) -> tuple[bytes, float]:
    """Send ``head`` then ``chunk`` until ``total`` bytes or the server closes; its answer's
    first bytes and the seconds it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head)
        sent = 0
        with contextlib.suppress(OSError):  # refused: the server closes on the rest
            while sent < total:
                conn.sendall(chunk)
                sent += len(chunk)
        try:
            answer = conn.recv(200)
        except ConnectionResetError:
            answer = b"reset before any answer"
    return answer, time.monotonic() - started


def test_a_huge_body_is_refused_at_once_without_memory_growth(served: RunProcess) -> None:
    before = rss_mb(served)
    megabyte = b"a" * (1 << 20)
    declared = CALLBACK + b"Content-Length: %d\r\n\r\n" % GIB
    answer, took = push(served.port, declared, megabyte, GIB)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert took < 5, f"refused after {took:.1f} s"
    chunked = CALLBACK + b"Transfer-Encoding: chunked\r\n\r\n"
    answer, took = push(served.port, chunked, b"100000\r\n" + megabyte + b"\r\n", GIB)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert took < 5, f"refused after {took:.1f} s"
    after = rss_mb(served)
    assert after - before < 30, f"RSS {before:.0f} MB -> {after:.0f} MB"
    assert served.get("/healthz")[0] == 200


def test_slow_bodies_do_not_take_the_threads(served: RunProcess) -> None:
    clients = []
    try:
        for _ in range(4):  # twice the threads
            conn = socket.create_connection(("127.0.0.1", served.port), timeout=10)
            conn.sendall(CALLBACK + b"Content-Length: 1000\r\n\r\n{")
            clients.append(conn)
        time.sleep(0.5)  # each is now waiting for the rest of its body
        for path in ("/healthz", "/metrics", "/_dash-layout", "/healthz"):
            started = time.monotonic()
            status, _ = served.get(path)
            took = time.monotonic() - started
            assert status == 200, path
            assert took < 3, f"{path} took {took:.1f} s behind the slow bodies"
            for conn in clients:
                conn.sendall(b" ")  # still trickling
    finally:
        for conn in clients:
            conn.close()
