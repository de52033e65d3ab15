"""A TCP forwarder the tests control, to take a database away from one process without
stopping the server everyone else uses.

It listens on 127.0.0.1 (a free port, kept across restarts) and forwards every connection to
``host:port``. ``down()`` is what a process sees when its database server stops: new
connections are refused and the open ones are cut (reset, both ways). ``up()`` listens again on
the same port. asyncio in a thread of its own, so the test's thread stays free.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

CHUNK = 65536
T = TypeVar("T")


class TcpProxy:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.target_port = port
        self.port = 0  # ours: chosen by the first up()
        self.accepted = 0  # connections forwarded so far
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._open: set[asyncio.StreamWriter] = set()  # both ends of every open connection
        self._forwarding: set[asyncio.Task[None]] = set()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def up(self) -> None:
        """Listen (again) and forward."""
        if not self._thread.is_alive():
            self._thread.start()
        self._call(self._listen())

    def down(self) -> None:
        """Refuse new connections and cut the open ones."""
        self._call(self._cut())

    @contextmanager
    def running(self) -> Iterator[TcpProxy]:
        self.up()
        try:
            yield self
        finally:
            self.down()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._forward, "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in list(self._open):
            writer.transport.abort()  # a reset, not a polite close: as a dead server's host
        self._open.clear()
        if self._forwarding:
            await asyncio.wait(self._forwarding, timeout=5)  # their copying ends

    async def _forward(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            server_in, server = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            client.transport.abort()
            return
        self.accepted += 1
        self._open.update((client, server))
        task = asyncio.current_task()
        assert task is not None
        self._forwarding.add(task)
        try:
            await asyncio.gather(_pipe(client_in, server), _pipe(server_in, client))
        finally:
            self._open.difference_update((client, server))
            self._forwarding.discard(task)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until either side ends, then close the other."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
    sink.close()
