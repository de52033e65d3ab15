"""List prices of the demo's models, per million tokens, from the ledger's own Pricer.

The Pricer answers with genai-prices (or the config's ``[prices]``); asking it once per model
and rate keeps the demo's costs equal to what the ledger would price, at a fraction of the cost
of a genai-prices call per request. Rates are read below any long-context price tier.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

from governance.demo.catalogue import MODELS
from governance.domain.pricing import Rates
from governance.domain.usage import PriceLookup, Tokens

_PROBE: Final = 100_000  # tokens: below every tier threshold (128k, 200k) of the models used
_SCALE: Final = Decimal(1_000_000) / _PROBE


def list_rates(price: PriceLookup, when: datetime, currency: str) -> dict[str, Rates | None]:
    """Each model's rates per million tokens in ``currency``; None when nobody prices it."""
    found: dict[str, Rates | None] = {}
    for key, model in MODELS.items():
        probes = [
            Tokens(_PROBE, 0, 0, 0),
            Tokens(0, 0, 0, _PROBE),
            Tokens(_PROBE, _PROBE, 0, 0),
            Tokens(_PROBE, 0, _PROBE, 0),
        ]
        answers = [price(model.logged.rpartition("/")[2], model.provider, t, when) for t in probes]
        if any(a is None or a[1] != currency for a in answers):
            found[key] = None  # unpriced, or priced in a currency the budget does not use
            continue
        uncached, output, read, write = (a[0] * _SCALE for a in answers if a is not None)
        found[key] = Rates(uncached, output, cache_read=read, cache_write=write)
    return found
