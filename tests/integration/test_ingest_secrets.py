"""No secret is stored (issue 14, row 5): whatever holds it (a line that is not JSON, not UTF-8,
a JSON record, a CSV row, the daemon's environment file met by a source's glob), the quarantine
and the ledger keep none of the secrets the config names nor any credential-shaped text; a team
or tag shaped like a credential reaches the ledger as its hash. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from governance.config import parse_config, starter_config_text
from governance.context import Governance
from governance.domain.usage import hash_api_key
from governance.ingest.service import ingest, report_document
from governance.ledger.tables import ledger, quarantine
from tests.integration.conftest import NOW

ENVIRON = {
    "OPENAI_ADMIN_KEY": "admin-0123456789-plain",  # named by the config; not shaped like a key
    "SLACK_BOT_TOKEN": "slack-bot-plain-4242",
}
CONFIG = """
[[sources]]
name = "openai-billing"
format = "openai-costs"
url = "https://api.openai.com/v1/organization/costs"
api_key_env = "OPENAI_ADMIN_KEY"
[alerts.slack]
token_env = "SLACK_BOT_TOKEN"
[[sources]]
name = "gw"
format = "litellm"
path = "{logs}/*"
"""
BASE64 = "dXNlcjpwYXNzd29yZC0xMjM0NTY3OA=="
SECRETS = [*ENVIRON.values(), BASE64, "hunter2-pw", "plain-api-key-value", "tok-9f8e7d6c",
           "sk-proj-abcdefghijklmnop", "cookie-value-77", "db-pass-31"]  # fmt: skip


def _line(request_id: str, **fields: object) -> str:
    row = {"request_id": request_id, "spend": "0.001", "startTime": "2026-11-05T10:00:00",
           "model": "gpt-4o", "prompt_tokens": 10, "completion_tokens": 5, **fields}  # fmt: skip
    return json.dumps(row) + "\n"


def test_no_secret_reaches_the_quarantine_or_the_ledger(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "spend.jsonl").write_bytes(
        (
            _line("good", metadata={"user_api_key_team_alias": "sk-proj-abcdefghijklmnop"},
                  request_tags=["key:sk-proj-abcdefghijklmnop", "env:prod"])
            + f"not json: Authorization: Bearer {BASE64} with {ENVIRON['OPENAI_ADMIN_KEY']}\n"
            + _line("no-time", startTime=None, key="plain-api-key-value",
                    **{"api-token": "tok-9f8e7d6c", "sk-proj-abcdefghijklmnop": 1,
                       "proxy": "https://gw:hunter2-pw@proxy.internal/",
                       "headers": {"Cookie": "cookie-value-77"}})
            + '{"request_id": "cut", "api_key": "plain-api-key-value", "spend": \n'
        ).encode()
        + b"\xff\xfe not utf-8 password=db-pass-31 " + ENVIRON["SLACK_BOT_TOKEN"].encode() + b"\n"
    )  # fmt: skip
    env_file = tmp_path / "governance.env"  # the daemon's EnvironmentFile
    env_file.write_text("".join(f"{name}={value}\n" for name, value in ENVIRON.items()))
    (logs / "env").symlink_to(env_file)
    config = parse_config(
        starter_config_text() + CONFIG.format(logs=logs), "governance.toml", tmp_path
    )
    app = Governance(config, tmp_path / "governance.toml", ENVIRON, lambda: NOW, ledger_engine)
    document = report_document(ingest(app, [], source_name="gw"), "USD")
    assert document["added"] == 1 and document["quarantined"] >= 5
    with ledger_engine.connect() as conn:
        held = conn.execute(select(quarantine.c.raw, quarantine.c.reason)).all()
        rows = conn.execute(select(ledger.c.team, ledger.c.tags)).all()
    stored = json.dumps([list(item) for item in held] + [list(row) for row in rows])
    leaked = [secret for secret in SECRETS if secret in stored]
    assert leaked == [], stored
    assert rows[0].team == hash_api_key("sk-proj-abcdefghijklmnop")
    assert sorted(rows[0].tags) == sorted(
        ["env:prod", hash_api_key("key:sk-proj-abcdefghijklmnop")]
    )
