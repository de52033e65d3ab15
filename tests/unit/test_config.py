"""The typed config: the DESIGN example loads; every problem is reported at its key path."""

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
from governance.exceptions import ConfigError, Problem
from governance.secrets import read_secret, redact

# DESIGN section 5, verbatim.
DESIGN_EXAMPLE = """
[database]
url = "sqlite:///governance.db"     # $GOVERNANCE_DATABASE_URL overrides

[budget]
currency = "USD"
amount = "50000.00"                 # per period, a decimal string
timezone = "UTC"
thresholds = [70, 90, 100]

[categories.critical]
share = 40                          # percent of budget.amount; shares sum to at most 100
downgrade = []                      # never auto-downgraded
[categories.standard]
share = 35
downgrade = [{ at = 100, from = "premium", to = "standard" }]
[categories.batch]
share = 25
downgrade = [
  { at = 90, basis = "forecast", from = "premium", to = "standard" },
  { at = 100, from = "standard", to = "economy" },
]

[tiers]                             # glob patterns on the model id (provider prefix removed)
premium = ["o1*", "o3*", "gpt-4o", "gpt-4o-2*", "claude-*sonnet*", "claude-*opus*", "gemini-*pro*"]
standard = ["gpt-4o-mini*", "claude-*haiku*", "gemini-*flash*"]
economy = ["llama*", "mistral*", "mixtral*", "phi-*", "qwen*"]

[substitutes]                       # what a router should use instead, per model
"gpt-4o" = "gpt-4o-mini"
"claude-3-5-sonnet*" = "claude-3-5-haiku-latest"

[[rules]]                           # first match wins; the last rule is the default
category = "critical"
match = { tag = "category:critical" }
[[rules]]
category = "batch"
match = { team = ["data-eng", "ml-platform"] }
[[rules]]
category = "standard"
match = {}

[prices."llama-3.1-70b"]            # per million tokens, for models genai-prices lacks
input = "0.05"
output = "0.05"

[fx]                                # units of budget currency per unit
EUR = "1.08"

[[sources]]
name = "litellm-logs"
format = "litellm"
path = "/var/log/litellm/*.jsonl"   # glob; appended files are read from where the last run stopped
every = "5m"
[[sources]]
name = "openai-billing"
format = "openai-costs"
url = "https://api.openai.com/v1/organization/costs"
api_key_env = "OPENAI_ADMIN_KEY"
every = "1h"

[alerts.slack]
token_env = "SLACK_BOT_TOKEN"       # or webhook_url_env = "SLACK_WEBHOOK_URL"
channel = "#llm-spend"
channels = { batch = "#data-eng" }
dashboard_url = "http://127.0.0.1:8050"
api_url = "https://slack.com/api/"  # slack-sdk base_url: a proxy, or a stand-in in tests

[server]
host = "127.0.0.1"
port = 8050
router_tokens_env = "GOVERNANCE_ROUTER_TOKENS"   # when set, /directives needs a bearer token
"""

