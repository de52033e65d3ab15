"""The little HTTP the API needs on top of WSGI: responses, JSON errors, ETags, bearer tokens.

Plain WSGI on purpose: ``/directives`` is answered from memory, and a framework's request and
response objects would cost more than the answer itself.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
Headers = list[tuple[str, str]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

JSON_TYPE = "application/json"
REASONS = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Response:
    """A complete answer: status line, headers and body, ready for ``start_response``."""

    status: str
    headers: Headers
    body: bytes = b""

    @property
    def code(self) -> int:
        return int(self.status[:3])

    @cached_property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers as ASGI sends them, encoded once."""
        return [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers
        ]


# What stands in front of an app (the dashboard's basic auth): the answer to send instead of
# the app's, or None to let the request through. The API and the dashboard share it.
Guard = Callable[[Environ], Response | None]


def status_line(code: int) -> str:
    return f"{code} {REASONS[code]}"


def json_bytes(document: Any) -> bytes:
    """Compact JSON, as every endpoint writes it."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(code: int, document: Any, extra: Iterable[tuple[str, str]] = ()) -> Response:
    """``document`` as JSON with status ``code`` and any ``extra`` headers."""
    body = json_bytes(document)
    headers = [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body))), *extra]
    return Response(status_line(code), headers, body)


def error(code: int, message: str, extra: Iterable[tuple[str, str]] = ()) -> Response:
    """Every error of the API: ``{"error": message}``."""
    return json_response(code, {"error": message}, extra)


def query_value(environ: Mapping[str, Any], name: str) -> str | None:
    """The first value of query parameter ``name``, or None."""
    query = environ.get("QUERY_STRING")
    if not query:
        return None
    values = parse_qs(query, keep_blank_values=True).get(name)
    return values[0] if values else None


def etag_matches(if_none_match: str, version: str) -> bool:
    """Whether an ``If-None-Match`` header names ``version``: quoted or not, weak or strong
    (RFC 9110 compares weakly here), one of a list, or ``*``."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == version:
            return True
    return False


def parse_tokens(secret: str | None) -> tuple[bytes, ...]:
    """The router tokens of a comma-separated secret; empty when it is unset."""
    if not secret:
        return ()
    return tuple(t.strip().encode("utf-8") for t in secret.split(",") if t.strip())


def bearer_allowed(authorization: str | None, tokens: tuple[bytes, ...]) -> bool:
    """Whether ``Authorization: Bearer <token>`` carries one of ``tokens``.

    Every token is compared, in constant time, so that timing tells nothing of which matched.
    """
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    candidate = given.strip().encode("utf-8", "surrogateescape")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(candidate, token)
    return matched
