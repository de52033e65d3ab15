"""Serving the HTTP API with uvicorn: one asyncio event loop and a C HTTP parser (httptools,
with a cap on a request's head: ``protocol.py``).

What an app can answer from memory, without waiting on anything (``answer_on_loop``: routers'
``GET /directives``), is answered on the loop itself; every other request goes, once its
whole body has arrived (capped, with a deadline: ``bodies.py``), to the WSGI app (the rest of
the API, the dashboard) in a pool of ``threads`` threads (a2wsgi). The loop runs
in the calling thread (``governance serve``) or in a background thread next to other work (the
daemon's scheduler, tests, benchmarks). Never a development server.

Why not a threaded server: waitress's I/O thread and its workers took turns at the GIL, and
``/directives`` under 64 connections had a p99 of 20-150 ms; on the loop it is about 3 ms.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from types import FrameType
from typing import Any

import uvicorn
from a2wsgi import WSGIMiddleware
from werkzeug.wsgi import FileWrapper

from governance.api.bodies import BODY_SECONDS, MAX_BODY_BYTES, read_body, replay
from governance.api.http import Environ, Response, WSGIApp
from governance.api.protocol import BoundedHeadProtocol
from governance.exceptions import UsageError

log = logging.getLogger(__name__)

DEFAULT_THREADS = 8
# The loop shares the GIL with the WSGI threads and the daemon's jobs; each time it comes back
# from a system call it waits for a busy thread to let go, by default after 5 ms.
SWITCH_INTERVAL = 0.0005
# Each chunk of a response crosses from a WSGI thread to the loop: files (the dashboard's
# plotly.js, 1.2 MB) go in 256 KiB chunks rather than the 8 KiB Flask asks for (21 ms -> 2 ms).
FILE_CHUNK = 256 * 1024
KEEP_ALIVE_SECONDS = 30
DRAIN_SECONDS = 5

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def light_environ(scope: Scope) -> Environ:
    """The WSGI names of a request's method, path, query and headers (PEP 3333's latin-1):
    the part of a2wsgi's ``build_environ`` the loop's answers read, on the hot path."""
    environ: Environ = {
        "REQUEST_METHOD": scope["method"],
        "PATH_INFO": scope["path"],
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
    }
    for raw_name, raw_value in scope["headers"]:
        name = "HTTP_" + raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        environ[name] = f"{environ[name]},{value}" if name in environ else value
    return environ


def with_file_wrapper(app: WSGIApp) -> WSGIApp:
    """``app`` with PEP 3333's optional ``wsgi.file_wrapper``, reading FILE_CHUNK at a time."""

    def wrapper(file: Any, _block_size: int = FILE_CHUNK) -> FileWrapper:
        return FileWrapper(file, FILE_CHUNK)

    def wrapped(environ: Environ, start_response: Any) -> Any:
        environ["wsgi.file_wrapper"] = wrapper
        return app(environ, start_response)

    return wrapped


class Front:
    """The ASGI app uvicorn runs. When ``app`` has ``answer_on_loop(environ) -> Response |
    None`` (the answer when it is in memory, given only the method, path, query and headers),
    that is asked first, on the loop; otherwise, and when it says None, ``app`` answers
    through a2wsgi's thread pool."""

    def __init__(
        self,
        app: WSGIApp,
        threads: int,
        max_body: int = MAX_BODY_BYTES,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self.wsgi = WSGIMiddleware(with_file_wrapper(app), workers=threads)  # type: ignore[arg-type]
        self.on_loop: Callable[[Environ], Response | None] | None = getattr(
            app, "answer_on_loop", None
        )
        self.max_body = max_body
        self.body_seconds = body_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.on_loop is not None:
            response = self.on_loop(light_environ(scope))
            if response is not None:
                await self._send(send, response)
                return
        if scope["type"] == "http":
            # The whole body first, on the loop: a slow or huge one never holds a thread.
            body = await read_body(scope, receive, self.max_body, self.body_seconds)
            if body is None:  # the client went away
                return
            if isinstance(body, Response):
                log.warning("refused a request body: %s", body.code, extra={"path": scope["path"]})
                await self._send(send, body)
                return
            receive = replay(body, receive)
        await self.wsgi(scope, receive, send)  # type: ignore[arg-type]

    @staticmethod
    async def _send(send: Send, response: Response) -> None:
        start = {"type": "http.response.start", "status": response.code}
        await send({**start, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})

    def close(self) -> None:
        self.wsgi.executor.shutdown(wait=False, cancel_futures=True)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: any free port); UsageError, in one
    line, when it can't be had (a port in use, an unknown host)."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
        )[0]
        # Made with its protocol named: asyncio turns Nagle off (TCP_NODELAY) only on sockets
        # whose proto says TCP, and with Nagle on, a response's second write waited 40 ms.
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"{where} is in use; set [server] port or --port") from exc
        raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from exc
    return sock


class Server:
    """``app`` bound to ``host``:``port`` (UsageError here when it can't be); ``run()`` serves
    until ``stop()``."""

    def __init__(
        self,
        app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 8050,
        threads: int = DEFAULT_THREADS,
        *,
        max_body: int = MAX_BODY_BYTES,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        # Process-wide, set by whoever serves: this process's HTTP answers come first.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._socket = listen(host, port)
        bound_host, bound_port = self._socket.getsockname()[:2]
        self.addresses = [(str(bound_host), int(bound_port))]  # the port chosen when 0 was asked
        self._front = Front(app, threads, max_body, body_seconds)
        config = uvicorn.Config(
            self._front,
            http=BoundedHeadProtocol,
            loop="asyncio",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=DRAIN_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.threads = threads

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host, port = self.addresses[0]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def run(self) -> None:
        """Serve in this thread until ``stop()``; requests under way finish (up to 5 s)."""
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        finally:
            self._socket.close()
            self._front.close()

    def start(self) -> Server:
        """Serve in a background thread; returns self once the socket accepts."""
        self._thread = threading.Thread(target=self.run, name="http-server", daemon=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Whether the background thread ``start()`` began is still serving."""
        return self._thread is not None and self._thread.is_alive()

    def request_stop(self) -> None:
        """Ask ``run()`` to return (safe in a signal handler)."""
        self._server.should_exit = True

    def stop(self) -> None:
        """Stop serving: requests under way finish (up to 5 s), connections close."""
        self.request_stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=DRAIN_SECONDS + 5)
            self._thread = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def freeze_start_up() -> None:
    """Keep what start-up built (modules, the apps, the dashboard's layout: it lives as long as
    the process) out of the collector's sight. Each full collection walked all of it and held
    the GIL 13-36 ms, stalling routers' polls: ``bench/directives.py``'s worst one-second p99
    went from 23-27 ms to 3-5 ms. For a serving process, once it is wired; not for tests."""
    gc.collect()
    gc.freeze()


def serve(app: WSGIApp, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
    """Serve ``app`` until SIGTERM or SIGINT, then stop cleanly."""
    freeze_start_up()
    server = Server(app, host, port, threads)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("serving on %s with %d threads", server.url, threads)
    try:
        server.start()
        while server.running and not stopping.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")
