"""Limits of the server over real sockets: a body that does not arrive in time is answered 408
without holding a thread; wrong dashboard passwords from one address are answered 429 with
Retry-After, without a hash check, while the real user on another address gets in."""

from __future__ import annotations

import base64
import http.client
import socket
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.auth import FAILURES_ALLOWED, basic_auth_guard
from governance.api import Server, make_wsgi_app
from tests.integration.conftest import AppFactory

USER, PASSWORD = "finance", "correct horse battery staple"
ATTACKER, USER_ADDRESS = "127.0.0.2", "127.0.0.1"


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello" if not body else body[:5].ljust(5)]


def test_a_body_that_does_not_arrive_in_time_is_answered_408(make_app: AppFactory) -> None:
    api = make_wsgi_app(make_app(), fallback=hello)
    with Server(api, port=0, threads=1, body_seconds=0.5) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
            slow.sendall(b"POST /page HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
            started = time.monotonic()
            answer = slow.recv(200)
            assert answer.startswith(b"HTTP/1.1 408 "), answer
            assert time.monotonic() - started < 5
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", "/page", body=b"quick")
        assert conn.getresponse().read() == b"quick"  # a body that arrives is the app's
        conn.close()
    api.close()


def login(port: int, address: str, password: str) -> tuple[int, dict[str, str], float]:
    """One request to a guarded page from ``address``: status, headers, seconds taken."""
    token = base64.b64encode(f"{USER}:{password}".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(address, 0))
    started = time.perf_counter()
    try:
        conn.request("GET", "/page", headers={"Authorization": f"Basic {token}"})
        response = conn.getresponse()
        response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, time.perf_counter() - started
    finally:
        conn.close()


@pytest.fixture
def guarded(make_app: AppFactory) -> Iterator[int]:
    password_hash = generate_password_hash(PASSWORD)  # the default scrypt: slow by design
    api = make_wsgi_app(make_app(), fallback=hello, guard=basic_auth_guard(USER, password_hash))
    with Server(api, port=0, threads=2) as server:
        yield server.port
    api.close()


def test_wrong_passwords_are_rate_limited_per_address(guarded: int) -> None:
    for _ in range(FAILURES_ALLOWED):
        assert login(guarded, ATTACKER, "wrong")[0] == 401
    status, headers, _ = login(guarded, ATTACKER, "wrong")
    assert status == 429
    assert 1 <= int(headers["retry-after"]) <= 60
    assert login(guarded, ATTACKER, PASSWORD)[0] == 429  # no guessing while refused
    started = time.perf_counter()
    check_password_hash(generate_password_hash("x"), "y")
    one_check = time.perf_counter() - started
    refused = [login(guarded, ATTACKER, f"guess {n}") for n in range(20)]
    assert {status for status, _, _ in refused} == {429}
    median = statistics.median(took for _, _, took in refused)
    assert median < one_check / 3, f"a refusal took {median:.3f} s, a hash check {one_check:.3f}"
    # The real user, from another address, is let in; a typo of theirs is their own count.
    assert login(guarded, USER_ADDRESS, PASSWORD)[0] == 200
    assert login(guarded, USER_ADDRESS, "typo")[0] == 401
    assert login(guarded, USER_ADDRESS, PASSWORD)[0] == 200
