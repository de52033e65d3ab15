"""Request bodies read whole on the event loop, capped and with a deadline, before a WSGI
thread is taken.

a2wsgi hands the app a body that a thread pulls from the connection as the app reads it, so a
slow client held a thread for as long as it liked (eight of them took every thread, and
``/healthz`` with them), and Flask read a 1 GiB body whole (RSS 150 MB -> 2.2 GB, kept). Here
a body is refused 413 past ``max_bytes`` (from its Content-Length, before a byte of it is
read, or as it arrives) and 408 when it has not all arrived within ``seconds``; a waiting body
costs the loop a buffer, never a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from governance.api.http import Response, error

# The dashboard's callbacks post a few KiB of JSON; nothing the API takes comes near this.
MAX_BODY_BYTES = 1024 * 1024
BODY_SECONDS = 30.0

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
CLOSE = [("Connection", "close")]  # the rest of a refused body is never read


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length a request's head gives (None without one, or unreadable: the
    parser has already refused a malformed one)."""
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def too_large(max_bytes: int) -> Response:
    return error(413, f"the request body is over {max_bytes} bytes", CLOSE)


async def read_body(
    scope: MutableMapping[str, Any],
    receive: Receive,
    max_bytes: int = MAX_BODY_BYTES,
    seconds: float = BODY_SECONDS,
) -> bytes | Response | None:
    """The whole body, or the answer that refuses it, or None when the client went away."""
    declared = declared_length(scope["headers"])
    if declared is not None and declared > max_bytes:
        return too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > max_bytes:  # chunked, or more than it declared
                    return too_large(max_bytes)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        return error(408, f"the request body did not arrive within {seconds:g} s", CLOSE)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` whole, then whatever the connection says next (its
    disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def again() -> MutableMapping[str, Any]:
        return pending.pop() if pending else await receive()

    return again
