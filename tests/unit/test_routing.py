"""The published routing policy (issue 17): categories as the ledger decides them, API keys
only as hashes, the seeds' heuristics, budget directives on top, fallbacks within them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from governance.client import DirectivesClient
from governance.config import Config, parse_config, starter_config_text
from governance.domain.categorise import categorise, tags_from
from governance.domain.routing import Policy
from governance.domain.tiers import canonical_model
from governance.domain.usage import stored_attribution

NOW = datetime(2026, 11, 18, 6, tzinfo=UTC)
KEY = "sk-live-0123456789abcdefSECRET"
RULES = """
[[rules]]
category = "critical"
match = { api_key = ["sk-live-0123456789abcdefSECRET", "payments-*"] }
[[rules]]
category = "batch"
match = { model = "llama*", project = "nightly-*" }
[[rules]]
category = "critical"
match = { team = "sk-ant-0123456789abcdef" }
"""


def config(extra: str = "") -> Config:
    text = starter_config_text()
    start = text.index("[[rules]]")
    return parse_config(text[:start] + RULES + text[start:] + extra)


def test_api_keys_reach_routers_only_as_hashes() -> None:
    text = json.dumps(config().policy())
    assert KEY not in text and KEY.lower() not in text
    (first, *_) = config().policy()["rules"]
    assert first["match"] == {"api_key_sha256": [first["match"]["api_key_sha256"][0]],
                              "api_key": ["payments-*"]}  # fmt: skip


@pytest.mark.parametrize(
    "attributes",
    [
        {"api_key": KEY},
        {"api_key": KEY.upper()},  # rules match keys whatever their case
        {"api_key": "payments-api"},
        {"api_key": "other", "team": "data-eng"},
        {"model": "hosted_vllm/llama-3.1-70b", "project": "nightly-etl"},
        {"model": "llama-3.1-70b", "project": "daytime"},
        {"team": "sk-ant-0123456789abcdef"},  # a key pasted as a team: hashed, as stored
        {"tags": ["category:critical"], "team": "ml-platform"},
        {"tags": {"category": "critical"}},
        {"tags": ["env:prod"]},
        {},
    ],
)
def test_category_of_is_the_ledgers_category(attributes: dict[str, Any]) -> None:
    cfg = config()
    policy = Policy(json.loads(json.dumps(cfg.policy())))  # as a router reads it
    ledger = categorise(
        cfg.category_rules(),
        stored_attribution(
            canonical_model(attributes.get("model", "")),
            tags_from(attributes.get("tags")),
            attributes.get("team"),
            attributes.get("project"),
            attributes.get("api_key"),
        ),
    )
    assert policy.category_of(**attributes) == ledger


def client_with(cfg: Config, routes: dict[str, dict[str, str]]) -> DirectivesClient:
    """A client holding a document with directives for ``routes`` ({category: {from: to}})."""
    tiers = cfg.tier_map()
    directives = [
        {
            "id": f"2026-11/{category}/{source}-{target}",
            "category": category,
            "from_tier": source,
            "to_tier": target,
            "substitutes": {
                k: v
                for k, v in cfg.substitutes.items()
                if tiers.tier_of(k.replace("*", "")) == source and tiers.tier_of(v) == target
            },
            "expires_at": "2026-12-01T00:00:00Z",
        }
        for category, steps in routes.items()
        for source, target in steps.items()
    ]
    composed = {c: {t: _end(steps, t) for t in steps} for c, steps in routes.items()}
    client = DirectivesClient("http://127.0.0.1:9", clock=lambda: NOW)
    document = {"version": "v", "routes": composed, "directives": directives}
    client.load({**document, "policy": cfg.policy()})
    return client


def _end(steps: dict[str, str], tier: str) -> str:
    while tier in steps:
        tier = steps[tier]
    return tier


def test_choose_follows_the_seeds_then_the_directives() -> None:
    client = client_with(config(), {"batch": {"premium": "standard", "standard": "economy"}})
    choose = client.choose
    assert choose("standard", "gpt-4o-mini", task="classification") == (
        "llama-3.1-70b", "economy", ("task classification: economy",),
    )  # fmt: skip
    assert choose("standard", "gpt-4o-mini", task="code").model == "gpt-4o"
    assert choose("standard", "openai/gpt-4o-mini", prompt="Format this as JSON").model == (
        "openai/llama-3.1-70b"
    )
    up = choose("standard", "gpt-4o-mini", prompt="Analyze and compare the designs")
    assert up.model == "gpt-4o" and up.reasons == ("the prompt says analyze, compare: one tier up",)
    long = choose("standard", "gpt-4o-mini", context_tokens=60_000)
    assert long.reasons == ("60,000 tokens of context, over 50,000: one tier up",)
    # critical never downgrades, so no heuristic routes it down either
    kept = choose("critical", "gpt-4o", task="classification")
    assert (
        kept.model == "gpt-4o" and kept.reasons[-1] == "critical is never routed down: premium kept"
    )
    # a glob names no model: nothing to go up to
    assert choose("critical", "claude-3-5-haiku-latest", task="code").reasons[-1] == (
        "no premium model substitutes down to it for claude-3-5-haiku-latest: standard"
    )
    # the budget directives compose on top of a heuristic up
    batch = choose("batch", "gpt-4o-mini", task="code")
    assert batch.model == "llama-3.1-70b" and batch.reasons == (
        "task code: premium",
        "batch: premium routed to economy (2026-11/batch/premium-standard, "
        "2026-11/batch/standard-economy)",
    )
    assert choose("standard", "gpt-4o") == ("gpt-4o", "premium", ("gpt-4o as asked",))


def test_category_overrides_and_a_task_without_a_tier() -> None:
    cfg = config('\n[routing.categories.batch]\ntasks = { chat = "economy" }\n')
    client = client_with(cfg, {})
    assert client.choose("batch", "gpt-4o", task="chat").model == "llama-3.1-70b"
    assert client.choose("standard", "gpt-4o", task="chat").model == "gpt-4o-mini"
    assert client.choose("standard", "gpt-4o", task="poetry").reasons == (
        "task poetry has no tier in [routing.tasks]: premium kept",
    )


def test_fallbacks_never_offer_a_tier_a_directive_routed_away() -> None:
    client = client_with(config(), {"batch": {"premium": "standard"}})
    assert client.fallbacks("critical", "gpt-4o") == ["claude-3-5-sonnet-latest", "gemini-1.5-pro"]
    assert client.fallbacks("batch", "gpt-4o") == []  # both premium
    assert client.fallbacks("batch", "openai/gpt-4o-mini") == [
        "claude-3-5-haiku-latest", "gemini-1.5-flash",
    ]  # fmt: skip


def test_before_any_poll_nothing_is_decided() -> None:
    client = DirectivesClient("http://127.0.0.1:9")
    assert client.category_of(team="data-eng") == "uncategorised"
    assert client.choose("batch", "gpt-4o", task="classification").model == "gpt-4o"
    assert client.fallbacks("batch", "gpt-4o") == []
