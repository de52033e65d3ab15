"""Billing API pages as the providers answer them, 7 daily buckets a page, with ``next_page``.

OpenAI ``GET /v1/organization/costs?bucket_width=1d&group_by=project_id,line_item``: amounts in
dollars as JSON numbers, currency lower case, line items like ``"gpt-4o-2024-08-06, input"``.
Anthropic ``GET /v1/organizations/cost_report?group_by[]=workspace_id&group_by[]=description``:
amounts as decimal strings in cents, with the description's parsed parts.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta
from decimal import Context, Decimal
from typing import Any, Final

from governance.demo.billing import Bill, LineKey, day_start
from governance.demo.catalogue import MODELS

PAGE_BUCKETS: Final = 7  # both APIs' default `limit` for daily buckets
_DOLLAR_DIGITS: Final = Context(prec=12)
_CENTS: Final = Decimal("0.00001")
_OPENAI_ITEMS: Final = {"input": "input", "cached": "cached input", "output": "output"}
_ANTHROPIC_TOKENS: Final = {
    "input": ("uncached_input_tokens", "Input Tokens"),
    "cached": ("cache_read_input_tokens", "Input Tokens, Cache Hit"),
    "written": ("cache_creation.ephemeral_5m_input_tokens", "Input Tokens, 5m Cache Write"),
    "output": ("output_tokens", "Output Tokens"),
}
# A stray result in a currency that the starter config has no [fx] rate for: quarantined.
STRAY_DAY: Final = 1
_STRAY: Final = {
    "object": "organization.costs.result",
    "amount": {"value": 3.2, "currency": "gbp"},
    "line_item": "gpt-4o-2024-08-06, input",
    "project_id": "proj_LegacyUkTeam0000000000",
    "api_key_id": None,
}


_ALPHANUMERIC: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _ident(prefix: str, text: str, length: int) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return prefix + "".join(_ALPHANUMERIC[byte % 62] for byte in digest[:length])


def openai_project(team: str) -> str:
    return _ident("proj_", f"openai|{team}", 20)


def anthropic_workspace(team: str) -> str:
    return _ident("wrkspc_01", f"anthropic|{team}", 22)


def _iso(day: date) -> str:
    return day_start(day).isoformat().replace("+00:00", "Z")


def _paginate(buckets: list[dict[str, Any]], days: list[date]) -> list[dict[str, Any]]:
    pages = []
    for first in range(0, len(buckets), PAGE_BUCKETS):
        more = first + PAGE_BUCKETS < len(buckets)
        cursor = (
            base64.b64encode(_iso(days[first + PAGE_BUCKETS]).encode()).decode() if more else None
        )
        pages.append(
            {
                "data": buckets[first : first + PAGE_BUCKETS],
                "has_more": more,
                "next_page": f"page_{cursor}" if cursor else None,
            }
        )
    return pages


def _openai_result(key: LineKey, cost: Decimal) -> dict[str, Any]:
    return {
        "object": "organization.costs.result",
        "amount": {"value": float(_DOLLAR_DIGITS.plus(cost)), "currency": "usd"},
        "line_item": f"{MODELS[key.model].billed}, {_OPENAI_ITEMS[key.kind]}",
        "project_id": openai_project(key.team),
        "api_key_id": None,
    }


def openai_pages(lines: dict[date, Bill], stray_day: date | None) -> list[dict[str, Any]]:
    """The costs pages of the billed days (``stray_day`` also gets the stray GBP result)."""
    days = sorted(lines)
    buckets = []
    for day in days:
        results = [_openai_result(key, cost) for key, cost in lines[day].items()]
        if day == stray_day:
            results.append(dict(_STRAY))
        start = int(day_start(day).timestamp())
        buckets.append(
            {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": results}
        )
    return [{"object": "page", **page} for page in _paginate(buckets, days)]


def _anthropic_result(key: LineKey, cost: Decimal) -> dict[str, Any]:
    model = MODELS[key.model]
    token_type, what = _ANTHROPIC_TOKENS[key.kind]
    return {
        "amount": str((cost * 100).quantize(_CENTS)),
        "context_window": "0-200k",
        "cost_type": "tokens",
        "currency": "USD",
        "description": f"{model.label} Usage - {what}",
        "inference_geo": None,
        "model": model.billed,
        "service_tier": "standard",
        "token_type": token_type,
        "workspace_id": anthropic_workspace(key.team),
    }


def anthropic_pages(lines: dict[date, Bill]) -> list[dict[str, Any]]:
    """The cost report pages of the billed days."""
    days = sorted(lines)
    buckets = [
        {
            "starting_at": _iso(day),
            "ending_at": _iso(day + timedelta(days=1)),
            "results": [_anthropic_result(key, cost) for key, cost in lines[day].items()],
        }
        for day in days
    ]
    return _paginate(buckets, days)
