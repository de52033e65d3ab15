"""A usage record as a source reports it, and how it becomes a ledger row.

Every reader translates its format into ``UsageRecord``; ``to_ledger_row`` then gives it a tier,
a category, a price and the budget currency. Both are pure: prices come in as a function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Final, Literal

from governance.domain import limits
from governance.domain.categorise import Attribution, Rule, categorise
from governance.domain.credentials import looks_like_credential
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
    priced_model: str | None = None  # the model the gateway priced, when it says


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
    # surrogatepass: a key with half an emoji in it still hashes (the hash is all that is kept).
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@lru_cache(maxsize=65536)
def _shown(text: str) -> str:
    """A team, project or tag as the ledger keeps it: one shaped like a credential (a key
    pasted as a label) only as its hash, as API keys are."""
    return hash_api_key(text) if looks_like_credential(text) else text


def stored_attribution(
    model: str,
    tags: Iterable[str],
    team: str | None,
    project: str | None,
    api_key: str | None,
) -> Attribution:
    """What categorising reads of a row, labels as the ledger keeps them: routers call this
    too (``governance.domain.routing``), so that they decide exactly as the ledger does."""
    return Attribution(
        model=model,
        tags=tuple(_shown(tag) for tag in tags),
        team=None if team is None else _shown(team),
        project=None if project is None else _shown(project),
        api_key=api_key,
    )


def check(record: UsageRecord, now: datetime | None = None) -> None:
    """Raise BadRecord when a record is impossible or holds what the ledger cannot (see
    ``limits``); ``now`` is the ingest's clock, bounding times to the future (None: unbounded)."""
    if record.occurred_at.tzinfo is None:
        raise BadRecord("timestamp has no timezone")
    counts = (record.input_tokens, record.cached_input_tokens, record.cache_write_tokens,
              record.output_tokens)  # fmt: skip
    # Every record passes through here: the common case is decided in a few comparisons.
    if not (
        all(0 <= n <= limits.BIGINT_MAX for n in counts)
        and 0 <= record.requests <= limits.INTEGER_MAX
    ):
        _refuse_counts(record)
    if (problem := limits.time_problem("timestamp", record.occurred_at, now)) is not None:
        raise BadRecord(problem)
    if record.cost is not None and not record.cost.is_finite():
        raise BadRecord(f"cost is not a finite amount: {record.cost}")
    if not record.source_key:
        raise BadRecord("no record id")
    texts = [t for t in (record.source_key, record.model, record.provider, record.currency,
                         record.team, record.project, *record.tags) if t]  # fmt: skip
    joined = "".join(texts)
    if not joined.isascii() or "\x00" in joined:
        for text in texts:  # no ledger row should hold one: refused, as the record's whole text
            if (problem := limits.unstorable(text)) is not None:
                raise BadRecord(f"{problem} in its text")
    for name, width in limits.TEXT_WIDTHS.items():
        value = getattr(record, name)
        if value is not None and len(value) > width:
            raise BadRecord(f"{name} is {len(value):,} characters long; the ledger holds {width}")


def _refuse_counts(record: UsageRecord) -> None:
    for name in ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens"):
        if (problem := limits.count_problem(name, getattr(record, name))) is not None:
            raise BadRecord(problem)
    if problem := limits.count_problem("requests", record.requests, limits.INTEGER_MAX):
        raise BadRecord(problem)


def in_budget_currency(amount: Decimal, currency: str, rules: LedgerRules) -> dict[str, object]:
    """The ledger's money columns for ``amount`` in ``currency``, converted by ``[fx]``.

    Raises BadRecord when the currency has no rate (never summed as if it were the budget's)
    or an amount is beyond what the ledger holds (a huge cost, or a price that makes one).
    """
    if currency == rules.currency:
        return {
            "cost": from_nanos(_nanos("cost", amount)),
            "original_cost": None,
            "original_currency": None,
            "fx_rate": None,
        }
    rate = rules.fx.get(currency)
    if rate is None:
        raise BadRecord(
            f"cost is in {currency} and [fx] has no {currency} rate to {rules.currency}"
        )
    _nanos(f"cost in {currency}", amount)
    return {
        "cost": from_nanos(_nanos(f"cost converted to {rules.currency}", amount * rate)),
        "original_cost": amount,
        "original_currency": currency,
        "fx_rate": str(rate),
    }


