"""uvicorn's httptools protocol with a cap on a request's head (its line and headers).

llhttp keeps a header it has not finished reading in memory however long it grows, so a client
could make the daemon's memory grow without end; past ``MAX_HEAD_BYTES`` the request is
answered ``431`` and the connection closed, as waitress did before us.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 256 * 1024
TOO_LARGE = b"Request header fields too large"


class BoundedHeadProtocol(HttpToolsProtocol):
    """Counts what arrives while a request's head is being read (a read that completes the
    head is not counted: its rest is body)."""

    _in_head = True
    _head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            log.warning("refused a request whose head passed %d bytes", MAX_HEAD_BYTES)
            self.transport.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(TOO_LARGE), TOO_LARGE)
            )
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()
