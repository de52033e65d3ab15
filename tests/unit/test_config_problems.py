"""The typed config's problems: each reported at its key path, all of them at once, and the
file's own (syntax, missing, unreadable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.config import (
    load_config,
)
from governance.exceptions import ConfigError, Problem
from tests.unit.config_texts import (
    MINIMAL,
    only_problem,
    problems_of,
)

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