def _nanos(name: str, amount: Decimal) -> int:
    """``amount`` in nano-units, as a Money column stores it; BadRecord if it cannot hold it."""
    try:
        nanos = to_nanos(amount)
    except ValueError:  # NaN, Infinity, 1e51 and beyond
        nanos = limits.BIGINT_MAX + 1
    if -limits.BIGINT_MAX <= nanos <= limits.BIGINT_MAX:
        return nanos
    raise BadRecord(limits.money_problem(name, amount) or f"{name} is out of range: {amount}")


def to_ledger_row(
    record: UsageRecord, rules: LedgerRules, layer: str = "gateway", now: datetime | None = None
) -> dict[str, object]:
    """The ledger row of ``record`` (columns of ``governance.ledger.tables.ledger``).

    A gateway's zero cost with tokens means it had no price: the row is priced. A bill's
    zero is the provider's truth (a drawdown, a free tier) and stays.

    Raises BadRecord for an impossible record, a value the ledger cannot hold (a time more than
    a day after ``now``, the ingest's clock, among them) or a currency without an ``[fx]`` rate.
    """
    check(record, now)
    model = canonical_model(record.model)
    tokens = Tokens(
        record.input_tokens,
        record.cached_input_tokens,
        record.cache_write_tokens,
        record.output_tokens,
    )
    amount, currency, basis = _cost(record, model, tokens, rules, layer == "billing")
    try:
        money = in_budget_currency(amount, currency, rules)
    except BadRecord as exc:
        if basis != "priced":
            raise
        raise BadRecord(f"{exc}, as priced for {model!r} from its tokens") from None
    attribution = stored_attribution(
        model, record.tags, record.team, record.project, record.api_key
    )
    team, project, tags = attribution.team, attribution.project, attribution.tags
    return {
        "source_key": record.source_key,
        "occurred_at": record.occurred_at.astimezone(UTC),
        "provider": record.provider or UNKNOWN_PROVIDER,
        "model": model,
        "priced_model": _priced_as(record, model, tokens, rules, basis),
        "tier": rules.tier_of(model),
        "category": rules.category_of(attribution),
        "team": team,
        "project": project,
        "api_key_hash": None if record.api_key is None else hash_api_key(record.api_key),
        "tags": list(tags),
        "requests": record.requests,
        "input_tokens": record.input_tokens,
        "cached_input_tokens": record.cached_input_tokens,
        "cache_write_tokens": record.cache_write_tokens,
        "output_tokens": record.output_tokens,
        "currency": rules.currency,
        "cost_basis": basis,
        **money,
    }


def _priced_as(
    record: UsageRecord, model: str, tokens: Tokens, rules: LedgerRules, basis: CostBasis
) -> str | None:
    """The model whose rates the gateway's cost is, when not the served ``model``'s: the
    model it names as priced (LiteLLM names the requested one even where it priced the
    served one), when its price from the tokens is nearer the reported cost. None otherwise."""
    named = canonical_model(record.priced_model or "")
    if basis != "reported" or not named or named == model or not record.cost:
        return None
    # Only rows whose names differ get here (a router rerouted them): two lookups are cheap.
    asked = rules.price(named, record.provider, tokens, record.occurred_at)
    if asked is None or asked[1] != record.currency:
        return None
    served = rules.price(model, record.provider, tokens, record.occurred_at)
    if served is not None and abs(served[0] - record.cost) <= abs(asked[0] - record.cost):
        return None
    return named[: limits.TEXT_WIDTHS["model"]]


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
