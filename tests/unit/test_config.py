"""The typed config: the DESIGN example and the starter load, defaults fill in, values are
normalised; the database URL, the config path and the config hash."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from governance.config import (
    Config,
    find_config_path,
    load_config,
    parse_config,
    starter_config_text,
)
from governance.domain.categorise import Match, Rule
from governance.exceptions import Problem
from tests.unit.config_texts import (
    DESIGN_EXAMPLE,
    ECONOMY_SUBSTITUTES,
    MINIMAL,
    only_problem,
)

# --- valid configs -------------------------------------------------------------------------


def test_design_example_loads_with_every_section() -> None:
    assert only_problem(DESIGN_EXAMPLE) == Problem(
        "categories.batch.downgrade[1]",
        "no substitute takes gpt-4o-mini, claude-3-5-haiku-latest (standard) down to economy:"
        " add them to [substitutes], or routers cannot follow this step",
    )
    config = parse_config(DESIGN_EXAMPLE.replace(*ECONOMY_SUBSTITUTES))

    assert config.budget.amount == Decimal("50000.00")
    assert config.budget.currency == "USD"
    assert config.budget.thresholds == [70, 90, 100]
    assert list(config.categories) == ["critical", "standard", "batch"]
    step = config.categories["batch"].downgrade[0]
    assert (step.at, step.basis, step.from_, step.to) == (90, "forecast", "premium", "standard")
    assert config.categories["batch"].downgrade[1].basis == "actual"
    assert config.tier_map().tier_names == ("premium", "standard", "economy")
    assert config.substitutes["gpt-4o"] == "gpt-4o-mini"
    assert config.prices["llama-3.1-70b"].input == Decimal("0.05")
    assert config.prices["llama-3.1-70b"].cache_read is None
    assert config.fx == {"EUR": Decimal("1.08")}
    assert [s.every for s in config.sources] == [timedelta(minutes=5), timedelta(hours=1)]
    assert config.sources[1].api_key_env == "OPENAI_ADMIN_KEY"
    assert config.alerts.slack is not None
    assert config.alerts.slack.channels == {"batch": "#data-eng"}
    assert config.server.port == 8050
    assert config.category_rules() == [
        Rule("critical", Match(tag=("category:critical",))),
        Rule("batch", Match(team=("data-eng", "ml-platform"))),
        Rule("standard", Match()),
    ]


def test_starter_config_validates_without_environment() -> None:
    config = parse_config(starter_config_text())

    assert config.allocations() == {
        "critical": Decimal("20000.00"),
        "standard": Decimal("17500.00"),
        "batch": Decimal("12500.00"),
    }
    assert config.sources == []
    assert config.alerts.slack is None
    assert config.fx == {"EUR": Decimal("1.08")}


def test_defaults_fill_the_optional_sections() -> None:
    config = parse_config(MINIMAL)

    assert config.database.url == "sqlite:///governance.db"
    assert config.budget.currency == "USD"
    assert config.budget.timezone == "UTC"
    assert config.budget.thresholds == [70, 90, 100]
    assert config.tier_map().tier_names == ("premium", "standard", "economy")
    assert config.server.host == "127.0.0.1"
    assert config.server.router_tokens_env == "GOVERNANCE_ROUTER_TOKENS"


def test_values_are_normalised() -> None:
    config = parse_config(
        MINIMAL.replace('amount = "1000"', 'amount = 1000\ncurrency = "eur"')
        + '\n[fx]\nusd = "0.92"\n'
        + '[[sources]]\nname = "s"\nformat = "focus"\npath = "x"\nevery = "1h30m"\n'
        + "options = { header = true, skip = 2 }\n"
    )

    assert config.budget.amount == Decimal(1000)
    assert config.budget.currency == "EUR"
    assert config.fx == {"USD": Decimal("0.92")}
    assert config.sources[0].every == timedelta(hours=1, minutes=30)
    assert config.sources[0].options == {"header": True, "skip": 2}


@pytest.mark.parametrize(("written", "share"), [("12", "12"), ('"12.5"', "12.5"), ("12.5", "12.5")])
def test_share_accepts_int_decimal_string_and_float(written: str, share: str) -> None:
    config = parse_config(MINIMAL.replace("share = 25", f"share = {written}"))

    assert config.categories["batch"].share == Decimal(share)


# --- database, paths, hash --------------------------------------------------------------------


def test_relative_sqlite_path_resolves_next_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "governance.toml"
    path.write_text(MINIMAL)
    monkeypatch.chdir(tmp_path)  # the config is found relative to the cwd

    config = load_config(Path("conf/governance.toml"))

    assert config.database.url == f"sqlite:///{tmp_path}/conf/governance.db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/ledger.db?timeout=5", "sqlite:///BASE/data/ledger.db?timeout=5"),
        ("sqlite+pysqlite:///./x.db", "sqlite+pysqlite:///BASE/x.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite://", "sqlite://"),
        ("sqlite:////var/lib/governance.db", "sqlite:////var/lib/governance.db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_sqlite_url_resolution(tmp_path: Path, url: str, expected: str) -> None:
    text = f'[database]\nurl = "{url}"\n' + MINIMAL

    config = parse_config(text, base_dir=tmp_path)

    assert config.database.url == expected.replace("BASE", str(tmp_path))
    assert parse_config(text).database.url == url  # no base_dir: left as written


def test_database_url_environment_override() -> None:
    config = parse_config(MINIMAL)
    url = "postgresql+psycopg://gov@db/governance"

    assert config.database_url({"GOVERNANCE_DATABASE_URL": url}) == url
    assert config.database_url({"GOVERNANCE_DATABASE_URL": ""}) == "sqlite:///governance.db"
    assert config.database_url({}) == "sqlite:///governance.db"


def test_find_config_path_order(tmp_path: Path) -> None:
    environ = {"GOVERNANCE_CONFIG": "env.toml"}

    assert find_config_path("cli.toml", environ, tmp_path) == tmp_path / "cli.toml"
    assert find_config_path("/etc/g.toml", environ, tmp_path) == Path("/etc/g.toml")
    assert find_config_path(None, environ, tmp_path) == tmp_path / "env.toml"
    assert find_config_path(None, {}, tmp_path) == tmp_path / "governance.toml"


def test_config_hash_is_stable_across_key_order_and_changes_with_content() -> None:
    reordered = """
[[rules]]
match = { tag = "category:critical" }
category = "critical"
[[rules]]
category = "batch"

[categories.batch]
downgrade = [{ to = "standard", from = "premium", at = 90 }]
share = 25
[categories.critical]
share = 40

[budget]
amount = "1000"
"""
    original = parse_config(MINIMAL).config_hash()

    assert len(original) == 64
    assert parse_config(reordered).config_hash() == original
    assert parse_config(MINIMAL.replace("share = 40", "share = 41")).config_hash() != original


def test_config_is_immutable() -> None:
    config = parse_config(MINIMAL)

    with pytest.raises(ValueError, match="frozen"):
        config.budget.amount = Decimal(1)  # type: ignore[misc]
    assert isinstance(config, Config)
