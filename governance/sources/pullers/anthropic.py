"""Anthropic's Admin API: ``GET /v1/organizations/usage_report/messages`` and ``cost_report``.

An Admin key as ``x-api-key`` with ``anthropic-version: 2023-06-01``; ``starting_at`` and
``ending_at`` as RFC 3339 times (buckets snap to UTC minute/hour/day starts); ``bucket_width``
(``1d``; usage also ``1h``, ``1m``); ``group_by[]`` once per field (the form Anthropic's docs and
SDK use); ``limit`` buckets per page (31 daily buckets at most); ``page`` = ``next_page``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from governance.sources.pullers.base import PullContext
from governance.sources.pullers.billing import BillingApi, BillingPuller

API_VERSION = "2023-06-01"


def _headers(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": API_VERSION}


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(start: datetime, end: datetime) -> list[tuple[str, str]]:
    return [("starting_at", _rfc3339(start)), ("ending_at", _rfc3339(end))]


# Model, workspace and key price and categorise a row; tier and context window change prices.
USAGE = BillingApi(
    headers=_headers,
    window=_window,
    group_param="group_by[]",
    bucket_times=("starting_at", "ending_at"),
    group_by=("api_key_id", "workspace_id", "model", "service_tier", "context_window"),
)
COST = replace(USAGE, group_by=("workspace_id", "description"))


def usage_puller(context: PullContext) -> BillingPuller:
    return BillingPuller(context, USAGE)


def cost_puller(context: PullContext) -> BillingPuller:
    return BillingPuller(context, COST)
