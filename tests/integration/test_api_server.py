"""The server over a real socket: /directives is answered on uvicorn's event loop even while
every WSGI thread is busy; one keep-alive connection mixes both paths in order; a stop lets the
request under way finish; a port in use is refused when the server is made; a request head
past the cap is answered 431."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from governance.api import Server, make_wsgi_app
from governance.api.protocol import MAX_HEAD_BYTES
from governance.exceptions import UsageError
from tests.integration.conftest import AppFactory
from tests.integration.test_api import fetch


class Blocking:
    """A dashboard stand-in whose requests hold their WSGI thread until ``release``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.entered.set()
        assert self.release.wait(10), "never released"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"slow"]


@pytest.fixture
def blocking() -> Iterator[Blocking]:
    stand_in = Blocking()
    yield stand_in
    stand_in.release.set()


def test_directives_answer_while_every_thread_is_busy(
    make_app: AppFactory, blocking: Blocking
) -> None:
    api = make_wsgi_app(make_app(), fallback=blocking)
    with Server(api, port=0, threads=1) as server, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(fetch, server.url, "/page")
        assert blocking.entered.wait(10)
        started = time.perf_counter()
        status, headers, body = fetch(server.url, "/directives")
        waited = time.perf_counter() - started
        assert (status, headers["content-type"]) == (200, "application/json")
        assert json.loads(body)["directives"] == []
        assert waited < 1.0, f"/directives waited {waited:.2f} s behind the busy thread"
        assert not slow.done()  # the only thread is still held
        blocking.release.set()
        assert slow.result(10)[2] == b"slow"
    api.close()


def test_one_connection_mixes_loop_and_thread_answers_in_order(make_app: AppFactory) -> None:
    api = make_wsgi_app(make_app())
    with Server(api, port=0, threads=2) as server:
        where = urlsplit(server.url)
        conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
        answers = []
        for path in ["/directives", "/healthz", "/directives", "/openapi.json", "/directives"]:
            conn.request("GET", path)
            response = conn.getresponse()
            answers.append((path, response.status, json.loads(response.read())))
        conn.close()
    api.close()
    assert [status for _, status, _ in answers] == [200] * 5
    assert all("directives" in doc for path, _, doc in answers if path == "/directives")
    assert answers[1][2]["database"] == "ok"
    assert answers[3][2]["openapi"].startswith("3.")


def test_a_stop_lets_the_request_under_way_finish(make_app: AppFactory, blocking: Blocking) -> None:
    api = make_wsgi_app(make_app(), fallback=blocking)
    server = Server(api, port=0, threads=2).start()
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(fetch, server.url, "/page")
        assert blocking.entered.wait(10)
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        time.sleep(0.3)  # the server is draining: no new connections
        with pytest.raises(OSError):
            fetch(server.url, "/directives")
        blocking.release.set()
        assert slow.result(10)[:3:2] == (200, b"slow")
        stopping.join(10)
    assert not server.running
    api.close()


def test_a_port_in_use_is_refused_when_the_server_is_made(make_app: AppFactory) -> None:
    api = make_wsgi_app(make_app())
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(
            UsageError, match=rf"^127\.0\.0\.1:{port} is in use; set \[server\] port"
        ):
            Server(api, port=port)
    api.close()


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send ``request`` as it is and read until the server closes or 10 s pass."""
    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as conn:
        with contextlib.suppress(OSError):  # closed on us mid-send: the answer is still there
            conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
        return received


def test_a_request_head_past_the_cap_is_refused(make_app: AppFactory) -> None:
    api = make_wsgi_app(make_app())
    with Server(api, port=0, threads=2) as server:
        huge = b"GET /directives HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (MAX_HEAD_BYTES + 1)
        answer = raw_exchange(server.url, huge)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
        big = b"a" * (MAX_HEAD_BYTES // 2)
        request = b"GET /directives HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\nConnection: close\r\n\r\n"
        assert raw_exchange(server.url, request % big).startswith(b"HTTP/1.1 200 ")
        assert fetch(server.url, "/directives")[0] == 200  # and the server goes on
    api.close()
