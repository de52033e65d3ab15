"""Directives: the downgrades routers apply, from a period's crossings and the config's steps.

A step yields a directive once its level is crossed on its basis; the directive holds until
the period ends, until a raised allocation voids its condition, or until an operator revokes
it. Steps compose: premium→standard and standard→economy route premium to economy.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from governance.domain.money import format_money, money_str
from governance.domain.thresholds import Basis, CategoryState, Crossing, reaches
from governance.domain.tiers import TierMap, canonical_model


@dataclass(frozen=True)
class Step:
    """A category's downgrade step from the config."""

    category: str
    at: int
    basis: Basis
    from_tier: str
    to_tier: str


@dataclass(frozen=True)
class Directive:
    id: str
    category: str
    from_tier: str
    to_tier: str
    level: int
    basis: Basis
    spend: Decimal
    forecast: Decimal
    allocation: Decimal
    currency: str
    reason: str
    effective_from: datetime
    expires_at: datetime
    substitutes: Mapping[str, str] = field(default_factory=dict)
    origin: str = "auto"


def directive_id(period: str, step: Step) -> str:
    return f"{period}/{step.category}/{step.from_tier}-{step.to_tier}"


def _reason(state: CategoryState, basis: Basis, currency: str) -> str:
    value = state.value(basis)
    percent = round(value * 100 / state.allocation) if state.allocation else 0
    verb = "is forecast to spend" if basis == "forecast" else "has spent"
    return (
        f"{state.name} {verb} {format_money(value, currency)} of its "
        f"{format_money(state.allocation, currency)} allocation ({percent}%)"
    )


def substitutes_for(
    substitutes: Mapping[str, str], tiers: TierMap, from_tier: str, to_tier: str
) -> dict[str, str]:
    """The config's substitutes that take a ``from_tier`` model to a ``to_tier`` model."""
    # A key may be a glob ("claude-3-5-sonnet*"); its stem tells its tier.
    return {
        model: target
        for model, target in substitutes.items()
        if tiers.tier_of(model.replace("*", "")) == from_tier and tiers.tier_of(target) == to_tier
    }


def active_directives(
    period: str,
    steps: Sequence[Step],
    crossings: Iterable[Crossing],
    states: Mapping[str, CategoryState],
    revoked: Iterable[str],
    expires_at: datetime,
    currency: str,
    substitutes: Mapping[str, str],
    tiers: TierMap,
) -> list[Directive]:
    """The directives in force: one per step whose level was crossed this period and whose
    condition still holds at today's allocation, unless revoked."""
    crossed = {c.key: c for c in crossings if c.period == period}
    gone = set(revoked)
    result = []
    for step in steps:
        crossing = crossed.get((step.category, step.at, step.basis))
        state = states.get(step.category)
        ident = directive_id(period, step)
        if crossing is None or state is None or ident in gone:
            continue
        # Lifted only when the allocation was raised: neither the value that crossed nor
        # today's value still reaches the level of today's allocation.
        holds = reaches(crossing.value, state.allocation, step.at) or reaches(
            state.value(step.basis), state.allocation, step.at
        )
        if not holds:
            continue
        result.append(
            Directive(
                id=ident,
                category=step.category,
                from_tier=step.from_tier,
                to_tier=step.to_tier,
                level=step.at,
                basis=step.basis,
                spend=state.spend,
                forecast=state.forecast,
                allocation=state.allocation,
                currency=currency,
                reason=_reason(state, step.basis, currency),
                effective_from=crossing.at,
                expires_at=expires_at,
                substitutes=substitutes_for(substitutes, tiers, step.from_tier, step.to_tier),
            )
        )
    return result


def routes(directives: Iterable[Directive]) -> dict[str, dict[str, str]]:
    """Per category, where each downgraded tier ends up once the steps compose."""
    edges: dict[str, dict[str, str]] = {}
    for directive in directives:
        edges.setdefault(directive.category, {})[directive.from_tier] = directive.to_tier
    flattened: dict[str, dict[str, str]] = {}
    for category, mapping in edges.items():
        flattened[category] = {}
        for start in mapping:
            tier, seen = start, {start}
            while tier in mapping and mapping[tier] not in seen:  # a cycle stops where it closes
                tier = mapping[tier]
                seen.add(tier)
            flattened[category][start] = tier
    return flattened


def route_model(
    model: str,
    category_routes: Mapping[str, str],
    substitutes: Mapping[str, str],
    tiers: TierMap,
) -> str:
    """The model a router should call instead of ``model`` under ``category_routes``: follow
    the substitutes until a model of the target tier (the model itself when none leads there)."""
    target = category_routes.get(tiers.tier_of(model))
    if target is None:
        return model
    current, seen = model, {model}
    while tiers.tier_of(current) != target:
        name = canonical_model(current)
        following = next(
            (to for pattern, to in substitutes.items() if fnmatch.fnmatchcase(name, pattern)),
            None,
        )
        if following is None or following in seen:
            return model if current == model else current
        current = following
        seen.add(current)
    return current


def version(
    period: str, directives: Sequence[Directive], policy: Mapping[str, object] | None = None
) -> str:
    """Changes exactly when the set of directives, or what routers read of it (the
    ``policy`` published with it included), changes."""
    content: list[object] = [
        *sorted(
            (d.id, d.from_tier, d.to_tier, d.expires_at.isoformat(), sorted(d.substitutes.items()))
            for d in directives
        )
    ]
    if policy is not None:
        content.append(policy)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{period}:{digest}"


def trigger_json(directive: Directive) -> dict[str, str | int]:
    return {
        "level": directive.level,
        "basis": directive.basis,
        "spend": money_str(directive.spend),
        "forecast": money_str(directive.forecast),
        "allocation": money_str(directive.allocation),
        "currency": directive.currency,
    }
