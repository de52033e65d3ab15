"""A local stand-in for the OpenAI and Anthropic Admin APIs' billing endpoints.

A real HTTP server (``ThreadingHTTPServer`` on 127.0.0.1, a free port, in a thread) that serves
time buckets in each provider's page shape: it checks the auth headers and the query
parameters as the provider documents them, filters buckets by the requested window, pages with
``next_page`` tokens, and can be told to fail the next requests (429 with ``Retry-After``,
500, or a dropped connection). Every request it receives is recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.standins.provider_rules import (
    ENDPOINTS,
    Refusal,
    check_auth,
    check_params,
    error_body,
    instant,
    offset_of,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_buckets(*names: str) -> list[dict[str, Any]]:
    """The buckets of fixture pages (``"openai/costs_page1.json"``...), in order."""
    return [b for name in names for b in json.loads((FIXTURES / name).read_text())["data"]]


@dataclass
class Received:
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case


@dataclass
class _Failure:
    status: int  # 0: drop the connection without answering
    times: int
    after: int
    retry_after: str | None


@dataclass
class ProviderApi:
    """The stand-in; ``url(path)`` is where to point a source."""

    key: str
    max_page_size: int | None = None  # the server's own cap, to force pagination
    buckets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def serve(self, path: str, buckets: list[dict[str, Any]]) -> str:
        """Serve ``buckets`` at ``path`` (one of ENDPOINTS); its url."""
        assert path in ENDPOINTS, path
        self.buckets[path] = buckets
        return self.url(path)

    def fail(self, status: int, times: int, after: int = 0, retry_after: str | None = None) -> None:
        """After ``after`` more good answers, answer ``status`` ``times`` times (0: drop the
        connection; 3xx: redirect elsewhere)."""
        with self._lock:
            self._failures.append(_Failure(status, times, after, retry_after))

    @contextmanager
    def running(self) -> Iterator[ProviderApi]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        # A short poll keeps shutdown() quick: it waits for the loop's next poll.
        thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        self._server = server
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

    def _failure(self) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.after > 0:
                    failure.after -= 1
                    return None
                if failure.times > 0:
                    failure.times -= 1
                    return failure
            return None

    def answer(self, path: str, params: dict[str, list[str]], headers: dict[str, str]) -> Any:
        """The page for one request, or a Refusal."""
        endpoint = ENDPOINTS.get(path)
        if endpoint is None or path not in self.buckets:
            raise Refusal(404, "not_found_error", f"no route {path}")
        check_auth(endpoint, headers, self.key)
        start, end, limit = check_params(endpoint, params)
        begins = "start_time" if endpoint.provider == "openai" else "starting_at"
        window = [b for b in self.buckets[path] if start <= instant(b[begins]) < end]
        size = min(limit, self.max_page_size or limit)
        offset = offset_of(params.get("page", [None])[0], len(window))
        chunk, rest = window[offset : offset + size], window[offset + size :]
        page: dict[str, Any] = {"object": "page"} if endpoint.provider == "openai" else {}
        token = f"page_{offset + size:06d}" if rest else None
        return {**page, "data": chunk, "has_more": bool(rest), "next_page": token}


def _handler(api: ProviderApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            split = urlsplit(self.path)
            params = parse_qs(split.query, keep_blank_values=True)
            headers = {name.lower(): value for name, value in self.headers.items()}
            api.received.append(Received(split.path, params, headers))
            endpoint = ENDPOINTS.get(split.path)
            provider = endpoint.provider if endpoint else "openai"
            failure = api._failure()
            if failure is not None and failure.status == 0:
                self.close_connection = True  # hang up without a word
                return
            if failure is not None:
                extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                if 300 <= failure.status < 400:  # elsewhere: a client must not follow with the key
                    extra["Location"] = "http://127.0.0.1:9/elsewhere"
                kind = "rate_limit_error" if failure.status == 429 else "api_error"
                self._send(failure.status, error_body(provider, kind, "try later"), extra)
                return
            try:
                body = json.dumps(api.answer(split.path, params, headers)).encode()
            except Refusal as refusal:
                error = error_body(provider, refusal.kind, refusal.message)
                self._send(refusal.status, error, {})
                return
            self._send(200, body, {})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test asserts on `received`, not on stderr

    return Handler
