"""The daemon's logs: one logfmt line per event, secrets removed before anything is written.

A line reads ``ts=2026-11-24T12:00:00.123Z level=info logger=governance.daemon.worker event="ingest
finished" job=ingest:gateway added=12``: the message is the ``event``; values passed with
``extra={...}`` follow it as ``key=value``. Values with spaces, quotes or ``=`` are quoted as
JSON strings, so a line splits unambiguously and a traceback (``exc=...``) stays on its line.
logfmt rather than JSON lines: as easy for Loki, Vector or ``grep`` to read, and readable by
people at a terminal.

``RedactSecrets`` sits on the handler, so it sees every record, ours and third parties'
(uvicorn, APScheduler, slack-sdk): the values of the secrets the config names, and
credential-shaped text (``sk-...``, ``xoxb-...``, ``Bearer ...``, a URL's password) never reach
the stream.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

from governance.config.secrets import named_secrets
from governance.sources.redact import Redactor

if TYPE_CHECKING:
    from governance.config import Config

# What every LogRecord has; anything else on a record came from ``extra`` and is written out.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
_BARE = re.compile(r"[^\s\"=\\]+")
# Chatty third-party loggers: their routine INFO lines say nothing an operator needs.
QUIET = ("alembic", "apscheduler", "urllib3", "slack_sdk", "uvicorn.error")


class RedactSecrets(logging.Filter):
    """Removes known secret values and credential-shaped text from a record: its message
    (with its arguments merged in), its extra fields, its exception and stack text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.update(secrets)

    def update(self, secrets: Iterable[str]) -> None:
        """Hide these values from now on (a config reload names new ones)."""
        self._redactor = Redactor(secrets)  # the quarantine's redaction, the same one

    def clean(self, text: str) -> str:
        return self._redactor.text(text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.clean(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.clean(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    elif isinstance(value, bool):
        text = str(value).lower()
    else:
        text = str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


class LogfmtFormatter(logging.Formatter):
    """``ts level logger event`` then the record's extra fields, then ``exc``: one line."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC)
        fields: dict[str, Any] = {
            "ts": ts,
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_") and key not in fields
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            fields["exc"] = record.exc_text
        if record.stack_info:
            fields["stack"] = record.stack_info
        return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def setup(
    config: Config | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    level: int = logging.INFO,
    stream: IO[str] | None = None,
) -> RedactSecrets:
    """Send every log record to ``stream`` (stderr) as logfmt, redacted; the filter is
    returned so that a config reload can ``update`` the secrets it hides."""
    secrets = named_secrets(config, environ or {}) if config is not None else set()
    redactor = RedactSecrets(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return redactor
