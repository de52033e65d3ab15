"""Model tiers: canonical model ids and the ordered glob patterns that place them in a tier."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Final

UNCLASSIFIED: Final = "unclassified"

_VENDORS: Final = "anthropic|meta|mistral|amazon|cohere|ai21|qwen|openai"
# Bedrock ids: "[region.]vendor.model". The vendor is only stripped when a model name follows.
# DeepSeek keeps its vendor ("deepseek.r1-v1:0"): the rest alone would not say what it is.
_BEDROCK_REGION: Final = re.compile(
    rf"\A(?:us|us-gov|eu|apac|jp|au|ca|global)\.(?=(?:{_VENDORS}|deepseek)\.)"
)
_BEDROCK_VENDOR: Final = re.compile(rf"\A(?:{_VENDORS})\.(?=.)", re.DOTALL)


@lru_cache(maxsize=8192)
def canonical_model(model: str) -> str:
    """The model id without whitespace, case or provider prefix.

    ``openrouter/anthropic/claude-3.5-sonnet`` -> ``claude-3.5-sonnet``,
    ``us.anthropic.claude-3-haiku-20240307-v1:0`` -> ``claude-3-haiku-20240307-v1:0``.
    """
    name = model.lower().rpartition("/")[2].strip()
    return _BEDROCK_VENDOR.sub("", _BEDROCK_REGION.sub("", name, count=1), count=1)


@dataclass(frozen=True)
class TierMap:
    """Ordered tiers, each with glob patterns on the canonical model id."""

    patterns: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Sequence[str]]) -> TierMap:
        """Build from ``{tier: [pattern, ...]}``, keeping the mapping's order."""
        tiers: list[tuple[str, tuple[str, ...]]] = []
        for tier, patterns in mapping.items():
            if isinstance(patterns, str):
                raise TypeError(f"patterns of tier {tier!r} must be a list of strings")
            tiers.append((tier, tuple(patterns)))
        return cls(tuple(tiers))

    @property
    def tier_names(self) -> tuple[str, ...]:
        """The tier names, in order."""
        return tuple(tier for tier, _ in self.patterns)

    def tier_of(self, model: str) -> str:
        """The first tier with a pattern matching the canonical ``model``; else UNCLASSIFIED."""
        name = canonical_model(model)
        if not name:
            return UNCLASSIFIED
        for tier, patterns in self.patterns:
            if any(fnmatchcase(name, pattern.lower()) for pattern in patterns):
                return tier
        return UNCLASSIFIED
