"""Pullers: the sources read from an API or a database rather than from files.

``PULLERS`` maps each pulled format name (``registry.PULLED_FORMATS``) to the factory of its
puller; ``governance.ingest.pull`` runs them through the ingestor.
"""

from __future__ import annotations

from typing import Final

from governance.sources.pullers import anthropic, litellm_db, openai
from governance.sources.pullers.base import PullContext, Puller, PullerFactory

__all__ = ["PULLERS", "PullContext", "Puller", "PullerFactory"]

PULLERS: Final[dict[str, PullerFactory]] = {
    "openai-usage": openai.usage_puller,
    "openai-costs": openai.costs_puller,
    "anthropic-usage": anthropic.usage_puller,
    "anthropic-cost": anthropic.cost_puller,
    "litellm-db": litellm_db.LiteLLMDbPuller,
}