# The smallest valid config, to which each test adds one mistake.
MINIMAL = """
[budget]
amount = "1000"

[categories.critical]
share = 40
[categories.batch]
share = 25
downgrade = [{ at = 90, from = "premium", to = "standard" }]

[[rules]]
category = "critical"
match = { tag = "category:critical" }
[[rules]]
category = "batch"
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return caught.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


# --- valid configs -------------------------------------------------------------------------


# DESIGN section 5's batch step standard->economy has no economy substitute for the
# standard models its [substitutes] route to: the config refuses it (issue 17), naming them.
ECONOMY_SUBSTITUTES = (
    '"claude-3-5-sonnet*" = "claude-3-5-haiku-latest"\n',
    '"claude-3-5-sonnet*" = "claude-3-5-haiku-latest"\n'
    '"gpt-4o-mini" = "llama-3.1-70b"\n"claude-3-5-haiku*" = "llama-3.1-70b"\n',
)


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


# --- one problem at a time, at its exact path ------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            'amount = "1000"',
            "amount = 1000.5",
            "budget.amount",
            'write money as a string, e.g. "50000.00", so it stays exact',
        ),
        ('amount = "1000"', 'amount = "50k"', "budget.amount", "not a decimal amount: '50k'"),
        ('amount = "1000"', 'amount = "-5"', "budget.amount", "must be greater than 0, not -5"),
        ('amount = "1000"', "", "budget.amount", "required, but missing"),
        (
            'amount = "1000"',
            'amount = "1000"\ntimezone = "Mars/Olympus"',
            "budget.timezone",
            "unknown timezone: 'Mars/Olympus'",
        ),
        (
            'amount = "1000"',
            'amount = "1000"\ncurrency = "dollars"',
            "budget.currency",
            "not an ISO 4217 currency code: 'dollars'",
        ),
        (
            'amount = "1000"',
            'amount = "1000"\nthresholds = [70, 90, 90]',
            "budget.thresholds",
            "must be strictly increasing, e.g. [70, 90, 100], not [70, 90, 90]",
        ),
        (
            'amount = "1000"',
            'amount = "1000"\nthresholds = [0, 90]',
            "budget.thresholds[0]",
            "must be at least 1",
        ),
        ("share = 25", 'share = "lots"', "categories.batch.share", "not a percentage: 'lots'"),
        (
            "share = 25",
            "share = 101",
            "categories.batch.share",
            "must be between 0 and 100, not 101",
        ),
        ("share = 40", "share = 80", "categories", "shares add up to 105, over 100"),
        (
            'from = "premium"',
            'from = "platinum"',
            "categories.batch.downgrade[0].from",
            "unknown tier 'platinum' (tiers: premium, standard, economy)",
        ),
        (
            "at = 90",
            "at = 95",
            "categories.batch.downgrade[0].at",
            "95 is not one of budget.thresholds (70, 90, 100)",
        ),
        (
            'to = "standard"',
            'to = "premium"',
            "categories.batch.downgrade[0].to",
            "is the same tier as from: 'premium'",
        ),
        (
            "at = 90,",
            'at = 90, basis = "guess",',
            "categories.batch.downgrade[0].basis",
            "must be one of 'actual' or 'forecast'",
        ),
        (
            'category = "batch"',
            'category = "bulk"',
            "rules[1].category",
            "unknown category 'bulk' (categories: critical, batch)",
        ),
        (
            'tag = "category:critical"',
            'tag = "category:critical", teem = "x"',
            "rules[0].match.teem",
            "unknown key 'teem' (did you mean 'team'?)",
        ),
        (
            'amount = "1000"',
            'amount = "1000"\ncurency = "USD"',
            "budget.curency",
            "unknown key 'curency' (did you mean 'currency'?)",
        ),
    ],
)
def test_each_problem_is_reported_at_its_path(old: str, new: str, path: str, message: str) -> None:
    assert old in MINIMAL
    assert only_problem(MINIMAL.replace(old, new, 1)) == Problem(path, message)


@pytest.mark.parametrize(
    ("appended", "path", "message"),
    [
        (
            '[prices.m]\ninput = "-1"\noutput = "1"',
            "prices.m.input",
            "must not be negative, not -1",
        ),
        (
            '[prices."llama-3.1-70b"]\ninput = 0.05\noutput = "1"',
            'prices."llama-3.1-70b".input',
            'write money as a string, e.g. "50000.00", so it stays exact',
        ),
        ('[fx]\nEUR = "0"', "fx.EUR", "must be greater than 0, not 0"),
        ('[fx]\nEURO = "1.1"', "fx.EURO", "not an ISO 4217 currency code: 'EURO'"),
        ("[server]\nport = 70000", "server.port", "must be at most 65535"),
        ('[server]\nport = "8050"', "server.port", "must be a whole number, not '8050'"),
        ("[budget2]\nx = 1", "budget2", "unknown key 'budget2' (did you mean 'budget'?)"),
        (
            '[alerts.slack]\nchannel = "#x"',
            "alerts.slack",
            "needs token_env or webhook_url_env (the variable with the secret)",
        ),
        (
            '[alerts.slack]\nwebhook_url_env = "HOOK"\nchannels = { nope = "#x" }',
            "alerts.slack.channels.nope",
            "unknown category 'nope' (categories: critical, batch)",
        ),
    ],
)
def test_each_section_problem_is_reported_at_its_path(
    appended: str, path: str, message: str
) -> None:
    assert only_problem(MINIMAL + "\n" + appended + "\n") == Problem(path, message)


def source(**fields: str) -> str:
    lines = "\n".join(f"{key} = {value}" for key, value in fields.items())
    return f"\n[[sources]]\n{lines}\n"


def test_source_problems_are_reported_at_their_paths() -> None:
    text = (
        MINIMAL
        + source(name='"ok"', format='"litellm"', path='"a/*.jsonl"')
        + source(name='"f"', format='"litelm"', path='"x"')
        + source(name='"nowhere"', format='"focus"')
        + source(name='"both"', format='"focus"', path='"x"', url='"http://h"')
        + source(name='"ok"', format='"portkey"', path='"b"')
        + source(name='"table"', format='"csv"', path='"c.csv"')
        + source(name='"slow"', format='"focus"', path='"x"', every='"soon"')
    )

    assert problems_of(text) == [
        Problem(
            "sources[1].format",
            "unknown format 'litelm' (known: litellm, litellm-db, portkey, helicone, openrouter, "
            "openai-usage, openai-costs, anthropic-usage, anthropic-cost, focus, csv, jsonl)",
        ),
        Problem("sources[2]", "needs a path or a url"),
        Problem("sources[3]", "has both a path and a url; give one"),
        Problem("sources[5].mapping", "a csv source needs a mapping of its columns"),
        Problem("sources[6].every", "not a duration, expected e.g. 30s, 5m, 1h: 'soon'"),
        Problem("sources[4].name", "'ok' is already the name of sources[0]"),
    ]


def test_categories_are_required_and_not_empty() -> None:
    assert only_problem('[budget]\namount = "1"\n') == Problem(
        "categories", "required, but missing"
    )
    assert only_problem('[budget]\namount = "1"\n[categories]\n') == Problem(
        "categories", "must not be empty"
    )


# --- everything at once ----------------------------------------------------------------------

BROKEN = """
[budget]
amount = 50000.5
timezone = "Mars/Olympus"
curency = "USD"

