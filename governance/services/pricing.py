"""Prices for rows that report tokens but no cost: ``[prices]`` overrides, then genai-prices.

genai-prices ships its price data in the package and is used offline, at the row's own
timestamp; it fails on provider-prefixed ids, so models arrive here already canonical.
"""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from genai_prices import Usage, calc_price

from governance.config import PriceConfig
from governance.domain.pricing import Rates, cost_at
from governance.domain.usage import Tokens

# Our provider names (LiteLLM's custom_llm_provider and the like) to genai-prices' ids.
_PROVIDER_IDS = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure",
    "azure_ai": "azure",
    "anthropic": "anthropic",
    "gemini": "google",
    "vertex_ai": "google",
    "google": "google",
    "bedrock": "aws",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "xai": "x-ai",
    "cohere": "cohere",
    "openrouter": "openrouter",
}


class Pricer:
    """Prices tokens in the budget currency (overrides) or in USD (genai-prices)."""

    def __init__(self, overrides: Mapping[str, PriceConfig], currency: str) -> None:
        self._overrides = {
            pattern.lower(): Rates(p.input, p.output, p.cache_read, p.cache_write)
            for pattern, p in overrides.items()
        }
        self._currency = currency

    def _override(self, model: str) -> Rates | None:
        if model in self._overrides:
            return self._overrides[model]
        for pattern, rates in self._overrides.items():
            if fnmatch.fnmatchcase(model, pattern):
                return rates
        return None

    def __call__(
        self, model: str, provider: str, tokens: Tokens, when: datetime
    ) -> tuple[Decimal, str] | None:
        rates = self._override(model)
        if rates is not None:
            return cost_at(rates, tokens), self._currency
        if not model:
            return None
        provider_id = _known_provider(model, _PROVIDER_IDS.get(provider.lower()))
        if provider_id is None:
            return None
        usage = Usage(
            input_tokens=tokens.input,
            cache_read_tokens=tokens.cached_input,
            cache_write_tokens=tokens.cache_write,
            output_tokens=tokens.output,
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # genai-prices warns on some models' tiers
                result = calc_price(
                    usage, model, provider_id=provider_id or None, genai_request_timestamp=when
                )
        except (LookupError, ValueError):
            return None
        return Decimal(result.total_price), "USD"


@lru_cache(maxsize=4096)
def _known_provider(model: str, provider_id: str | None) -> str | None:
    """The provider id genai-prices knows ``model`` under ("" for any), or None for none."""
    usage = Usage(input_tokens=1, output_tokens=1)
    for candidate in (provider_id, None) if provider_id else (None,):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                calc_price(usage, model, provider_id=candidate)
        except (LookupError, ValueError):
            continue
        return candidate or ""
    return None
