"""Cost from tokens at per-million-token rates (the config's ``[prices]`` overrides)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from governance.domain.usage import Tokens

_MILLION: Final = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Rates:
    """Prices per million tokens; cache reads and writes default to the input rate."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None


def cost_at(rates: Rates, tokens: Tokens) -> Decimal:
    """What ``tokens`` cost at ``rates``; cached and cache-write tokens are part of the input."""
    uncached = max(tokens.input - tokens.cached_input - tokens.cache_write, 0)
    read_rate = rates.input if rates.cache_read is None else rates.cache_read
    write_rate = rates.input if rates.cache_write is None else rates.cache_write
    total = (
        uncached * rates.input
        + tokens.cached_input * read_rate
        + tokens.cache_write * write_rate
        + tokens.output * rates.output
    )
    return total / _MILLION
