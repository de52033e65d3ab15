"""Categories: ordered rules over a ledger row's tags, team, project, API key and model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from fnmatch import fnmatchcase
from typing import Final

from governance.domain.tiers import canonical_model

UNCATEGORISED: Final = "uncategorised"


@dataclass(frozen=True)
class Attribution:
    """What a ledger row says about who spent: the inputs of categorising."""

    model: str = ""
    tags: tuple[str, ...] = ()
    team: str | None = None
    project: str | None = None
    api_key: str | None = None


def _tag_text(value: object) -> str:
    # JSON spells booleans in lower case; "True" would never match a rule written from JSON.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def tags_from(labels: object) -> tuple[str, ...]:
    """Normalise a source's labels into tag strings, in order, without duplicates or blanks.

    ``None`` -> ``()``; ``"batch"`` -> ``("batch",)``; ``["a", 1, None]`` -> ``("a", "1")``;
    ``{"category": "critical"}`` -> ``("category:critical",)`` (None values are dropped).
    """
    if labels is None:
        return ()
    items: list[str]
    if isinstance(labels, Mapping):
        items = [f"{_tag_text(k)}:{_tag_text(v)}" for k, v in labels.items() if v is not None]
    elif isinstance(labels, list | tuple):
        items = [_tag_text(item) for item in labels if item is not None]
    elif isinstance(labels, set | frozenset):
        items = sorted(_tag_text(item) for item in labels if item is not None)
    else:
        items = [_tag_text(labels)]
    return tuple(dict.fromkeys(item for item in items if item))


def _any_match(value: str, patterns: tuple[str, ...]) -> bool:
    lowered = value.lower()
    return any(fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


@dataclass(frozen=True)
class Match:
    """Conditions on a row: every non-empty field must hold; within a field any pattern may.

    Patterns are case-insensitive globs. ``model`` is matched against the canonical model id.
    A row without the field (None, or no model) never satisfies a condition on it.
    """

    tag: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    project: tuple[str, ...] = ()
    api_key: tuple[str, ...] = ()
    model: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Config writes a single pattern as a bare string; as a tuple it would be its characters.
        for field in fields(self):
            value: object = getattr(self, field.name)
            if isinstance(value, str):
                object.__setattr__(self, field.name, (value,))
            elif not isinstance(value, tuple) and isinstance(value, Sequence):
                object.__setattr__(self, field.name, tuple(value))

    def matches(self, row: Attribution) -> bool:
        """Whether ``row`` satisfies every condition of this match."""
        if self.tag and not any(_any_match(tag, self.tag) for tag in row.tags):
            return False
        model = canonical_model(row.model)
        checks = ((self.team, row.team), (self.project, row.project), (self.api_key, row.api_key))
        for patterns, value in (*checks, (self.model, model or None)):
            if patterns and (value is None or not _any_match(value, patterns)):
                return False
        return True


@dataclass(frozen=True)
class Rule:
    """Rows that satisfy ``match`` belong to ``category``."""

    category: str
    match: Match = Match()


def categorise(rules: Sequence[Rule], row: Attribution) -> str:
    """The category of the first rule whose match holds for ``row``; else UNCATEGORISED."""
    for rule in rules:
        if rule.match.matches(row):
            return rule.category
    return UNCATEGORISED
