"""A usage record as a source reports it, and how it becomes a ledger row.

Every reader translates its format into ``UsageRecord``; ``to_ledger_row`` then gives it a tier,
a category, a price and the budget currency. Both are pure: prices come in as a function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Final, Literal

from governance.domain.categorise import Attribution, Rule, categorise
from governance.domain.money import from_nanos, to_nanos
from governance.domain.tiers import TierMap, canonical_model

CostBasis = Literal["reported", "priced", "unpriced"]
UNKNOWN_PROVIDER: Final = "unknown"
_MEMO_LIMIT: Final = 100_000


class BadRecord(ValueError):
    """A record that cannot become a ledger row; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One record of spend as its source reports it, before tiering, categorising and pricing.

    Token counts follow OpenAI's convention: ``input_tokens`` counts every input token, the
    ``cached_input_tokens`` read from cache and the ``cache_write_tokens`` written to it included.
    """

    source_key: str
    occurred_at: datetime  # aware
    model: str = ""
    provider: str = UNKNOWN_PROVIDER
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    requests: int = 1
    cost: Decimal | None = None  # None when the source reports no cost: it is priced
    currency: str = "USD"
    cache_hit: bool = False  # answered from a gateway's cache: free, never priced
    team: str | None = None
    project: str | None = None
    api_key: str | None = None  # as reported; only its hash reaches the ledger
    tags: tuple[str, ...] = field(default=())
    charge: Literal["usage", "credit", "adjustment"] = "usage"  # only usage cannot be negative


@dataclass(frozen=True, slots=True)
class Tokens:
    """What a price is computed from."""

    input: int
    cached_input: int
    cache_write: int
    output: int


# (canonical model, provider, tokens, when) -> cost in `currency`, or None when no price is known.
PriceLookup = Callable[[str, str, Tokens, datetime], tuple[Decimal, str] | None]


@dataclass(frozen=True, slots=True)
class LedgerRules:
    """What a record needs to become a row: the config's tiers, rules, currency and fx rates."""

    tiers: TierMap
    rules: Sequence[Rule]
    currency: str
    fx: Mapping[str, Decimal]
    price: PriceLookup
    # Tier and category per model and attribution, remembered: rows repeat them endlessly.
    _memo: dict[object, str] = field(default_factory=dict, compare=False, repr=False)

    def tier_of(self, model: str) -> str:
        tier = self._memo.get(model)
        if tier is None:
            tier = self._remember(model, self.tiers.tier_of(model))
        return tier

    def category_of(self, attribution: Attribution) -> str:
        category = self._memo.get(attribution)
        if category is None:
            category = self._remember(attribution, categorise(self.rules, attribution))
        return category

    def _remember(self, key: object, value: str) -> str:
        if len(self._memo) >= _MEMO_LIMIT:  # per-request tags could make keys endless
            self._memo.clear()
        self._memo[key] = value
        return value


@lru_cache(maxsize=65536)
def hash_api_key(api_key: str) -> str:
    """The only form of an API key that is stored: sha256, hex, first 32 characters."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:32]


def check(record: UsageRecord) -> None:
    """Raise BadRecord when a record is impossible."""
    if record.occurred_at.tzinfo is None:
        raise BadRecord("timestamp has no timezone")
    counts = (
        record.input_tokens,
        record.cached_input_tokens,
        record.cache_write_tokens,
        record.output_tokens,
        record.requests,
    )
    if any(count < 0 for count in counts):
        raise BadRecord("negative token or request count")
    if not record.source_key:
        raise BadRecord("no record id")
    texts = (record.source_key, record.model, record.provider, record.currency, record.team,
             record.project, *record.tags)  # fmt: skip
    if any(text is not None and "\x00" in text for text in texts):
        raise BadRecord("a NUL character (U+0000) in its text")  # no ledger row should hold one


def in_budget_currency(amount: Decimal, currency: str, rules: LedgerRules) -> dict[str, object]:
    """The ledger's money columns for ``amount`` in ``currency``, converted by ``[fx]``.

    Raises BadRecord when the currency has no rate: never summed as if it were the budget's.
    """
    if currency == rules.currency:
        return {
            "cost": from_nanos(to_nanos(amount)),
            "original_cost": None,
            "original_currency": None,
            "fx_rate": None,
        }
    rate = rules.fx.get(currency)
    if rate is None:
        raise BadRecord(
            f"cost is in {currency} and [fx] has no {currency} rate to {rules.currency}"
        )
    return {
        "cost": from_nanos(to_nanos(amount * rate)),
        "original_cost": amount,
        "original_currency": currency,
        "fx_rate": str(rate),
    }


def to_ledger_row(
    record: UsageRecord, rules: LedgerRules, layer: str = "gateway"
) -> dict[str, object]:
    """The ledger row of ``record`` (columns of ``governance.ledger.tables.ledger``).

    A gateway's zero cost with tokens means it had no price: the row is priced. A bill's
    zero is the provider's truth (a drawdown, a free tier) and stays.

    Raises BadRecord for an impossible record or a currency without an ``[fx]`` rate.
    """
    check(record)
    model = canonical_model(record.model)
    tokens = Tokens(
        record.input_tokens,
        record.cached_input_tokens,
        record.cache_write_tokens,
        record.output_tokens,
    )
    amount, currency, basis = _cost(record, model, tokens, rules, layer == "billing")
    money = in_budget_currency(amount, currency, rules)
    attribution = Attribution(
        model=model,
        tags=record.tags,
        team=record.team,
        project=record.project,
        api_key=record.api_key,
    )
    return {
        "source_key": record.source_key,
        "occurred_at": record.occurred_at.astimezone(UTC),
        "provider": record.provider or UNKNOWN_PROVIDER,
        "model": model,
        "tier": rules.tier_of(model),
        "category": rules.category_of(attribution),
        "team": record.team,
        "project": record.project,
        "api_key_hash": None if record.api_key is None else hash_api_key(record.api_key),
        "tags": list(record.tags),
        "requests": record.requests,
        "input_tokens": record.input_tokens,
        "cached_input_tokens": record.cached_input_tokens,
        "cache_write_tokens": record.cache_write_tokens,
        "output_tokens": record.output_tokens,
        "currency": rules.currency,
        "cost_basis": basis,
        **money,
    }


def _cost(
    record: UsageRecord, model: str, tokens: Tokens, rules: LedgerRules, billed: bool
) -> tuple[Decimal, str, CostBasis]:
    has_tokens = (tokens.input + tokens.output) > 0
    if record.cache_hit:
        return Decimal(0), record.currency, "reported"
    if record.cost is not None:
        if record.cost < 0 and record.charge == "usage":
            raise BadRecord(f"negative cost {record.cost} on a usage record")
        # A zero cost with tokens means the gateway had no price for the model.
        if record.cost != 0 or not has_tokens or billed:
            return record.cost, record.currency, "reported"
    if not has_tokens:
        return Decimal(0), record.currency, "reported"
    priced = rules.price(model, record.provider, tokens, record.occurred_at)
    if priced is None:
        return Decimal(0), rules.currency, "unpriced"
    amount, currency = priced
    return amount, currency, "priced"
