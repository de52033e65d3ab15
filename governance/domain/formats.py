"""The format names of DESIGN section 4, with their ledger layer.

The config validates ``[[sources]] format`` against these names; each reader module in
governance/sources/ declares its own, and governance/sources/formats.py maps names to readers.
"""

from __future__ import annotations

from typing import Final, Literal

Layer = Literal["gateway", "billing"]

FORMAT_LAYERS: Final[dict[str, Layer]] = {
    "litellm": "gateway",
    "litellm-db": "gateway",
    "portkey": "gateway",
    "helicone": "gateway",
    "openrouter": "gateway",
    "openai-usage": "billing",
    "openai-costs": "billing",
    "anthropic-usage": "billing",
    "anthropic-cost": "billing",
    "focus": "billing",
    "csv": "gateway",
    "jsonl": "gateway",
}

# Formats read from an HTTP API or a database rather than from files.
PULLED_FORMATS: Final[frozenset[str]] = frozenset(
    {"litellm-db", "openai-usage", "openai-costs", "anthropic-usage", "anthropic-cost"}
)

FORMAT_NAMES: Final[tuple[str, ...]] = tuple(FORMAT_LAYERS)
