"""`governance pull` end to end: a config file, a SQLite ledger, the stand-in, the real clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from governance.cli import main
from governance.config import starter_config_text
from tests.standins.provider_api import ProviderApi

KEY = "sk-admin-cli-7Hq2"
DAY = timedelta(days=1)


@pytest.fixture
def api() -> Iterator[ProviderApi]:
    with ProviderApi(KEY).running() as running:
        yield running


def cost_bucket(day: datetime, *amounts: float) -> dict[str, Any]:
    results = [
        {
            "object": "organization.costs.result",
            "amount": {"value": amount, "currency": "usd"},
            "line_item": f"gpt-4o-mini-2024-07-18, item {i}",
            "project_id": "proj_cli",
        }
        for i, amount in enumerate(amounts)
    ]
    start, end = int(day.timestamp()), int((day + DAY).timestamp())
    return {"object": "bucket", "start_time": start, "end_time": end, "results": results}


def write_config(tmp_path: Path, sources: list[tuple[str, str, str, str]], start: str) -> Path:
    text = starter_config_text().replace(
        'url = "sqlite:///governance.db"', f'url = "sqlite:///{tmp_path}/ledger.db"'
    )
    for name, fmt, url, env in sources:
        text += (
            f'\n[[sources]]\nname = "{name}"\nformat = "{fmt}"\nurl = "{url}"\n'
            f'api_key_env = "{env}"\noptions = {{ start = "{start}" }}\n'
        )
    path = tmp_path / "governance.toml"
    path.write_text(text)
    return path


def run(config: Path, *args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], env=env)


def test_pull_reports_each_source_and_fails_with_one_line_per_broken_one(
    tmp_path: Path, api: ProviderApi
) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    openai_url = api.serve(
        "/v1/organization/costs", [cost_bucket(today - DAY, 1.25, 0.5), cost_bucket(today, 2.0)]
    )
    anthropic_url = api.serve("/v1/organizations/cost_report", [])
    config = write_config(
        tmp_path,
        [
            ("openai", "openai-costs", openai_url, "OPENAI_ADMIN_KEY"),
            ("anthropic", "anthropic-cost", anthropic_url, "ANTHROPIC_ADMIN_KEY"),
        ],
        (today - 2 * DAY).date().isoformat(),
    )
    env = {"OPENAI_ADMIN_KEY": KEY, "ANTHROPIC_ADMIN_KEY": "sk-ant-admin-wrong"}
    assert run(config, "db", "upgrade", env=env).exit_code == 0

    result = run(config, "pull", "--json", env=env)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert (document["added"], document["cost"], document["currency"]) == (3, "3.75", "USD")
    assert [(f["source"], f["format"], f["added"]) for f in document["files"]] == [
        ("openai", "openai-costs", 3),
        ("anthropic", "anthropic-cost", 0),
    ]
    assert "401" in document["files"][1]["error"]
    assert result.stderr.strip().splitlines() == [
        f"Error: anthropic: GET {anthropic_url} answered 401: invalid x-api-key (not retried)"
    ]
    assert KEY not in result.output and "sk-ant-admin-wrong" not in result.output

    again = run(config, "pull", "--source", "openai", env=env)
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert lines[0].split() == [
        "source", "format", "read", "added", "duplicates", "quarantined", "unpriced", "cost"
    ]  # fmt: skip
    # From the open day less the one-day lookback: both buckets again, nothing new.
    assert lines[1].split()[:5] == ["openai", "openai-costs", "3", "0", "3"]


def test_pull_of_a_file_source_points_to_ingest(tmp_path: Path) -> None:
    config = tmp_path / "governance.toml"
    config.write_text(
        starter_config_text()
        + '\n[[sources]]\nname = "logs"\nformat = "litellm"\npath = "/var/log/x.jsonl"\n'
    )
    assert run(config, "db", "upgrade", env={}).exit_code == 0
    result = run(config, "pull", "--source", "logs", env={})
    assert result.exit_code == 1
    assert "use `governance ingest --source logs`" in result.stderr
