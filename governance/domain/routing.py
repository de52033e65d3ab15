"""The routing policy routers apply: the ledger's category rules, and which tier a request needs.

``policy_json`` builds the ``policy`` of ``GET /directives`` from the config's parts (API keys
only as hashes); ``Policy`` reads it back on the router's side, where ``category_of`` decides
as the ledger will and ``heuristic`` moves a request between tiers by its task, the words of
its prompt and its context length (the seeds' rules). Budget directives compose on top of that
in ``governance.client``. Prompts are read here, in the router's process, and kept nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Final

from governance.domain.categorise import Attribution, Match, Rule, categorise, tags_from
from governance.domain.tiers import TierMap, canonical_model
from governance.domain.usage import hash_api_key, stored_attribution

TIER_ORDER: Final = ("economy", "standard", "premium")  # cheapest first
GLOB_CHARACTERS: Final = frozenset("*?[")
CHARS_PER_TOKEN: Final = 4  # a prompt's length in tokens, roughly, when the router gives none

DEFAULT_TASKS: Final = {
    "classification": "economy",
    "extraction": "economy",
    "summarization": "standard",
    "chat": "standard",
    "code": "premium",
    "analysis": "premium",
}
DEFAULT_UP: Final = ("analyze", "analyse", "synthesize", "compare", "architecture", "code review")
DEFAULT_DOWN: Final = ("format", "classify", "translate", "yes/no")
DEFAULT_LONG_CONTEXT: Final = 50_000


def is_glob(pattern: str) -> bool:
    return any(character in GLOB_CHARACTERS for character in pattern)


def key_hash(api_key: str) -> str:
    """An API key as the policy publishes it: rules match keys case-insensitively."""
    return hash_api_key(api_key.lower())


def rules_json(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """The ``[[rules]]`` for routers: whole API keys as hashes, globs on aliases as they are."""
    published = []
    for rule in rules:
        match: dict[str, list[str]] = {}
        for name in ("tag", "team", "project", "model"):
            if patterns := getattr(rule.match, name):
                match[name] = list(patterns)
        keys = rule.match.api_key
        if hashed := [key_hash(p) for p in keys if not is_glob(p)]:
            match["api_key_sha256"] = hashed
        if globs := [p for p in keys if is_glob(p)]:
            match["api_key"] = globs  # the config refuses a glob that holds part of a key
        published.append({"category": rule.category, "match": match})
    return published


@dataclass(frozen=True)
class Heuristics:
    """One category's routing heuristics."""

    tasks: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TASKS))
    up: tuple[str, ...] = DEFAULT_UP
    down: tuple[str, ...] = DEFAULT_DOWN
    long_context_tokens: int = DEFAULT_LONG_CONTEXT
    route_down: bool = False  # only a category whose config downgrades is routed down

    def as_json(self) -> dict[str, Any]:
        return {
            "tasks": dict(self.tasks),
            "complexity": {"up": list(self.up), "down": list(self.down)},
            "long_context_tokens": self.long_context_tokens,
            "route_down": self.route_down,
        }

    def differences(self, base: Heuristics) -> dict[str, Any]:
        """What this category changes of ``base`` (``route_down`` always: it is per category)."""
        mine, theirs = self.as_json(), base.as_json()
        return {k: v for k, v in mine.items() if k == "route_down" or v != theirs[k]}

    @classmethod
    def from_json(cls, value: Mapping[str, Any], base: Heuristics | None = None) -> Heuristics:
        """Read ``as_json`` (or ``differences`` over ``base``) back."""
        merged = {**(base or cls()).as_json(), **value}
        complexity = merged["complexity"]
        return cls(
            tasks=dict(merged["tasks"]),
            up=tuple(complexity.get("up") or ()),
            down=tuple(complexity.get("down") or ()),
            long_context_tokens=int(merged["long_context_tokens"]),
            route_down=bool(merged.get("route_down")),
        )


