"""Checks that span sections of the config: names in one section that must exist in another.

They read plain data (the TOML document, or a validated config dumped by alias) and skip whatever
is not of the expected shape, so that they also run on a file whose structure is broken: pydantic
reports the shape, these report the conflicts, and the user sees both in one go.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from governance.config.errors import format_path
from governance.config.routing import routing_problems
from governance.config.values import DEFAULT_THRESHOLDS, DEFAULT_TIERS, to_share
from governance.exceptions import Problem

TIER_ORDER = ("economy", "standard", "premium")  # cheapest first
MAX_PRICE = Decimal(10_000)  # per million tokens: the dearest real models are near 600


def cross_section_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Every conflict between sections of ``data``, each at the key path to fix."""
    categories = _table(data.get("categories"))
    problems = _share_total(categories)
    problems += _downgrade_problems(data, categories)
    if categories:
        problems += _rule_problems(data, categories)
        problems += _channel_problems(data, categories)
    problems += _duplicate_sources(data)
    problems += _price_problems(data)
    problems += routing_problems(data)
    return problems


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _share_total(categories: dict[str, Any]) -> list[Problem]:
    total = Decimal(0)
    for category in categories.values():
        try:
            total += to_share(_table(category).get("share"))
        except ValueError:
            continue  # reported where the share is
    if total > 100:
        shown = format(total.normalize(), "f")
        return [Problem("categories", f"shares add up to {shown}, over 100")]
    return []


def _downgrade_problems(data: Mapping[str, Any], categories: dict[str, Any]) -> list[Problem]:
    tiers: object = data.get("tiers", DEFAULT_TIERS)
    tier_names = list(tiers) if isinstance(tiers, dict) else None
    thresholds: object = _table(data.get("budget")).get("thresholds", list(DEFAULT_THRESHOLDS))
    levels = thresholds if isinstance(thresholds, list) else None
    problems: list[Problem] = []
    for name, category in categories.items():
        for index, step in enumerate(_list(_table(category).get("downgrade"))):
            if not isinstance(step, dict):
                continue
            loc = ("categories", name, "downgrade", index)
            at = step.get("at")
            # type() rather than isinstance(): `at = true` is reported by pydantic, not as a level.
            if levels is not None and type(at) is int and at not in levels:
                shown = ", ".join(str(level) for level in levels)
                message = f"{at} is not one of budget.thresholds ({shown})"
                problems.append(Problem(format_path((*loc, "at")), message))
            for end in ("from", "to"):
                tier = step.get(end)
                if tier_names is not None and isinstance(tier, str) and tier not in tier_names:
                    message = f"unknown tier '{tier}' (tiers: {', '.join(tier_names)})"
                    problems.append(Problem(format_path((*loc, end)), message))
            problems += _direction_problems(step, loc)
    return problems


def _direction_problems(step: dict[str, Any], loc: tuple[str | int, ...]) -> list[Problem]:
    """A downgrade goes down the tier order; tiers outside it (custom ones) are not ranked."""
    source, target = step.get("from"), step.get("to")
    if source not in TIER_ORDER or target not in TIER_ORDER:
        return []
    if TIER_ORDER.index(target) <= TIER_ORDER.index(source):  # the same: reported in config
        return []
    order = " > ".join(reversed(TIER_ORDER))
    message = f"'{target}' is above '{source}': a downgrade goes to a lower tier ({order})"
    return [Problem(format_path((*loc, "to")), message)]


def _price_problems(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for model, price in _table(data.get("prices")).items():
        for key in ("input", "output", "cache_read", "cache_write"):
            value = _decimal(_table(price).get(key))
            if value is not None and value > MAX_PRICE:
                message = (
                    f"{format(value, 'f') if value < 10**15 else value} per million tokens is over"
                    f" {MAX_PRICE:,}, beyond any real model's price (a misplaced decimal point?)"
                )
                problems.append(Problem(format_path(("prices", model, key)), message))
    return problems


def _decimal(value: object) -> Decimal | None:
    """The number ``value`` says (None when it is not one: reported where it is)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _rule_problems(data: Mapping[str, Any], categories: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for index, rule in enumerate(_list(data.get("rules"))):
        category = _table(rule).get("category")
        if isinstance(category, str) and category not in categories:
            path = format_path(("rules", index, "category"))
            problems.append(Problem(path, _unknown_category(category, categories)))
    return problems


def _channel_problems(data: Mapping[str, Any], categories: dict[str, Any]) -> list[Problem]:
    slack = _table(_table(data.get("alerts")).get("slack"))
    return [
        Problem(
            format_path(("alerts", "slack", "channels", name)),
            _unknown_category(name, categories),
        )
        for name in _table(slack.get("channels"))
        if name not in categories
    ]


def _duplicate_sources(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, source in enumerate(_list(data.get("sources"))):
        name = _table(source).get("name")
        if not isinstance(name, str):
            continue
        if name in first:
            message = f"'{name}' is already the name of sources[{first[name]}]"
            problems.append(Problem(format_path(("sources", index, "name")), message))
        else:
            first[name] = index
    return problems


def _unknown_category(name: str, categories: dict[str, Any]) -> str:
    return f"unknown category '{name}' (categories: {', '.join(categories)})"
