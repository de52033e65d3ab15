"""The `governance` command on real ledgers: init, db upgrade, status and spend."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.engine import Engine

from governance.bootstrap import bootstrap
from governance.cli import main
from governance.ledger.spend_view import DIMENSIONS
from governance.ledger.tables import ingest_runs, ledger
from tests.factories import insert_rows, ledger_row

OCT_10 = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)  # a past month: spend up to now is all of it


def oct_(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERNANCE_CONFIG", raising=False)
    monkeypatch.delenv("GOVERNANCE_DATABASE_URL", raising=False)
    yield tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_at(now: datetime, *args: str) -> Result:
    """The command with its clock fixed at ``now`` (the config and ledger of the workdir)."""
    app = bootstrap(environ=os.environ, clock=lambda: now)
    try:
        return CliRunner().invoke(main, list(args), obj={"app": app}, catch_exceptions=False)
    finally:
        app.close()


def test_quick_start_init_then_status_from_a_real_process(workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    init = subprocess.run(
        [sys.executable, "-m", "governance", "init"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    assert (workdir / "governance.toml").is_file()
    assert (workdir / "governance.db").is_file()
    status = subprocess.run(
        [sys.executable, "-m", "governance", "status", "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert [
        (c["name"], c["share"], c["allocation"], c["spend"], c["percent"])
        for c in document["categories"]
    ] == [
        ("critical", 40, "20000.00", "0.00", 0),
        ("standard", 35, "17500.00", "0.00", 0),
        ("batch", 25, "12500.00", "0.00", 0),
    ]
    assert document["currency"] == "USD"
    assert document["budget"] == "50000.00"


def test_init_keeps_an_existing_config(workdir: Path) -> None:
    (workdir / "governance.toml").write_text(
        '[budget]\namount = "100"\n[categories.all]\nshare = 100\n', encoding="utf-8"
    )
    result = run("init")
    assert result.exit_code == 0
    assert "kept it" in result.output
    assert "share = 100" in (workdir / "governance.toml").read_text(encoding="utf-8")


@pytest.fixture
def ledger_cli(workdir: Path, ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A starter config in workdir, pointed at the migrated ledger of this parametrisation."""
    assert run("init").exit_code == 0
    monkeypatch.setenv(
        "GOVERNANCE_DATABASE_URL", ledger_engine.url.render_as_string(hide_password=False)
    )
    return ledger_engine