def policy_json(
    rules: Sequence[Rule],
    tiers: Mapping[str, Sequence[str]],
    substitutes: Mapping[str, str],
    defaults: Heuristics,
    categories: Mapping[str, Heuristics],
    fallbacks: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """The ``policy`` of ``GET /directives`` (DESIGN section 11)."""
    return {
        "rules": rules_json(rules),
        "tiers": {name: list(globs) for name, globs in tiers.items()},
        "substitutes": dict(substitutes),
        "routing": {
            **defaults.as_json(),
            "categories": {name: h.differences(defaults) for name, h in categories.items()},
        },
        "fallbacks": {model: list(chain) for model, chain in fallbacks.items()},
    }


def _phrase(word: str) -> re.Pattern[str]:
    # A word at a word's start: "analyze" finds "analyzes", "format" never "information".
    return re.compile(r"(?<![a-z0-9])" + re.escape(word.lower()))


def words_in(prompt: str, words: Iterable[str]) -> list[str]:
    lowered = prompt.lower()
    return [word for word in words if _phrase(word).search(lowered)]


@dataclass(frozen=True)
class Heuristic:
    """Where the heuristics take a request: its model, that model's tier, and why."""

    model: str
    tier: str
    reasons: tuple[str, ...]


class Policy:
    """The published policy, read on the router's side."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.tiers = TierMap.from_mapping(document.get("tiers") or {})
        self.substitutes: dict[str, str] = dict(document.get("substitutes") or {})
        self.fallback_chains: dict[str, list[str]] = {
            k: list(v) for k, v in (document.get("fallbacks") or {}).items()
        }
        routing = document.get("routing") or {}
        defaults = {k: v for k, v in routing.items() if k != "categories"}
        self.defaults = Heuristics.from_json({**defaults, "route_down": False})
        self.categories = {
            name: Heuristics.from_json(value, self.defaults)
            for name, value in (routing.get("categories") or {}).items()
        }
        self._rules = [_PublishedRule.of(rule) for rule in document.get("rules") or ()]

    def category_of(
        self,
        team: str | None = None,
        tags: object = (),
        api_key: str | None = None,
        project: str | None = None,
        model: str | None = None,
    ) -> str:
        """The category the ledger gives a row with these attributes."""
        attribution = stored_attribution(
            canonical_model(model or ""), tags_from(tags), team, project, api_key
        )
        for rule in self._rules:
            if rule.matches(attribution):
                return rule.category
        return categorise((), attribution)  # none matched: the ledger's own default

    def heuristics(self, category: str) -> Heuristics:
        return self.categories.get(category, self.defaults)

    def heuristic(
        self,
        category: str,
        model: str,
        task: str | None = None,
        prompt: str | None = None,
        context_tokens: int | None = None,
    ) -> Heuristic:
        """The model the heuristics choose for a request of ``category`` asking for ``model``."""
        tier = self.tiers.tier_of(model)
        if tier not in TIER_ORDER:
            return Heuristic(model, tier, (f"{model} is {tier}: no heuristic moves it",))
        rules = self.heuristics(category)
        reasons: list[str] = []
        rank = TIER_ORDER.index(tier)
        if task is not None:
            wanted = rules.tasks.get(task)
            if wanted in TIER_ORDER:
                rank = TIER_ORDER.index(wanted)
                reasons.append(f"task {task}: {wanted}")
            else:
                reasons.append(f"task {task} has no tier in [routing.tasks]: {tier} kept")
        if prompt:
            if up := words_in(prompt, rules.up):
                rank += 1
                reasons.append(f"the prompt says {', '.join(up)}: one tier up")
            elif down := words_in(prompt, rules.down):
                rank -= 1
                reasons.append(f"the prompt says {', '.join(down)}: one tier down")
        if context_tokens is None and prompt:
            context_tokens = len(prompt) // CHARS_PER_TOKEN
        if context_tokens is not None and context_tokens > rules.long_context_tokens:
            rank += 1
            reasons.append(
                f"{context_tokens:,} tokens of context, over {rules.long_context_tokens:,}:"
                " one tier up"
            )
        rank = max(0, min(rank, len(TIER_ORDER) - 1))
        if rank < TIER_ORDER.index(tier) and not rules.route_down:
            reasons.append(f"{category} is never routed down: {tier} kept")
            rank = TIER_ORDER.index(tier)
        chosen, reached = self._move(model, tier, TIER_ORDER[rank], reasons)
        return Heuristic(chosen, reached, tuple(reasons))

    def _move(self, model: str, tier: str, target: str, reasons: list[str]) -> tuple[str, str]:
        # Each step lands strictly nearer the target tier, never past it: no way round.
        goal = TIER_ORDER.index(target)
        current = model
        while tier != target:
            rank = TIER_ORDER.index(tier)
            down = goal < rank
            following = self._next(current, rank, goal, down)
            if following is None:
                way = "substitute" if down else "model substitutes down to it"
                reasons.append(f"no {target} {way} for {canonical_model(current)}: {tier}")
                break
            current = _keep_prefix(current, following)
            tier = self.tiers.tier_of(current)
        return current, tier

    def _next(self, model: str, rank: int, goal: int, down: bool) -> str | None:
        """A substitute of ``model`` nearer ``goal`` (down), or the model whose substitute
        ``model`` is (up: only a named model, a glob names none)."""
        name = canonical_model(model)
        for source, target in self.substitutes.items():
            other = self.tiers.tier_of(target if down else source)
            if other not in TIER_ORDER:
                continue
            step = TIER_ORDER.index(other)
            if down and goal <= step < rank and fnmatchcase(name, source.lower()):
                return target
            named = not is_glob(source) and canonical_model(target) == name
            if not down and rank < step <= goal and named:
                return source
        return None

    def fallbacks(self, model: str) -> list[str]:
        """The configured fallback chain of ``model`` (keys are globs on the model id)."""
        name = canonical_model(model)
        for pattern, chain in self.fallback_chains.items():
            if fnmatchcase(name, pattern.lower()):
                return list(chain)
        return []


def _keep_prefix(model: str, following: str) -> str:
    """``following`` with ``model``'s provider prefix unless it names its own."""
    prefix = model.rpartition("/")[0]
    if "/" in following or not prefix:
        return following
    return f"{prefix}/{following}"


@dataclass(frozen=True)
class _PublishedRule:
    category: str
    match: Match
    key_hashes: frozenset[str]
    key_globs: tuple[str, ...]

    @classmethod
    def of(cls, rule: Mapping[str, Any]) -> _PublishedRule:
        match = rule.get("match") or {}
        return cls(
            category=str(rule["category"]),
            match=Match(
                tag=tuple(match.get("tag") or ()),
                team=tuple(match.get("team") or ()),
                project=tuple(match.get("project") or ()),
                model=tuple(match.get("model") or ()),
            ),
            key_hashes=frozenset(match.get("api_key_sha256") or ()),
            key_globs=tuple(match.get("api_key") or ()),
        )

    def matches(self, row: Attribution) -> bool:
        if not self.match.matches(row):
            return False
        if not (self.key_hashes or self.key_globs):
            return True
        if row.api_key is None:
            return False
        if key_hash(row.api_key) in self.key_hashes:
            return True
        # As the ledger's Match does: a case-insensitive glob on the key as reported.
        return Match(api_key=self.key_globs).matches(Attribution(api_key=row.api_key))
