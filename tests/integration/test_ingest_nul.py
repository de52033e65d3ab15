"""NUL characters, which PostgreSQL's text cannot hold. A record with one in its text (valid
JSON: ``\\u0000``) is held in the quarantine, and a line of raw NUL bytes is held with them
shown as U+FFFD; the rest of the batch is written. Before, the batch failed on PostgreSQL, and
with it every later run of the source. On both ledgers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from governance.ingest import quarantine as quarantined
from governance.ingest.service import ingest, report_document
from tests.integration.conftest import AppFactory


def _row(request_id: str, **fields: Any) -> bytes:
    row = {"request_id": request_id, "spend": 0.001, "startTime": "2026-11-05T10:00:00",
           "model": "gpt-4o", "prompt_tokens": 10, "completion_tokens": 5, **fields}  # fmt: skip
    return json.dumps(row).encode() + b"\n"


def test_nul_characters_are_held_and_the_batch_written(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app()
    log = tmp_path / "nul.jsonl"
    log.write_bytes(
        _row("ok")
        + _row("in-team", metadata={"user_api_key_team_alias": "sea\x00rch"})
        + _row("in-model", model="gpt\x004o")
        + _row("in-tag", request_tags=["env:\x00prod"])
        + _row("in\x00id")
        + b"\x00\x00 raw bytes \x00\n"
    )
    document = report_document(ingest(app, [str(log)], "litellm"), "USD")
    assert (document["read"], document["added"], document["quarantined"]) == (6, 1, 5)
    held = {item["location"]: item for item in quarantined.list_held(app.engine)}
    for line in range(2, 6):
        assert held[f"{log}:{line}"]["reason"] == "a NUL character (U+0000) in its text"
    raw = quarantined.show(app.engine, held[f"{log}:6"]["id"])["raw"]
    assert raw == "\ufffd\ufffd raw bytes \ufffd"
    again = report_document(ingest(app, [str(log)], "litellm"), "USD")
    assert again["read"] == 0  # the cursor moved past them: read once
