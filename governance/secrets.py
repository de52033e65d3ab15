"""Secrets come from the environment, never from the config file.

The config names an environment variable (``token_env = "SLACK_BOT_TOKEN"``); the secret is that
variable's value or, following the Docker/Kubernetes convention, the contents of the file named by
``SLACK_BOT_TOKEN_FILE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from governance.exceptions import ConfigError, Problem


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
