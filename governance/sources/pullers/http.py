"""JSON from a provider's API over HTTP: retried with backoff, pages followed to the end.

Connection errors, 429 and 5xx are retried with exponential backoff and jitter, or after the
``Retry-After`` seconds the API asked for, up to ``attempts`` tries; then ``SourceUnavailable``.
Any other 4xx (a bad key, a bad parameter) is permanent: a ``UsageError`` at once, with the
status and the API's own message. The key is sent in headers only and never appears in a
message or a log line. Redirects are refused rather than followed, so that the key is never
sent on to another host.
"""

from __future__ import annotations

import http.client
import logging
import random
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

from governance.config.secrets import redact
from governance.exceptions import SourceUnavailable, UsageError
from governance.sources.containers import decode_json

log = logging.getLogger(__name__)

_RETRY_AFTER_STATUSES = (429, 503)
_MAX_PAGES = 10_000  # far beyond any real report; stops a provider that pages forever
Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 60.0
    max_retry_after: float = 300.0  # a longer Retry-After is capped, not obeyed blindly


class _Transient(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_RefuseRedirects)


class HttpClient:
    """GETs JSON with the given headers (holding the key), retrying what may pass."""

    def __init__(
        self,
        headers: Mapping[str, str],
        secret: str,
        sleep: Callable[[float], None],
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.headers = {"Accept": "application/json", **headers}
        self.secret, self.sleep, self.timeout, self.jitter = secret, sleep, timeout, jitter
        self.policy = policy or RetryPolicy()

    def get_json(self, url: str, params: Params) -> Any:
        """The decoded body (numbers as Decimal) of ``GET url?params``."""
        full = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        attempts = self.policy.attempts
        for attempt in range(1, attempts + 1):
            try:
                return self._once(full)
            except _Transient as exc:
                if attempt == attempts:
                    raise SourceUnavailable(
                        f"GET {url} failed {attempts} times; last: {self._clean(exc.reason)}"
                    ) from None
                delay = self._delay(attempt, exc.retry_after)
                log.warning(
                    "GET %s: %s; retry %d of %d in %.1fs",
                    url,
                    self._clean(exc.reason),
                    attempt,
                    attempts - 1,
                    delay,
                )
                self.sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _once(self, url: str) -> Any:
        log.debug("GET %s", url)
        request = urllib.request.Request(url, headers=self.headers, method="GET")
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            self._refused(url, exc)
        except (OSError, http.client.HTTPException) as exc:
            raise _Transient(f"connection failed: {type(exc).__name__}: {exc}") from None
        try:
            return decode_json(body.decode("utf-8"))
        except ValueError:  # a body cut short, or a proxy's HTML page
            raise _Transient("the answer was not JSON") from None

    def _refused(self, url: str, exc: urllib.error.HTTPError) -> None:
        try:
            body = exc.read()
        except (OSError, http.client.HTTPException):
            body = b""
        finally:
            exc.close()
        status = exc.code
        message = f"answered {status}: {_api_message(body) or exc.reason}"
        if status == 429 or status >= 500:
            retry_after = _retry_after(exc.headers) if status in _RETRY_AFTER_STATUSES else None
            raise _Transient(message, retry_after)
        if 300 <= status < 400:
            message += f" (redirected to {exc.headers.get('Location')}; use that url)"
        bare = url.split("?", 1)[0]
        raise UsageError(f"GET {bare} {self._clean(message)} (not retried)")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.policy.max_retry_after)
        ceiling = min(self.policy.max_seconds, self.policy.base_seconds * 2.0 ** (attempt - 1))
        # "Equal jitter": at least half the backoff, so that retries stay spaced out, plus a
        # random part, so that many pullers failing together do not retry in lockstep.
        return ceiling / 2 + self.jitter() * ceiling / 2

    def _clean(self, text: str) -> str:
        # One line, never the key (an API may echo part of it back in its error message).
        return re.sub(r"\s+", " ", redact(text, [self.secret])).strip()[:500]


def _api_message(body: bytes) -> str | None:
    """The message of an OpenAI or Anthropic error body: ``{"error": {"message": ...}}``."""
    try:
        document = decode_json(body.decode("utf-8"))
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return text[:200] or None
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(error) if error else None


def _retry_after(headers: Message) -> float | None:
    value = headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
    return seconds if seconds is not None and seconds >= 0 else None


def pages(client: HttpClient, url: str, params: Params) -> Iterator[tuple[int, Any, bool]]:
    """``(n, page, last)`` for each page of ``GET url``, following ``next_page`` while the API
    says ``has_more``; ``last`` is True for the final page."""
    token: str | None = None
    seen: set[str] = set()
    for number in range(1, _MAX_PAGES + 1):
        page = client.get_json(url, [*params, *([("page", token)] if token else [])])
        more = isinstance(page, dict) and page.get("has_more") is True
        token = page.get("next_page") if more else None
        if more and (not isinstance(token, str) or not token or token in seen):
            raise SourceUnavailable(
                f"GET {url} page {number} says has_more but gives no new next_page"
            )
        yield number, page, not more
        if not more:
            return
        seen.add(str(token))
    raise SourceUnavailable(f"GET {url} gave more than {_MAX_PAGES} pages")
