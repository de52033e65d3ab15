"""Serving a WSGI app with waitress: a production server in pure Python, run in the calling
thread (``governance serve``) or in a background thread next to other work (the daemon's
scheduler, tests, benchmarks). Never a development server."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

from waitress import wasyncore
from waitress.server import create_server
from waitress.trigger import trigger

from governance.api.http import WSGIApp

log = logging.getLogger(__name__)

DEFAULT_THREADS = 8
# waitress's I/O loop and its worker threads take turns at the GIL; at Python's default 5 ms
# switch interval, the loop waits behind busy workers. Measured (bench/directives.py, 64
# connections, 2 cores): p99 100-150 ms at 5 ms, 16 ms at 0.5 ms.
SWITCH_INTERVAL = 0.0005


class _Interrupted(KeyboardInterrupt):
    # A KeyboardInterrupt, so that waitress's event loop lets it through rather than
    # logging it as a channel's error: it only needs to wake the loop from poll().
    pass


class Server:
    """A bound waitress server for ``app``; ``run()`` serves until ``stop()``."""

    def __init__(
        self,
        app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 8050,
        threads: int = DEFAULT_THREADS,
        **adjustments: Any,
    ) -> None:
        # Process-wide, set by whoever serves: this process's HTTP answers come first.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._map: dict[Any, Any] = {}
        self._server = create_server(
            app,
            map=self._map,
            host=host,
            port=port,
            threads=threads,
            ident="spend-governance",
            **adjustments,
        )
        self._wake = trigger(self._map)  # lets stop() interrupt the poll from another thread
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.threads = threads

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The (host, port) pairs listened on, with the port chosen when 0 was asked."""
        listen = getattr(self._server, "effective_listen", None)
        if listen:
            return [(str(host), int(port)) for host, port in listen]
        server: Any = self._server
        return [(str(server.effective_host), int(server.effective_port))]

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    @property
    def url(self) -> str:
        """``http://host:port`` of the first address."""
        host, port = self.addresses[0]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def run(self) -> None:
        """Serve in this thread until ``stop()`` (or a signal ``serve`` handles)."""
        # _Interrupted comes from serve()'s signal handler, which has asked to stop.
        try:
            with contextlib.suppress(_Interrupted):
                while not self._stopping.is_set():
                    # waitress's loop, one poll() at a time (select() stops at 1024 sockets)
                    wasyncore.poll2(1.0, self._map)
        finally:
            self._server.task_dispatcher.shutdown(timeout=5)
            wasyncore.close_all(self._map)

    def start(self) -> Server:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(target=self.run, name="http-server", daemon=True)
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask ``run()`` to return after its current poll (safe in a signal handler)."""
        self._stopping.set()

    def stop(self) -> None:
        """Stop serving: requests under way finish (up to 5 s), connections close."""
        self._stopping.set()
        self._wake.pull_trigger()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve(app: WSGIApp, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
    """Serve ``app`` in the main thread until SIGTERM or SIGINT, then stop cleanly."""
    server = Server(app, host, port, threads)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        server.request_stop()
        for sig in (signal.SIGTERM, signal.SIGINT):  # a second signal must not interrupt cleanup
            signal.signal(sig, signal.SIG_IGN)
        raise _Interrupted

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("serving on %s with %d threads", server.url, threads)
    try:
        server.run()
    except _Interrupted:
        pass  # arrived between two polls: run() has cleaned up already
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")
