"""Secrets come from the environment, never from the config file.

The config names an environment variable (``token_env = "SLACK_BOT_TOKEN"``); the secret is that
variable's value or, following the Docker/Kubernetes convention, the contents of the file named by
``SLACK_BOT_TOKEN_FILE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from governance.exceptions import ConfigError, Problem

if TYPE_CHECKING:
    from governance.config import Config


def read_secret(name: str, environ: Mapping[str, str]) -> str | None:
    """The secret ``name``: ``$NAME`` if set and non-empty, else the contents of ``$NAME_FILE``.

    The file's contents are returned without trailing whitespace (editors and ``echo`` add a
    newline that is never part of a token). Returns None when neither is set, or the file is empty.
    Raises ConfigError when ``$NAME_FILE`` names a file that cannot be read; the problem names the
    variable and the file, never the secret.
    """
    value = environ.get(name)
    if value:
        return value
    file_variable = f"{name}_FILE"
    file_name = environ.get(file_variable)
    if not file_name:
        return None
    try:
        contents = Path(file_name).read_text(encoding="utf-8").rstrip()
    except OSError as exc:
        problem = Problem(file_variable, f"cannot read {file_name!r}: {exc.strerror or exc}")
        raise ConfigError("environment", [problem]) from exc
    except UnicodeError:
        # Not chained: the decode error carries the file's bytes, that is, the secret.
        problem = Problem(file_variable, f"cannot read {file_name!r}: not UTF-8 text")
        raise ConfigError("environment", [problem]) from None
    return contents or None


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return ``text`` with every occurrence of each non-empty secret replaced by ``***``."""
    # Longest first, so that a secret containing another one is hidden whole.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def named_secrets(config: Config, environ: Mapping[str, str]) -> set[str]:
    """Every secret value the config names: the Slack token or webhook URL, each source's API
    key, the router tokens, the dashboard's password hash and the database passwords, for the
    log filter to hide. A ``_FILE`` that cannot be read is left to the part that reads it."""
    slack = config.alerts.slack
    server = config.server
    names = [
        *((slack.token_env, slack.webhook_url_env) if slack is not None else ()),
        *(source.api_key_env for source in config.sources),
        server.router_tokens_env,
        server.dashboard_password_hash_env,
    ]
    found: set[str] = set()
    for name in names:
        if not name:
            continue
        try:
            value = read_secret(name, environ)
        except ConfigError:
            continue
        if value:
            found.add(value)
            if name == server.router_tokens_env:  # comma-separated: each token alone too
                found.update(token.strip() for token in value.split(",") if token.strip())
    urls = [config.database_url(environ), *(s.url for s in config.sources if s.url)]
    for url in urls:
        found.update(url_passwords(url))
    return found


def url_passwords(url: str) -> set[str]:
    """The password in ``scheme://user:password@host/...`` as written and percent-decoded."""
    try:
        password = urlsplit(url).password
    except ValueError:  # not a URL that can hold one
        return set()
    return {password, unquote(password)} if password else set()
