"""``[routing]`` (DESIGN section 11) and the checks that keep the published policy usable.

The checks read plain data, as ``config_checks`` does, so that they also run on a file whose
structure is broken: a downgrade step whose from-tier models have no substitute, a task routed
to a tier that does not exist, a glob on API keys that routers could not match from hashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from governance.config.errors import format_path
from governance.config.values import DEFAULT_TIERS
from governance.domain.credentials import looks_like_credential
from governance.domain.directives import route_model
from governance.domain.routing import (
    DEFAULT_DOWN,
    DEFAULT_LONG_CONTEXT,
    DEFAULT_TASKS,
    DEFAULT_UP,
    TIER_ORDER,
    Heuristics,
    is_glob,
)
from governance.domain.tiers import TierMap
from governance.exceptions import Problem


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ComplexityConfig(_Section):
    """``[routing.complexity]``: words that move a request one tier up or down."""

    up: list[str] = Field(default_factory=lambda: list(DEFAULT_UP))
    down: list[str] = Field(default_factory=lambda: list(DEFAULT_DOWN))


class CategoryRouting(_Section):
    """``[routing.categories.NAME]``: one category's own heuristics, over ``[routing]``'s."""

    tasks: dict[str, str] | None = None
    complexity: ComplexityConfig | None = None
    long_context_tokens: int | None = Field(default=None, ge=1)


class RoutingConfig(_Section):
    """``[routing]``: task types to tiers, complexity words, long context, fallback chains."""

    long_context_tokens: int = Field(default=DEFAULT_LONG_CONTEXT, ge=1)
    tasks: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TASKS))
    complexity: ComplexityConfig = Field(default_factory=ComplexityConfig)
    # Per model glob: a secondary (another provider) and a tertiary.
    fallbacks: dict[str, list[str]] = {}
    categories: dict[str, CategoryRouting] = {}

    def heuristics(self, category: str, route_down: bool) -> Heuristics:
        """``category``'s heuristics; ``route_down`` only for a category that downgrades."""
        own = self.categories.get(category, CategoryRouting())
        complexity = own.complexity or self.complexity
        return Heuristics(
            tasks=dict(own.tasks if own.tasks is not None else self.tasks),
            up=tuple(complexity.up),
            down=tuple(complexity.down),
            long_context_tokens=own.long_context_tokens or self.long_context_tokens,
            route_down=route_down,
        )


def routing_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Every problem of ``data``'s routing policy, each at the key path to fix."""
    tiers = _table(data.get("tiers")) if "tiers" in data else DEFAULT_TIERS
    return [
        *_task_problems(data, tiers),
        *_substitute_problems(data, tiers),
        *_key_problems(data),
    ]


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _task_problems(data: Mapping[str, Any], tiers: Mapping[str, Any]) -> list[Problem]:
    routing = _table(data.get("routing"))
    tables: list[tuple[tuple[str, ...], object]] = [(("routing", "tasks"), routing.get("tasks"))]
    categories = _table(data.get("categories"))
    unknown: list[Problem] = []
    for name, own in _table(routing.get("categories")).items():
        if categories and name not in categories:
            known = ", ".join(categories)
            message = f"unknown category '{name}' (categories: {known})"
            unknown.append(Problem(format_path(("routing", "categories", name)), message))
            continue
        tables.append((("routing", "categories", name, "tasks"), _table(own).get("tasks")))
    problems = unknown
    for loc, tasks in tables:
        for task, tier in _table(tasks).items():
            if isinstance(tier, str) and tier not in tiers:
                message = f"unknown tier '{tier}' (tiers: {', '.join(tiers)})"
                problems.append(Problem(format_path((*loc, task)), message))
    return problems


def _substitute_problems(data: Mapping[str, Any], tiers: Mapping[str, Any]) -> list[Problem]:
    """A downgrade step whose from-tier models (those the config names) reach no model of its
    to-tier through ``[substitutes]``: routers could not follow it."""
    try:
        tier_map = TierMap.from_mapping({k: list(v) for k, v in tiers.items()})
    except TypeError:
        return []  # reported where the tiers are
    substitutes = {k: v for k, v in _table(data.get("substitutes")).items() if isinstance(v, str)}
    named = [*substitutes, *substitutes.values()]
    named += [k for k in _table(_table(data.get("routing")).get("fallbacks")) if isinstance(k, str)]
    models = list(dict.fromkeys(named))
    problems = []
    for name, category in _table(data.get("categories")).items():
        steps = _table(category).get("downgrade")
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            source, target = _table(step).get("from"), _table(step).get("to")
            # Only a step down the tier order: one up is refused as such, custom tiers unranked.
            if not (source in TIER_ORDER and target in TIER_ORDER):
                continue
            if TIER_ORDER.index(target) >= TIER_ORDER.index(source):
                continue
            stranded = [
                model
                for model in models
                if tier_map.tier_of(model.replace("*", "")) == source
                and tier_map.tier_of(
                    route_model(model.replace("*", ""), {source: target}, substitutes, tier_map)
                )
                != target
            ]
            if stranded:
                loc = format_path(("categories", name, "downgrade", index))
                message = (
                    f"no substitute takes {', '.join(stranded)} ({source}) down to {target}:"
                    " add them to [substitutes], or routers cannot follow this step"
                )
                problems.append(Problem(loc, message))
    return problems


def _key_problems(data: Mapping[str, Any]) -> list[Problem]:
    rules = data.get("rules")
    problems = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        patterns = _table(_table(rule).get("match")).get("api_key")
        patterns = [patterns] if isinstance(patterns, str) else patterns
        for pattern in patterns if isinstance(patterns, list | tuple) else []:
            if isinstance(pattern, str) and is_glob(pattern) and looks_like_credential(pattern):
                loc = format_path(("rules", index, "match", "api_key"))
                message = (
                    "a glob on part of a key: routers get API keys only as hashes, which match"
                    " whole keys; name whole keys or match the key's alias"
                )
                problems.append(Problem(loc, message))
    return problems
