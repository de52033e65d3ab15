import pytest

from governance.domain.categorise import (
    UNCATEGORISED,
    Attribution,
    Match,
    Rule,
    categorise,
    tags_from,
)

# The [[rules]] of DESIGN section 5: first match wins, the last rule is the default.
DESIGN_RULES = (
    Rule("critical", Match(tag=("category:critical",))),
    Rule("batch", Match(team=("data-eng", "ml-platform"))),
    Rule("standard", Match()),
)


@pytest.mark.parametrize(
    ("row", "category"),
    [
        (Attribution(tags=("category:critical",), team="data-eng"), "critical"),
        (Attribution(tags=("Category:Critical",)), "critical"),
        (Attribution(tags=("env:prod",), team="data-eng"), "batch"),
        (Attribution(team="ML-Platform"), "batch"),
        (Attribution(team="web"), "standard"),
        (Attribution(), "standard"),
        (Attribution(model="gpt-4o", tags=("category:critical-ish",)), "standard"),
    ],
)
def test_design_rules(row: Attribution, category: str) -> None:
    assert categorise(DESIGN_RULES, row) == category


def test_no_rule_matches() -> None:
    assert categorise([], Attribution()) == UNCATEGORISED
    rules = [Rule("batch", Match(team=("data-*",)))]
    assert categorise(rules, Attribution(team="web")) == UNCATEGORISED
    assert categorise(rules, Attribution(team=None)) == UNCATEGORISED


def test_first_matching_rule_wins() -> None:
    row = Attribution(team="data-eng", project="search")
    by_team = Rule("batch", Match(team=("data-eng",)))
    by_project = Rule("critical", Match(project=("search",)))
    assert categorise([by_team, by_project], row) == "batch"
    assert categorise([by_project, by_team], row) == "critical"


def test_globs() -> None:
    assert Match(team=("data-*",)).matches(Attribution(team="data-eng"))
    assert Match(project=("proj-?",)).matches(Attribution(project="proj-7"))
    assert not Match(project=("proj-?",)).matches(Attribution(project="proj-77"))
    assert Match(api_key=("sk-batch-*",)).matches(Attribution(api_key="SK-BATCH-123"))
    assert Match(tag=("category:*",)).matches(Attribution(tags=("env:prod", "category:batch")))
    assert not Match(tag=("category:*",)).matches(Attribution(tags=("env:prod",)))


def test_model_is_matched_canonically() -> None:
    match = Match(model=("gpt-4o-mini*",))
    assert match.matches(Attribution(model="openai/GPT-4o-mini-2024-07-18"))
    assert not match.matches(Attribution(model="gpt-4o"))
    assert Match(model=("claude-*",)).matches(Attribution(model="us.anthropic.claude-3-haiku"))
    # A row without a model never satisfies a model condition, not even "*".
    assert not Match(model=("*",)).matches(Attribution(model=""))


def test_fields_are_anded_and_patterns_ored() -> None:
    match = Match(team=("data-eng", "ml-platform"), model=("llama*", "mistral*"))
    assert match.matches(Attribution(team="ml-platform", model="hosted_vllm/llama-3.1-70b"))
    assert match.matches(Attribution(team="data-eng", model="mistral-large"))
    assert not match.matches(Attribution(team="data-eng", model="gpt-4o"))
    assert not match.matches(Attribution(team="web", model="llama-3.1-70b"))


@pytest.mark.parametrize("field", ["team", "project", "api_key"])
def test_none_never_matches_a_condition(field: str) -> None:
    match = Match(**{field: ("*",)})
    assert not match.matches(Attribution())
    assert match.matches(Attribution(**{field: "anything"}))  # type: ignore[arg-type]


def test_empty_match_matches_everything() -> None:
    assert Match().matches(Attribution())
    assert Match().matches(Attribution(model="x", tags=("a",), team="t", project="p", api_key="k"))


def test_no_tags_never_match_a_tag_condition() -> None:
    assert not Match(tag=("*",)).matches(Attribution(tags=()))


def test_bare_string_pattern_is_one_pattern() -> None:
    match = Match(team="data-eng")  # type: ignore[arg-type]
    assert match.team == ("data-eng",)
    assert match.matches(Attribution(team="data-eng"))
    assert not match.matches(Attribution(team="d"))
    assert Match(team=["a", "b"]).team == ("a", "b")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("labels", "tags"),
    [
        (None, ()),
        ("batch", ("batch",)),
        ("  ", ()),
        (["category:critical", "env:prod"], ("category:critical", "env:prod")),
        (("a", 1, None, "a", " b "), ("a", "1", "b")),
        ({"category": "critical", "env": "prod"}, ("category:critical", "env:prod")),
        ({"cached": True, "retries": 2, "skip": None}, ("cached:true", "retries:2")),
        ({"b", "a"}, ("a", "b")),
        (7, ("7",)),
    ],
)
def test_tags_from(labels: object, tags: tuple[str, ...]) -> None:
    assert tags_from(labels) == tags


def test_tags_from_feeds_rules() -> None:
    row = Attribution(tags=tags_from({"category": "critical"}))
    assert categorise(DESIGN_RULES, row) == "critical"
