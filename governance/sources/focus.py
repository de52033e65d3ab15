"""FOCUS billing CSV (1.0 to 1.3, and the AI columns of the drafts): one row, one record.

Cost is ``BilledCost`` in ``BillingCurrency`` at ``ChargePeriodStart``. The provider is
``ServiceProviderName`` (FOCUS 1.3), else ``ProviderName`` then ``PublisherName`` (1.0 to 1.2,
deprecated by 1.3). The model is ``ModelId`` in the ``SkuPriceDetails`` JSON object (1.1 and
later; a 1.0 file has none: its rows are costs with model ""). Tokens are ``ConsumedQuantity``
when ``ConsumedUnit`` is "Tokens", routed by ``TokenDirection`` and ``TokenCacheAction``.

Traps: an absent optional column is an empty cell (the spec's own samples also write "(null)");
``BilledCost`` can carry many decimals or an exponent and is negative on credits and refunds
(FOCUS allows negative Usage rows too); "Token-Hours" of cache storage are not tokens; a token
counted on a cache "Read" or "Write" row is not counted again on the "Uncached" row, so input
tokens add up across rows; a SKU without ``TokenDirection`` meters both directions and cannot be
split; ``BilledCost`` 0 with tokens is usage drawn down from a prepayment whose Purchase row
carries the money, so it must never be priced. Rows have no id: the key hashes the identity
columns, never the cost, so a re-export that revises a row's cost replaces it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from governance.domain.categorise import tags_from
from governance.domain.usage import UNKNOWN_PROVIDER, BadRecord, UsageRecord
from governance.sources import fields
from governance.sources.base import Format, ParseResult, ReadContext, parse_one, reject

NAME = "focus"
Charge = Literal["usage", "credit", "adjustment"]

_SNIFF = frozenset({"BilledCost", "ChargePeriodStart", "BillingCurrency"})
_NO_TOKENS = (0, 0, 0, 0)
_NULLS = frozenset({"", "null", "(null)"})
_PROVIDERS = ("ServiceProviderName", "ProviderName", "PublisherName")
# Tax and Purchase are money on the bill, not metered usage: adjustments (either sign).
_CHARGES: dict[str, Charge] = {
    "usage": "usage",
    "credit": "credit",
    "adjustment": "adjustment",
    "tax": "adjustment",
    "purchase": "adjustment",
}
# DESIGN's identity columns (the charge period and the tags are added normalised) and the
# dimensions along which a provider splits one SKU's charge for one period into several rows
# (correction class, region, commitment coverage, API key, principal): without those, two such
# rows would share a key and one would replace the other. None of them changes when a re-export
# revises a cost; descriptions can (they do in the spec's correction examples): left out.
_IDENTITY: tuple[str, ...] = (
    *("BillingAccountId", "SubAccountId", "ChargeCategory", "SkuId", "SkuPriceId", "ResourceId"),
    *("ChargeClass", "RegionId", "PricingCategory", "CommitmentDiscountId"),
    *("CommitmentDiscountStatus", "CredentialId", "PrincipalId"),
)


def sniff(value: Any) -> bool:
    return isinstance(value, Mapping) and value.keys() >= _SNIFF


def _cell(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column)
    text = "" if value is None else str(value).strip()
    return None if text.lower() in _NULLS else text


def _json_object(row: Mapping[str, Any], column: str) -> Mapping[str, Any]:
    text = _cell(row, column)
    if text is None:
        return {}
    try:
        value = fields.decode_json(text)
    except ValueError:
        raise BadRecord(f"'{column}' is not JSON: {text[:80]!r}") from None
    if not isinstance(value, Mapping):
        raise BadRecord(f"'{column}' is not a JSON object: {text[:80]!r}")
    return value


def source_key(row: Mapping[str, Any], start: datetime, end: datetime | None, cost: Decimal) -> str:
    """sha256 (hex, first 32 characters) of the format name and the row's identity columns."""
    parts = [NAME, start.isoformat(), end.isoformat() if end else ""]
    parts += [_cell(row, column) or "" for column in _IDENTITY]
    # Sorted keys: a re-export may list the same tags in another order.
    parts.append(json.dumps(_json_object(row, "Tags"), sort_keys=True, default=str))
    if (_cell(row, "ChargeClass") or "").lower() == "correction":
        # A correction negates a row and restates it in two rows alike but for the sign.
        parts.append("-" if cost < 0 else "+")
    # Escaping the separator keeps ("a|b", "c") and ("a", "b|c") apart.
    text = "|".join(part.replace("\\", "\\\\").replace("|", "\\|") for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _tokens(row: Mapping[str, Any], details: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """(input, cached input, cache write, output) tokens of a row metered in tokens."""
    quantity = _cell(row, "ConsumedQuantity")
    if (_cell(row, "ConsumedUnit") or "").lower() != "tokens" or quantity is None:
        return _NO_TOKENS
    amount = fields.amount(quantity, "ConsumedQuantity")
    if amount is None or amount < 0:
        return _NO_TOKENS  # a correction's negated tokens: the ledger holds no negative counts
    count = fields.integer(quantity, "ConsumedQuantity")
    direction = str(details.get("TokenDirection") or "").strip().lower()
    cache = str(details.get("TokenCacheAction") or "").strip().lower()
    if direction == "output":
        return 0, 0, 0, count
    if direction != "input":
        return _NO_TOKENS  # one meter for both directions: no honest split
    # Input counts cache reads and writes too (the UsageRecord convention).
    return count, count if cache == "read" else 0, count if cache == "write" else 0, 0


def _charge(row: Mapping[str, Any], cost: Decimal) -> Charge:
    category = _cell(row, "ChargeCategory")
    if category is None:
        raise BadRecord("missing field 'ChargeCategory'")
    charge = _CHARGES.get(category.lower())
    if charge is None:
        known = "Usage, Purchase, Tax, Credit, Adjustment"
        raise BadRecord(f"unknown ChargeCategory {category!r} (FOCUS has {known})")
    # FOCUS allows negative Usage (refunds, negated rows); the ledger's usage cannot be negative.
    return "adjustment" if charge == "usage" and cost < 0 else charge


def _record(row: Mapping[str, Any]) -> UsageRecord:
    cost = fields.amount(_cell(row, "BilledCost"), "BilledCost")
    if cost is None:
        raise BadRecord("missing field 'BilledCost'")
    billing_currency = _cell(row, "BillingCurrency")
    if billing_currency is None:
        raise BadRecord("missing field 'BillingCurrency'")
    try:
        currency = fields.currency(billing_currency)
    except BadRecord as exc:
        raise BadRecord(f"'BillingCurrency': {exc}") from None
    start = fields.timestamp(_cell(row, "ChargePeriodStart"), "ChargePeriodStart")
    end_text = _cell(row, "ChargePeriodEnd")
    end = None if end_text is None else fields.timestamp(end_text, "ChargePeriodEnd")
    details = _json_object(row, "SkuPriceDetails")
    tokens = _tokens(row, details)
    input_tokens, cached_input_tokens, cache_write_tokens, output_tokens = tokens
    provider = next((name for column in _PROVIDERS if (name := _cell(row, column))), None)
    return UsageRecord(
        source_key=source_key(row, start, end, cost),
        occurred_at=start,
        model=fields.text(details.get("ModelId")) or "",
        provider=provider.lower() if provider else UNKNOWN_PROVIDER,
        requests=0,  # a bill line counts no requests of its own (as the other billing readers)
        cost=cost,
        currency=currency,
        project=_cell(row, "SubAccountId") or _cell(row, "SubAccountName"),
        api_key=_cell(row, "CredentialId"),
        tags=tags_from(_json_object(row, "Tags")),
        charge=_charge(row, cost),
        input_tokens=input_tokens,
        cached_input_tokens=cached_input_tokens,
        cache_write_tokens=cache_write_tokens,
        output_tokens=output_tokens,
    )


def parse(value: Any, location: str, context: ReadContext) -> Iterator[ParseResult]:
    if not isinstance(value, Mapping):
        yield reject(location, "not a FOCUS row (a CSV row with BilledCost)", value)
        return
    yield parse_one(location, value, _record)


FORMAT = Format(name=NAME, layer="billing", sniff=sniff, parse=parse)