def test_status_sums_each_category_of_the_period(ledger_cli: Engine) -> None:
    insert_rows(
        ledger_cli,
        [
            ledger_row(category="batch", cost=Decimal("11250.000000001")),
            ledger_row(category="batch", cost=Decimal("0.000000001")),
            ledger_row(category="critical", cost=Decimal("2.5")),
            ledger_row(
                category="critical",
                cost=Decimal("99"),
                occurred_at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
            ),
            ledger_row(category="uncategorised", cost=Decimal("1")),
        ],
    )
    result = run("status", "--period", "2026-11", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["period"] == {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    by_name = {c["name"]: c for c in document["categories"]}
    assert by_name["batch"]["spend"] == "11250.000000002"
    assert by_name["batch"]["percent"] == 90
    assert by_name["critical"]["spend"] == "2.50"
    assert by_name["standard"]["spend"] == "0.00"
    assert by_name["uncategorised"] | {} == by_name["uncategorised"]
    assert (by_name["uncategorised"]["allocation"], by_name["uncategorised"]["percent"]) == (
        "0.00",
        None,
    )
    people = run("status", "--period", "2026-11")
    assert people.exit_code == 0
    assert "$11,250.00" in people.output and "90" in people.output


def test_status_shows_the_levels_each_category_crossed(ledger_cli: Engine) -> None:
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    insert_rows(ledger_cli, [ledger_row(category="batch", cost=Decimal(9000), occurred_at=oct_(2))])
    assert run_at(now, "evaluate", "--at", "2026-10-03T00:00:00Z").exit_code == 0  # 72%
    insert_rows(ledger_cli, [ledger_row(category="batch", cost=Decimal(2500), occurred_at=oct_(5))])
    assert run_at(now, "evaluate", "--at", "2026-10-06T00:00:00Z").exit_code == 0  # 92%
    document = json.loads(run_at(now, "status", "--period", "2026-10", "--json").output)
    (batch,) = [c for c in document["categories"] if c["name"] == "batch"]
    actual = [(c["level"], c["at"]) for c in batch["crossed"] if c["basis"] == "actual"]
    assert actual == [(70, "2026-10-03T00:00:00Z"), (90, "2026-10-06T00:00:00Z")]
    lines = run_at(now, "status", "--period", "2026-10").output.splitlines()
    assert "crossed" in lines[1].split()
    (row,) = [line for line in lines if line.startswith("batch ")]
    assert "70% actual 3 Oct" in row and "90% actual 6 Oct" in row, row
    expected = ", ".join(
        f"{c['level']}% {c['basis']} {int(c['at'][8:10])} Oct"
        for c in sorted(batch["crossed"], key=lambda c: (c["level"], c["basis"]))
    )
    assert expected in row, (expected, row)
    (critical,) = [line for line in lines if line.startswith("critical ")]
    assert "actual" not in critical and "forecast" not in critical


def test_spend_by_model_and_by_day(ledger_cli: Engine) -> None:
    insert_rows(
        ledger_cli,
        [
            ledger_row(
                model="gpt-4o",
                cost=Decimal("3"),
                input_tokens=10,
                output_tokens=1,
                occurred_at=OCT_10,
            ),
            ledger_row(
                model="gpt-4o",
                cost=Decimal("4"),
                input_tokens=20,
                output_tokens=2,
                occurred_at=OCT_10,
            ),
            ledger_row(
                model="claude-3-5-haiku",
                cost=Decimal("5"),
                occurred_at=datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC),
            ),
        ],
    )
    document = json.loads(run("spend", "--by", "model", "--period", "2026-10", "--json").output)
    assert document["total"] == "12.00"
    assert document["by"] == "model"
    assert document["rows"] == [
        {"key": "gpt-4o", "cost": "7.00", "requests": 2, "input_tokens": 30, "output_tokens": 3},
        {
            "key": "claude-3-5-haiku",
            "cost": "5.00",
            "requests": 1,
            "input_tokens": 100,
            "output_tokens": 50,
        },
    ]
    days = json.loads(run("spend", "--by", "day", "--period", "2026-10", "--json").output)
    assert [(r["key"], r["cost"]) for r in days["rows"]] == [
        ("2026-10-10", "7.00"),
        ("2026-10-31", "5.00"),
    ]
    assert "claude-3-5-haiku" in run("spend", "--by", "model", "--period", "2026-10").output


TOKEN_ROWS = [
    # openai on 10 Oct: two gateway rows and a bill (which replaces their cost, not tokens)
    ledger_row(category="batch", model="gpt-4o", tier="premium", team="data-eng",
               cost=Decimal("3"), input_tokens=10, output_tokens=1, occurred_at=oct_(10)),
    ledger_row(category="standard", team="search", cost=Decimal("1"), input_tokens=20,
               output_tokens=2, occurred_at=oct_(10, 13)),
    ledger_row(layer="billing", source="openai-costs", category="standard", cost=Decimal("7"),
               input_tokens=999, output_tokens=999, occurred_at=oct_(10, 0)),
    ledger_row(provider="anthropic", category="critical", model="claude-3-5-haiku",
               cost=Decimal("5"), input_tokens=300, output_tokens=30, occurred_at=oct_(11)),
    # a bill with no gateway traffic that day stands with its own tokens
    ledger_row(layer="billing", source="anthropic-usage", provider="anthropic",
               model="claude-3-5-haiku", cost=Decimal("2"), input_tokens=4000,
               output_tokens=400, occurred_at=oct_(12, 0)),
]  # fmt: skip


@pytest.mark.parametrize("by", DIMENSIONS)
def test_spend_reports_the_token_counts_for_every_by(ledger_cli: Engine, by: str) -> None:
    insert_rows(ledger_cli, TOKEN_ROWS)
    now = oct_(20)
    document = json.loads(run_at(now, "spend", "--by", by, "--json").output)
    rows = {r["key"]: (r["input_tokens"], r["output_tokens"]) for r in document["rows"]}
    assert sum(i for i, _ in rows.values()) == 10 + 20 + 300 + 4000
    assert sum(o for _, o in rows.values()) == 1 + 2 + 30 + 400
    expected = {
        "category": {"batch": (10, 1), "standard": (4020, 402), "critical": (300, 30)},
        "day": {"2026-10-10": (30, 3), "2026-10-11": (300, 30), "2026-10-12": (4000, 400)},
        "provider": {"openai": (30, 3), "anthropic": (4300, 430)},
    }
    if by in expected:
        assert rows == expected[by]
    lines = run_at(now, "spend", "--by", by).output.splitlines()
    for key, (tokens_in, tokens_out) in rows.items():
        line = next(line for line in lines if line.startswith(f"{key or '(none)'} "))
        assert line.split()[-2:] == [f"{tokens_in:,}", f"{tokens_out:,}"], line


def test_spend_by_category_and_day_count_the_tokens_of_the_hour_under_way(
    ledger_cli: Engine,
) -> None:
    """Mid-hour, the hour's rows before the moment come from the ledger, not the rollup."""
    insert_rows(
        ledger_cli,
        [
            ledger_row(category="batch", input_tokens=7, output_tokens=3,
                       occurred_at=oct_(20, 12, 10)),
            ledger_row(category="batch", input_tokens=1000, output_tokens=1000,
                       occurred_at=oct_(20, 12, 45)),
        ],
    )  # fmt: skip
    for by, key in (("category", "batch"), ("day", "2026-10-20")):
        document = json.loads(run_at(oct_(20, 12, 30), "spend", "--by", by, "--json").output)
        assert [(r["key"], r["input_tokens"], r["output_tokens"]) for r in document["rows"]] == [
            (key, 7, 3)
        ]


def governance_process(
    workdir: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m governance ARGS`` in ``workdir``, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "governance", *args],
        cwd=workdir,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize("command", ["serve", "run"])
def test_a_port_in_use_is_one_line_and_exit_1(workdir: Path, command: str) -> None:
    assert run("init").exit_code == 0
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = governance_process(workdir, command, "--port", str(port))
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1:] == [
        f"Error: 127.0.0.1:{port} is in use; set [server] port or --port"
    ], done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_user_errors_are_one_line_and_exit_1(workdir: Path) -> None:
    missing = CliRunner().invoke(main, ["status"])
    assert missing.exit_code == 1
    assert "governance init" in missing.output
    assert missing.output.strip().count("\n") == 0, missing.output
    assert "Traceback" not in missing.output