[categories.critical]
share = 60
[categories.batch]
share = 50
downgrade = [{ at = 90, from = "platinum", to = "standard" }]

[[rules]]
category = "bulk"

[[sources]]
name = "logs"
format = "litelm"
path = "x"
every = "x"

[alerts.slack]
channel = "#x"
"""


def test_a_broken_file_reports_every_problem_at_once() -> None:
    problems = problems_of(BROKEN)

    assert set(problems) == {
        Problem("budget.amount", 'write money as a string, e.g. "50000.00", so it stays exact'),
        Problem("budget.timezone", "unknown timezone: 'Mars/Olympus'"),
        Problem("budget.curency", "unknown key 'curency' (did you mean 'currency'?)"),
        Problem("sources[0].format", next(p.message for p in problems if "litelm" in p.message)),
        Problem("sources[0].every", "not a duration, expected e.g. 30s, 5m, 1h: 'x'"),
        Problem(
            "alerts.slack", "needs token_env or webhook_url_env (the variable with the secret)"
        ),
        # Found across sections although the sections themselves are broken.
        Problem("categories", "shares add up to 110, over 100"),
        Problem(
            "categories.batch.downgrade[0].from",
            "unknown tier 'platinum' (tiers: premium, standard, economy)",
        ),
        Problem("rules[0].category", "unknown category 'bulk' (categories: critical, batch)"),
    }
    assert len(problems) == 9


def test_the_error_message_names_the_file_and_counts_the_problems(tmp_path: Path) -> None:
    path = tmp_path / "governance.toml"
    path.write_text(BROKEN)

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}: 9 problems: budget.amount: write money")


def test_toml_syntax_error_is_one_problem_with_line_and_column() -> None:
    problem = only_problem('[budget]\namount = "1000\n')

    assert problem.path == ""
    assert problem.message.startswith("not valid TOML: ")
    assert "line 2" in problem.message
    assert "column" in problem.message


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    path = tmp_path / "governance.toml"

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert caught.value.problems == [
        Problem("", f"no config at {path}; run `governance init` to write one")
    ]


def test_unreadable_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)  # a directory

    assert caught.value.problems[0].message.startswith(f"cannot read {tmp_path}")


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


# --- secrets ----------------------------------------------------------------------------------


def test_read_secret_prefers_the_variable_then_the_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text("xoxb-from-file\n")

    assert read_secret("TOKEN", {"TOKEN": "xoxb-env"}) == "xoxb-env"
    assert read_secret("TOKEN", {"TOKEN_FILE": str(secret_file)}) == "xoxb-from-file"
    both = {"TOKEN": "", "TOKEN_FILE": str(secret_file)}
    assert read_secret("TOKEN", both) == "xoxb-from-file"
    assert read_secret("TOKEN", {}) is None


def test_unreadable_secret_file_names_the_variable_not_the_secret(tmp_path: Path) -> None:
    missing = tmp_path / "absent"

    with pytest.raises(ConfigError) as caught:
        read_secret("TOKEN", {"TOKEN_FILE": str(missing)})

    [problem] = caught.value.problems
    assert problem.path == "TOKEN_FILE"
    assert str(missing) in problem.message


def test_undecodable_secret_file_does_not_show_its_bytes(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_bytes(b"\xffsecret-bytes")

    with pytest.raises(ConfigError) as caught:
        read_secret("TOKEN", {"TOKEN_FILE": str(secret_file)})

    assert "secret-bytes" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_redact_hides_every_secret() -> None:
    text = "Bearer abc123 and abc123xyz, not ''"

    assert redact(text, ["abc123", "abc123xyz", ""]) == "Bearer *** and ***, not ''"
    assert redact(text, []) == text
