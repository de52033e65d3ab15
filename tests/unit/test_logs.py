"""The daemon's logs: one logfmt line per event, and no secret ever written."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from governance.config import parse_config, starter_config_text
from governance.config.secrets import named_secrets
from governance.daemon import logs

SECRETS_TOML = """
[[sources]]
name = "openai-billing"
format = "openai-costs"
url = "https://api.openai.com/v1/organization/costs"
api_key_env = "OPENAI_ADMIN_KEY"
[[sources]]
name = "gateway"
format = "litellm-db"
url = "postgresql://reader:db-pa%24%24word@litellm-db:5432/litellm"

[alerts.slack]
token_env = "SLACK_BOT_TOKEN"
"""
ENVIRON = {
    "OPENAI_ADMIN_KEY": "admin-key-0123456789",
    "SLACK_BOT_TOKEN": "slack-bot-secret-42",
    "GOVERNANCE_ROUTER_TOKENS": "router-one-77,router-two-88",
    "GOVERNANCE_DASHBOARD_PASSWORD_HASH": "scrypt:32768:8:1$salt$hashhashhash",
    "GOVERNANCE_DATABASE_URL": "postgresql://governance:ledger-pw-99@db:5432/governance",
}


@pytest.fixture
def captured(tmp_path: Path) -> Iterator[tuple[io.StringIO, logs.RedactSecrets]]:
    """``logs.setup`` writing to a buffer, the root logger restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    config = parse_config(starter_config_text() + SECRETS_TOML, "t.toml", tmp_path)
    stream = io.StringIO()
    redactor = logs.setup(config, ENVIRON, stream=stream)
    try:
        yield stream, redactor
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def test_named_secrets_are_every_secret_the_config_names(tmp_path: Path) -> None:
    config = parse_config(starter_config_text() + SECRETS_TOML, "t.toml", tmp_path)
    found = named_secrets(config, ENVIRON)
    assert found >= {
        "admin-key-0123456789",
        "slack-bot-secret-42",
        "router-one-77,router-two-88",
        "router-one-77",
        "router-two-88",
        "scrypt:32768:8:1$salt$hashhashhash",
        "ledger-pw-99",
        "db-pa%24%24word",
        "db-pa$$word",
    }


def test_a_line_per_event_with_fields_and_the_traceback_on_it(
    captured: tuple[io.StringIO, logs.RedactSecrets],
) -> None:
    stream, _ = captured
    log = logging.getLogger("governance.test")
    log.info("stopped")
    log.warning("job %s failed", "ingest:gw", extra={"job": "ingest:gw", "added": 3, "ok": True})
    try:
        raise ValueError('bad "value"\nsecond line')
    except ValueError:
        log.exception("crashed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("ts=") and lines[0].endswith(
        "level=info logger=governance.test event=stopped"
    )
    assert lines[1].endswith('event="job ingest:gw failed" job=ingest:gw added=3 ok=true')
    assert 'event=crashed exc="Traceback (most recent call last):\\n' in lines[2]
    assert 'ValueError: bad \\"value\\"\\nsecond line"' in lines[2]


def test_no_secret_reaches_the_stream(captured: tuple[io.StringIO, logs.RedactSecrets]) -> None:
    stream, _ = captured
    log = logging.getLogger("some.library")
    for secret in ENVIRON.values():
        log.info("posting with %s", secret)
        log.info("in the message: " + secret)
        log.info("as a field", extra={"detail": f"key={secret}"})
    log.warning("headers: Authorization: Bearer abcdefgh12345678")
    log.warning("token xoxb-1111-2222-abcdefABCDEF and key sk-proj-abcdefghijklmnop")
    log.warning("webhook https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX")
    log.warning("connecting to %s", "postgresql://someone:other-pw@host/db")
    log.warning("db-pa$$word and db-pa%24%24word")
    try:
        raise RuntimeError("refused: " + ENVIRON["OPENAI_ADMIN_KEY"])
    except RuntimeError:
        log.exception("pull failed")
    written = stream.getvalue()
    leaked = [
        secret
        for secret in [
            *ENVIRON.values(),
            "router-one-77",
            "abcdefgh12345678",
            "xoxb-1111",
            "sk-proj-abcdefghijklmnop",
            "XXXXXXXXXXXXXXXX",
            "other-pw",
            "db-pa",
        ]
        if secret in written
    ]
    assert leaked == []
    assert written.count("***") >= 15
    assert "postgresql://someone:***@host/db" in written


def test_a_reload_names_new_secrets(captured: tuple[io.StringIO, logs.RedactSecrets]) -> None:
    stream, redactor = captured
    log = logging.getLogger("governance.test")
    log.info("rotated-secret-1")
    redactor.update({"rotated-secret-1", "ab"})  # too short to hide: it would hide words
    log.info("rotated-secret-1 ab")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("event=rotated-secret-1")
    assert second.endswith('event="*** ab"')