# A command line that is wrong in itself, seen before any config or data is read: exit 2.
USAGE_ERRORS = [
    (["spend", "--by", "bogus"], "Invalid value for '--by': 'bogus' is not one of 'tier',"),
    (["spend"], "Missing option '--by'. Choose from: tier, category, model, team,"),
    (["status", "--bogus"], "No such option '--bogus'"),
    (["--bogus", "status"], "No such option '--bogus'"),
    (["bogus"], "No such command 'bogus'"),
    (["ingest"], "name the files to ingest, or a configured --source"),
    # values of the wrong form
    (["status", "--period", "2026-13"], "Invalid value for '--period': not a period, expected"),
    (["evaluate", "--at", "yesterday"], "Invalid value for '--at': not a time: 'yesterday'"),
    (["serve", "--port", "http"], "Invalid value for '--port': 'http' is not a valid integer"),
]
# Well formed, but it cannot be done with this config and these data: exit 1.
USER_ERRORS = [
    (["ingest", "--source", "nope"], "no source named 'nope' in the config"),
    (["directive", "revoke", "nope", "--reason", "test"], "no directive 'nope' in force"),
    (["quarantine", "show", "999"], "no quarantined record 999"),
]


def test_usage_errors_exit_2_and_user_errors_exit_1_in_one_line(workdir: Path) -> None:
    assert run("init").exit_code == 0
    for args, message, code in [
        *((args, message, 2) for args, message in USAGE_ERRORS),
        *((args, message, 1) for args, message in USER_ERRORS),
    ]:
        done = governance_process(workdir, *args)
        said = (done.stdout + done.stderr).strip()
        assert (done.returncode, said.count("\n")) == (code, 0), (args, said)
        assert said.startswith("Error: ") and message in said, (args, said)


def test_ingest_of_a_missing_path_is_an_error_and_records_no_run(
    ledger_cli: Engine, workdir: Path
) -> None:
    present = workdir / "present.jsonl"
    present.write_text(
        '{"request_id": "r-1", "spend": "0.5", "model": "gpt-4o-mini", '
        '"startTime": "2026-10-05T10:00:00"}\n',
        encoding="utf-8",
    )
    missing = workdir / "logs" / "missing.jsonl"
    for args in (
        [str(missing)],
        [str(present), str(missing)],
        [str(missing), "--format", "litellm"],
    ):
        result = CliRunner().invoke(main, ["ingest", *args])
        assert result.exit_code == 1, result.output
        assert result.output.strip().count("\n") == 0, result.output
        assert result.output.startswith("Error: ") and str(missing) in result.output
        assert "Traceback" not in result.output
    with ledger_cli.connect() as conn:
        assert conn.execute(select(ingest_runs)).all() == []  # not a run of source "unknown"
        assert conn.execute(select(ledger)).all() == []  # nothing read when a path is missing
    assert run("ingest", str(present)).exit_code == 0


def test_status_before_the_schema_exists_says_to_upgrade(workdir: Path) -> None:
    assert run("init").exit_code == 0
    (workdir / "governance.db").unlink()
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1
    assert "governance db upgrade" in result.output
    assert run("db", "upgrade").exit_code == 0
    assert run("status").exit_code == 0


def test_a_broken_config_lists_every_problem(workdir: Path) -> None:
    (workdir / "governance.toml").write_text(
        """
[budget]
amount = "50k"
[categories.a]
share = 70
downgrade = [{ at = 100, from = "platinum", to = "standard" }]
[categories.b]
share = 40
[[rules]]
category = "nope"
[[sources]]
name = "x"
format = "carrier-pigeon"
path = "/tmp/x"
[[sources]]
name = "y"
format = "litellm"
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1
    for fragment in (
        "budget.amount",
        "categories.a.downgrade[0].from",
        "rules[0].category",
        "sources[0].format",
        "sources[1]",
        "over 100",
    ):
        assert fragment in result.output, (fragment, result.output)
    assert "Traceback" not in result.output
