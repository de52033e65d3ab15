"""Optional HTTP basic auth in front of the dashboard, its callbacks and the read API.

The user and a password hash come from the environment (the variables ``[server]`` names, or
their ``_FILE``); the hash is werkzeug's (``scrypt:…`` or ``pbkdf2:…``), never a plain password.

A hash check is slow by design (scrypt: ~100 ms of CPU), so a flood of wrong passwords slowed
the real user's pages to seconds. Past ``FAILURES_ALLOWED`` wrong ones from an address within
``WINDOW_SECONDS`` it is answered 429 with Retry-After, without a check; and credentials that
have passed once are known again by their digest (as Apache's mod_authn_socache does), so the
real user pays the check once, not on every asset and callback.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping

from werkzeug.security import check_password_hash

from governance.api.http import Environ, Guard, Response, error
from governance.config import ServerConfig
from governance.config.secrets import read_secret

CHALLENGE = ("WWW-Authenticate", 'Basic realm="spend-governance", charset="UTF-8"')
FAILURES_ALLOWED = 10
WINDOW_SECONDS = 60.0
TRACKED_ADDRESSES = 10_000  # the oldest are forgotten past this: memory stays bounded
REMEMBERED = 64  # credentials known good (a few users, a few browsers)


class FailedLogins:
    """Wrong passwords per client address over a sliding window; safe from any thread."""

    def __init__(
        self,
        allowed: int = FAILURES_ALLOWED,
        window: float = WINDOW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed = allowed
        self.window = window
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._times: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until ``address`` may try again; None when it may now."""
        with self._lock:
            times = self._times.get(address)
            if times is None:
                return None
            now = self._monotonic()
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.allowed:
                return None
            return max(math.ceil(times[0] + self.window - now), 1)

    def failed(self, address: str) -> None:
        with self._lock:
            times = self._times.setdefault(address, deque(maxlen=self.allowed))
            times.append(self._monotonic())
            self._times.move_to_end(address)
            while len(self._times) > TRACKED_ADDRESSES:
                self._times.popitem(last=False)


def basic_auth_guard(user: str, password_hash: str, failures: FailedLogins | None = None) -> Guard:
    """A guard answering 401 unless the request carries ``user`` and a matching password, and
    429 to an address that gave too many wrong ones lately."""
    expected_user = user.encode()
    failures = failures or FailedLogins()
    known: set[bytes] = set()  # digests of Authorization headers that passed

    def guard(environ: Environ) -> Response | None:
        header = environ.get("HTTP_AUTHORIZATION")
        given = _credentials(header)
        if given is None or header is None:
            return error(401, "the dashboard needs a user and password", [CHALLENGE])
        digest = hashlib.sha256(header.encode("utf-8", "surrogateescape")).digest()
        if digest in known:
            return None
        address = environ.get("REMOTE_ADDR") or "unknown"
        wait = failures.retry_after(address)
        if wait is not None:
            message = f"too many wrong passwords from {address}; try again in {wait} s"
            return error(429, message, [("Retry-After", str(wait))])
        name, password = given
        # Both checks run, so that timing does not tell a wrong user from a wrong password.
        user_ok = hmac.compare_digest(name.encode(), expected_user)
        password_ok = check_password_hash(password_hash, password)
        if user_ok and password_ok:
            if len(known) >= REMEMBERED:
                known.clear()
            known.add(digest)
            return None
        failures.failed(address)
        return error(401, "the dashboard needs a user and password", [CHALLENGE])

    return guard


def _credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, password = decoded.partition(":")
    return (name, password) if colon else None


def guard_from_environment(server: ServerConfig, environ: Mapping[str, str]) -> Guard | None:
    """The basic auth guard when both the user and the password hash are set, else None."""
    user = read_secret(server.dashboard_user_env, environ)
    password_hash = read_secret(server.dashboard_password_hash_env, environ)
    if not user or not password_hash:
        return None
    return basic_auth_guard(user, password_hash)
