"""Google Cloud's billing export as FOCUS: Vertex AI Gemini, which never passes the gateway.

One CSV per period with a row per billed day, project, model and token direction, in the
columns of FOCUS 1.2 plus the provider columns of 1.3 and the AI SKU details
(``SkuPriceDetails`` with ``ModelId`` and ``TokenDirection``) that the spec's own AI samples
carry. Rows are appended in day order, so the file of a month in progress only grows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from governance.demo.billing import day_start
from governance.demo.catalogue import MODELS, Workload
from governance.demo.company import VERTEX
from governance.demo.scenario import Plan
from governance.domain.pricing import Rates

PROVIDER: Final = "Google Cloud"
COLUMNS: Final = (
    *("BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency"),
    *("BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass"),
    *("ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart"),
    *("ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice"),
    *("EffectiveCost", "HostProviderName", "InvoiceIssuerName", "ListCost", "ListUnitPrice"),
    *("PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName"),
    *("RegionId", "RegionName", "ResourceId", "ResourceName", "ServiceCategory", "ServiceName"),
    *("ServiceProviderName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails"),
    *("SkuPriceId", "SubAccountId", "SubAccountName", "Tags"),
)
_ACCOUNT: Final = ("01A7F3-5C2B9E-D4E81F", "Acme Corp billing")
_MILLION: Final = Decimal(1_000_000)
_EXPORT_PRECISION: Final = Decimal("1E-10")


def _z(day: date) -> str:
    return day_start(day).isoformat().replace("+00:00", "Z")


def _sku(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest().upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}"


def _row(workload: Workload, day: date, direction: str, tokens: int, rate: Decimal) -> list[str]:
    model = MODELS[workload.mix[0].model]
    cost = (tokens * rate / _MILLION).quantize(_EXPORT_PRECISION)
    month = day.replace(day=1)
    next_month = (month + timedelta(days=32)).replace(day=1)
    sku = _sku(model.billed, direction)
    details = {
        "ModelDeveloper": "Google",
        "ModelFamily": "Gemini",
        "ModelId": model.billed,
        "TokenDirection": direction,
        **({"TokenCacheAction": "Uncached"} if direction == "Input" else {}),
    }
    tags = dict(tag.split(":", 1) for tag in workload.tags)
    resource = (
        f"projects/{workload.project}/locations/us-central1/publishers/google/models/{model.billed}"
    )
    money, unit_price = f"{cost.normalize():f}", f"{rate.normalize():f}"
    return [
        *(money, *_ACCOUNT, "USD", _z(next_month), _z(month), "Usage", ""),
        f"{direction} tokens for {model.billed}",
        *("Usage-Based", _z(day + timedelta(days=1)), _z(day), str(tokens), "Tokens"),
        *(money, unit_price, money, PROVIDER, PROVIDER, money, unit_price, "Standard"),
        *(str(Decimal(tokens) / _MILLION), "1000000 Tokens", PROVIDER, PROVIDER),
        *("us-central1", "Iowa", resource, model.billed, "AI and Machine Learning", "Vertex AI"),
        *(PROVIDER, "Generative AI", sku, f"{direction} Tokens"),
        json.dumps(details),
        *(f"{sku}-{direction.lower()}-ondemand", workload.project, workload.project),
        json.dumps(tags),
    ]


def rows_of_day(plan: Plan, rates: Mapping[str, Rates | None], day: date) -> list[list[str]]:
    """The export's rows of one billed day: input and output tokens per project and model."""
    by_date = {d.date: d for d in plan.days}
    rows = []
    for workload in VERTEX:
        price = rates.get(workload.mix[0].model)
        if price is None or day not in by_date:
            continue
        rng = random.Random(f"{plan.seed}|{plan.period.label}|{workload.name}|{day}")
        target = Decimal(repr(plan.target(workload, by_date[day])))
        input_share = Decimal(repr(round(rng.uniform(0.7, 0.85), 4)))
        inputs = int(target * input_share / price.input * _MILLION)
        outputs = int(target * (1 - input_share) / price.output * _MILLION)
        rows.append(_row(workload, day, "Input", inputs, price.input))
        rows.append(_row(workload, day, "Output", outputs, price.output))
    return rows


def export(plan: Plan, rates: Mapping[str, Rates | None], days: Iterable[date]) -> str:
    """The FOCUS CSV of the billed ``days``."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for day in sorted(days):
        writer.writerows(rows_of_day(plan, rates, day))
    return text.getvalue()
