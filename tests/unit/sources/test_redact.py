"""The one redaction (logs and quarantine): named secrets, credential shapes, URL passwords and
the values of secret-named keys, in text of any kind and in decoded records' keys and values."""

from __future__ import annotations

import json

from governance.domain.credentials import is_secret_name, looks_like_credential
from governance.sources.redact import Redactor, redact_record

SECRETS = Redactor({"plain-named-secret-1"})
BASE64 = "dXNlcjpwYXNzd29yZC1zZWNyZXQ="


def test_text_of_any_kind_loses_its_secrets() -> None:
    text = (
        "POST https://gw:hunter2@proxy.internal/v1 Authorization: Bearer " + BASE64 + "\n"
        "Cookie: session=abc123; theme=dark\n"
        "api-token=tok_9f8e7d6c5b4a key: k-0123456789 x=1 plain-named-secret-1 "
        "sk-proj-abcdefgh12345678 xoxb-1234-5678-abcdefgh AKIAABCDEFGHIJKLMNOP"
    )
    out = SECRETS.text(text)
    for secret in ("hunter2", BASE64, "abc123", "tok_9f8e7d6c5b4a", "k-0123456789",
                   "plain-named-secret-1", "sk-proj", "xoxb-", "AKIA"):  # fmt: skip
        assert secret not in out, (secret, out)
    assert "https://gw:***@proxy.internal/v1" in out and "x=1" in out


def test_an_environment_file_loses_every_value_that_says_secret() -> None:
    env = (
        "OPENAI_ADMIN_KEY=admin-0123456789\nSLACK_BOT_TOKEN='not-shaped-like-one'\n"
        'GOVERNANCE_DASHBOARD_PASSWORD_HASH="scrypt:1$salt$hash"\n'
        "GOVERNANCE_DATABASE_URL=postgresql://gov:ledger-pw@db/gov\nLOG_LEVEL=info\n"
    )
    out = SECRETS.text(env)
    for secret in ("admin-0123456789", "not-shaped-like-one", "scrypt:1", "ledger-pw"):
        assert secret not in out, out
    assert "LOG_LEVEL=info" in out


def test_json_text_stays_json_and_counts_stay() -> None:
    record = {"api_key": "hashed-key-value", "prompt_tokens": 10, "api_key_id": "key_01",
              "user_api_key_team_alias": "search", "token": None,
              "x-api-token": "abc-def-123"}  # fmt: skip
    out = json.loads(SECRETS.text(json.dumps(record)))
    assert out == record | {"api_key": "***", "x-api-token": "***"}


def test_records_lose_secrets_in_keys_and_values_and_keep_their_shape() -> None:
    record = {
        "request_id": "r1",
        "completion_tokens": "5",  # a CSV cell: text, and a count
        "metadata": {"headers": {"authorization": ["Basic " + BASE64], "cookie": "a=b"}},
        "sk-ant-api03-abcdefghijkl": 1,  # a key pasted as a dictionary key
        "url": "https://u:p4ss@host/x",
    }
    text = redact_record(record)
    out = json.loads(text)
    assert out["completion_tokens"] == "5" and out["request_id"] == "r1"
    assert out["metadata"] == {"headers": {"authorization": ["***"], "cookie": "***"}}
    assert "***" in out and out["url"] == "https://u:***@host/x"
    assert "sk-ant" not in text
    assert "password=***" in redact_record({"note": "db password=hunter2"})  # pairs in values


def test_names_and_shapes() -> None:
    secret = ["api_key", "x-api-key", "API-Token", "client_secret", "DB_PASSWORD", "Cookie",
              "authorization", "refresh_token", "private_key"]  # fmt: skip
    assert all(is_secret_name(name) for name in secret)
    counts = ["prompt_tokens", "max_tokens", "token_count", "api_key_id", "key_alias", "model"]
    assert not any(is_secret_name(name) for name in counts)
    assert looks_like_credential("sk-live-0123456789abcdef")
    assert not looks_like_credential("search-team") and not looks_like_credential("skill-x")
