"""OpenAI's Admin API: ``GET /v1/organization/usage/completions`` and ``/v1/organization/costs``.

An Admin key as ``Authorization: Bearer``; ``start_time`` (inclusive) and ``end_time``
(exclusive) in epoch seconds; ``bucket_width`` (``1d``; usage also ``1h``, ``1m``); ``group_by``
repeated once per field, as OpenAI's own cookbook sends it; ``limit`` buckets per page (usage
at most 31 daily buckets, costs 180); ``page`` = the previous page's ``next_page``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from governance.sources.pullers.base import PullContext
from governance.sources.pullers.billing import BillingApi, BillingPuller


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _window(start: datetime, end: datetime) -> list[tuple[str, str]]:
    return [("start_time", str(int(start.timestamp()))), ("end_time", str(int(end.timestamp())))]


# Model, project and key are what the ledger prices and categorises by; batch halves the price.
USAGE = BillingApi(
    headers=_headers,
    window=_window,
    group_param="group_by",
    bucket_times=("start_time", "end_time"),
    group_by=("project_id", "api_key_id", "model", "batch"),
)
COSTS = replace(USAGE, group_by=("project_id", "line_item"))


def usage_puller(context: PullContext) -> BillingPuller:
    return BillingPuller(context, USAGE)


def costs_puller(context: PullContext) -> BillingPuller:
    return BillingPuller(context, COSTS)
