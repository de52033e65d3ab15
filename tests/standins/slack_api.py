"""A local stand-in for Slack: the Web API's ``chat.postMessage`` and an incoming webhook.

A real HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, a free port, in a thread), reached by
slack-sdk through its ``base_url`` (or the webhook's URL). It checks the bearer token and the
channel as Slack does, records every message it accepts, and can be told to answer the next
requests with a failure (5xx, 429 with ``Retry-After``, ``{"ok": false, "error": CODE}``, or a
dropped connection), or to go down (connection refused) and come back on the same port.

It can also ``hold`` requests before acting on them (a slow Slack), until ``release``; a held
request whose client has hung up meanwhile is dropped, never accepted (``abandoned``): the
client's retry must then post it, once.
"""

from __future__ import annotations

import json
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

POST_MESSAGE = "/api/chat.postMessage"
WEBHOOK = "/services/T0GOVERN/B0ALERTS/webhook-secret-part"


@dataclass
class _Failure:
    status: int  # 0: drop the connection; 200: {"ok": false, "error": error}
    error: str
    retry_after: str | None


@dataclass
class SlackApi:
    """The stand-in: ``api_url`` for ``[alerts.slack] api_url``, ``webhook_url`` for a webhook."""

    token: str = "xoxb-test-token-0123456789"
    channels: set[str] | None = None  # None: every channel exists
    messages: list[dict[str, Any]] = field(default_factory=list)  # accepted, in order
    requests: int = 0  # every request that reached the server
    held: int = 0  # requests waiting in a hold now
    abandoned: int = 0  # held requests whose client hung up before the release: not accepted
    _hold: threading.Event | None = None
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _port: int = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self._port}{WEBHOOK}"

    def fail(
        self, status: int, times: int = 1, error: str = "", retry_after: str | None = None
    ) -> None:
        """Answer the next ``times`` requests with this failure instead: ``status`` 0 drops
        the connection; 200 answers ``{"ok": false, "error": error}``; 429 adds ``Retry-After``;
        any other answers ``error`` as text (or an HTML page)."""
        with self._lock:
            self._failures += [_Failure(status, error, retry_after) for _ in range(times)]

    def hold(self) -> None:
        """Keep the next requests waiting, not acted on, until ``release``."""
        self._hold = threading.Event()

    def release(self) -> None:
        hold, self._hold = self._hold, None
        if hold is not None:
            hold.set()

    def _through_hold(self, connection: socket.socket) -> bool:
        """Wait while held; False when the client hung up meanwhile (the request is dropped)."""
        hold = self._hold
        if hold is None:
            return True
        with self._lock:
            self.held += 1
        hold.wait()
        readable, _, _ = select.select([connection], [], [], 0)
        try:
            gone = bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
        except ConnectionError:  # reset: gone too
            gone = True
        with self._lock:
            self.held -= 1
            self.abandoned += gone
            self.requests += gone  # it reached the server too (the others count on below)
        return not gone

    def texts(self) -> list[str]:
        return [m.get("text", "") for m in self.messages]

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler(self))
        server.daemon_threads = True
        self._port = server.server_address[1]
        # A short poll keeps shutdown() quick.
        self._thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        self._server = server
        self._thread.start()

    def stop(self) -> None:
        """Go down: connections to the port are refused until ``start`` again."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    @contextmanager
    def running(self) -> Iterator[SlackApi]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def _next_failure(self) -> _Failure | None:
        with self._lock:
            self.requests += 1
            return self._failures.pop(0) if self._failures else None

    def post_message(self, headers: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
        """chat.postMessage's answer, recording the message when it is accepted."""
        if headers.get("authorization") != f"Bearer {self.token}":
            return {"ok": False, "error": "invalid_auth"}
        channel = payload.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if self.channels is not None and channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not payload.get("text") and not payload.get("blocks"):
            return {"ok": False, "error": "no_text"}
        with self._lock:
            self.messages.append(payload)
            ts = f"1700000000.{len(self.messages):06d}"
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": payload["text"]}}


def _handler(api: SlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the tests read what was recorded

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            if not api._through_hold(self.connection):
                self.close_connection = True
                return
            failure = api._next_failure()
            if failure is not None:
                self._fail(failure)
                return
            if self.path == WEBHOOK:
                with api._lock:
                    api.messages.append(json.loads(body))
                self._send(200, b"ok", "text/html")
            elif self.path == POST_MESSAGE:
                self._json(200, api.post_message(headers, _payload(headers, body)))
            else:
                self._json(404, {"ok": False, "error": "unknown_method"})

        def _fail(self, failure: _Failure) -> None:
            if failure.status == 0:
                self.close_connection = True  # hang up without a word
                return
            if failure.status == 200:
                self._json(200, {"ok": False, "error": failure.error})
            elif failure.status == 429:
                extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                self._json(429, {"ok": False, "error": "ratelimited"}, extra)
            else:  # a webhook answers its error code as text; a proxy or Slack's edge, HTML
                body = failure.error or "<html>upstream trouble</html>"
                self._send(failure.status, body.encode(), "text/html")

        def _json(self, status: int, document: Any, extra: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(document).encode(), "application/json", extra)

        def _send(
            self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _payload(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """slack-sdk posts JSON; other clients post a form."""
    if headers.get("content-type", "").startswith("application/json"):
        document: dict[str, Any] = json.loads(body or b"{}")
        return document
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}
