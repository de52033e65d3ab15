"""Optional HTTP basic auth in front of the dashboard, its callbacks and the read API.

The user and a password hash come from the environment (the variables ``[server]`` names, or
their ``_FILE``); the hash is werkzeug's (``scrypt:…`` or ``pbkdf2:…``), never a plain password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from werkzeug.security import check_password_hash

from governance.api.app import Guard
from governance.api.http import Environ, Response, error
from governance.config import ServerConfig
from governance.secrets import read_secret

CHALLENGE = ("WWW-Authenticate", 'Basic realm="spend-governance", charset="UTF-8"')


def basic_auth_guard(user: str, password_hash: str) -> Guard:
    """A guard answering 401 unless the request carries ``user`` and a matching password."""
    expected_user = user.encode()

    def guard(environ: Environ) -> Response | None:
        given = _credentials(environ.get("HTTP_AUTHORIZATION"))
        if given is not None:
            name, password = given
            # Both checks run, so that timing does not tell a wrong user from a wrong password.
            user_ok = hmac.compare_digest(name.encode(), expected_user)
            password_ok = check_password_hash(password_hash, password)
            if user_ok and password_ok:
                return None
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
