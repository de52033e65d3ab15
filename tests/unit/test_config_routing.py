"""``[routing]`` in the config (issue 17): its defaults, its overrides, and what it refuses."""

from __future__ import annotations

import pytest

from governance.config import parse_config, starter_config_text
from governance.exceptions import ConfigError

ECONOMY_SUBSTITUTES = '"gpt-4o-mini" = "llama-3.1-70b"\n"claude-3-5-haiku*" = "llama-3.1-70b"\n'


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    return [str(problem) for problem in refused.value.problems]


def test_the_starter_has_a_substitute_for_every_step_it_declares() -> None:
    config = parse_config(starter_config_text())
    tiers = config.tier_map()
    named = [*config.substitutes, *config.substitutes.values()]
    for category in config.categories.values():
        for step in category.downgrade:
            sources = [m for m in named if tiers.tier_of(m.replace("*", "")) == step.from_]
            assert sources, step
            assert all(
                tiers.tier_of(t) == step.to
                for k, t in config.substitutes.items()
                if tiers.tier_of(k.replace("*", "")) == step.from_
            )


def test_a_step_whose_models_have_no_substitute_is_refused_naming_them() -> None:
    text = starter_config_text().replace(ECONOMY_SUBSTITUTES, "")
    assert problems(text) == [
        "categories.batch.downgrade[1]: no substitute takes gpt-4o-mini, "
        "claude-3-5-haiku-latest (standard) down to economy: add them to [substitutes], or "
        "routers cannot follow this step"
    ]
    one = starter_config_text().replace('"claude-3-5-haiku*" = "llama-3.1-70b"\n', "")
    assert problems(one) == [
        "categories.batch.downgrade[1]: no substitute takes claude-3-5-haiku-latest (standard)"
        " down to economy: add them to [substitutes], or routers cannot follow this step"
    ]


def test_routing_names_known_tiers_and_categories() -> None:
    text = starter_config_text() + '\n[routing.categories.nightly]\ntasks = { chat = "gold" }\n'
    text = text.replace('classification = "economy"', 'classification = "cheap"')
    assert problems(text) == [
        "routing.categories.nightly: unknown category 'nightly' (categories: critical,"
        " standard, batch)",
        "routing.tasks.classification: unknown tier 'cheap' (tiers: premium, standard, economy)",
    ]


def test_a_glob_on_part_of_a_key_is_refused() -> None:
    rule = '[[rules]]\ncategory = "batch"\nmatch = { api_key = "sk-live-abcdef0123456789*" }\n'
    text = starter_config_text().replace("[[rules]]", rule + "[[rules]]", 1)
    (problem,) = problems(text)
    assert problem.startswith("rules[0].match.api_key: a glob on part of a key: routers get")
    assert "abcdef" not in problem


def test_category_overrides_reach_the_published_policy() -> None:
    text = starter_config_text() + (
        '\n[routing.categories.batch]\ntasks = { chat = "economy" }\nlong_context_tokens = 8000\n'
    )
    routing = parse_config(text).policy()["routing"]
    assert routing["long_context_tokens"] == 50000
    assert routing["categories"]["critical"] == {"route_down": False}
    batch = routing["categories"]["batch"]
    assert batch["route_down"] is True and batch["long_context_tokens"] == 8000
    assert batch["tasks"]["chat"] == "economy" and "complexity" not in batch
