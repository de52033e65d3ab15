"""One good record of every file format, with where its cost and token fields are, and files of
such records written as each format's files are (JSON Lines, a page of buckets, CSV): what the
hostile-input tests poison, field by field."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from governance.sources.base import ReadContext
from tests.integration.conftest import NOW

Path_ = tuple[str, ...]  # keys into a record, outermost first
WHEN = NOW - timedelta(days=3)  # inside the ledger's range at any NOW


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


@dataclass(frozen=True)
class Spec:
    """A format's good record (``record(marker)``), its paths and its file kind."""

    name: str
    kind: Literal["jsonl", "page", "csv"]
    record: Callable[[str], dict[str, Any]]
    cost: Path_ | None  # where the reported cost is; None: the format reports tokens only
    cents: bool  # the cost is in cents
    tokens: Path_ | None  # a token count
    time: Path_
    time_text: bool = True  # ISO text (else epoch seconds)
    marker: Path_ = ("id",)  # the field holding the record's marker (its id or its project)
    context: ReadContext = field(default_factory=ReadContext)


_MAPPING = {"id": "id", "time": "time", "model": "model", "cost": "cost",
            "input_tokens": "in", "output_tokens": "out", "team": "team"}  # fmt: skip


def _litellm(mark: str) -> dict[str, Any]:
    return {"request_id": mark, "spend": Decimal("0.001"), "startTime": _iso(WHEN)[:-1],
            "model": "gpt-4o", "custom_llm_provider": "openai", "prompt_tokens": 10,
            "completion_tokens": 5, "metadata": {"user_api_key_team_alias": "search"},
            "request_tags": ["env:prod"], "api_key": "88dc28d0f030"}  # fmt: skip


def _portkey(mark: str) -> dict[str, Any]:
    return {"id": mark, "created_at": _iso(WHEN), "ai_org": "openai", "ai_model": "gpt-4o",
            "req_units": 10, "res_units": 5, "cost": Decimal("0.1"), "cost_currency": "USD",
            "metadata": {"team": "search"}}  # fmt: skip


def _helicone(mark: str) -> dict[str, Any]:
    return {"request_id": mark, "request_created_at": _iso(WHEN), "provider": "OPENAI",
            "request_model": "gpt-4o", "prompt_tokens": 10, "completion_tokens": 5,
            "costUSD": Decimal("0.001"), "request_properties": {"team": "search"}}  # fmt: skip


def _openrouter(mark: str) -> dict[str, Any]:
    return {"id": mark, "created_at": _iso(WHEN), "model": "openai/gpt-4o",
            "total_cost": Decimal("0.001"), "native_tokens_prompt": 10,
            "native_tokens_completion": 5, "provider_name": "OpenAI", "is_byok": False}  # fmt: skip


def _bucket(result: dict[str, Any], epoch: bool) -> dict[str, Any]:
    """A daily bucket holding ``result``: OpenAI's (epoch seconds) or Anthropic's (ISO text)."""
    day = WHEN.replace(hour=0, minute=0, second=0)
    end = day + timedelta(days=1)
    if epoch:
        return {"object": "bucket", "start_time": _epoch(day), "end_time": _epoch(end),
                "results": [result]}  # fmt: skip
    return {"starting_at": _iso(day), "ending_at": _iso(end), "results": [result]}


def _openai_usage(mark: str) -> dict[str, Any]:
    return _bucket({"object": "organization.usage.completions.result", "input_tokens": 10,
                    "output_tokens": 5, "input_cached_tokens": 0, "num_model_requests": 1,
                    "project_id": mark, "model": "gpt-4o-2024-08-06"}, epoch=True)  # fmt: skip


def _openai_costs(mark: str) -> dict[str, Any]:
    return _bucket({"object": "organization.costs.result",
                    "amount": {"value": Decimal("0.5"), "currency": "usd"},
                    "line_item": "gpt-4o, input", "project_id": mark}, epoch=True)  # fmt: skip


def _anthropic_usage(mark: str) -> dict[str, Any]:
    return _bucket({"uncached_input_tokens": 10, "cache_read_input_tokens": 0, "output_tokens": 5,
                    "cache_creation": {"ephemeral_5m_input_tokens": 0},
                    "model": "claude-sonnet-4-5-20250929", "workspace_id": mark,
                    "service_tier": "standard"}, epoch=False)  # fmt: skip


def _anthropic_cost(mark: str) -> dict[str, Any]:
    return _bucket({"amount": "50", "currency": "USD", "cost_type": "tokens",
                    "model": "claude-sonnet-4-5-20250929", "token_type": "uncached_input_tokens",
                    "workspace_id": mark}, epoch=False)  # fmt: skip


def _focus(mark: str) -> dict[str, Any]:
    day = WHEN.replace(hour=0, minute=0, second=0)
    return {"BilledCost": "3.00", "BillingAccountId": "acct-1", "BillingCurrency": "USD",
            "ChargeCategory": "Usage", "ChargePeriodStart": _iso(day),
            "ChargePeriodEnd": _iso(day + timedelta(days=1)), "ConsumedQuantity": "1000",
            "ConsumedUnit": "Tokens", "ServiceProviderName": "OpenAI", "SkuId": "sku-in",
            "SkuPriceDetails": json.dumps({"ModelId": "gpt-4o-mini", "TokenDirection": "Input"}),
            "SkuPriceId": "price-in", "SubAccountId": mark}  # fmt: skip


def _mapped(mark: str) -> dict[str, Any]:
    return {"id": mark, "time": _iso(WHEN), "model": "gpt-4o", "cost": Decimal("0.001"),
            "in": 10, "out": 5, "team": "search"}  # fmt: skip


_RESULT = ("results", "0")
SPECS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec(
            "litellm",
            "jsonl",
            _litellm,
            ("spend",),
            False,
            ("prompt_tokens",),
            ("startTime",),
            marker=("request_id",),
        ),
        Spec("portkey", "jsonl", _portkey, ("cost",), True, ("req_units",), ("created_at",)),
        Spec(
            "helicone",
            "jsonl",
            _helicone,
            ("costUSD",),
            False,
            ("prompt_tokens",),
            ("request_created_at",),
            marker=("request_id",),
        ),
        Spec(
            "openrouter",
            "jsonl",
            _openrouter,
            ("total_cost",),
            False,
            ("native_tokens_prompt",),
            ("created_at",),
        ),
        Spec(
            "openai-usage",
            "page",
            _openai_usage,
            None,
            False,
            (*_RESULT, "input_tokens"),
            ("start_time",),
            time_text=False,
            marker=(*_RESULT, "project_id"),
        ),
        Spec(
            "openai-costs",
            "page",
            _openai_costs,
            (*_RESULT, "amount", "value"),
            False,
            None,
            ("start_time",),
            time_text=False,
            marker=(*_RESULT, "project_id"),
        ),
        Spec(
            "anthropic-usage",
            "page",
            _anthropic_usage,
            None,
            False,
            (*_RESULT, "uncached_input_tokens"),
            ("starting_at",),
            marker=(*_RESULT, "workspace_id"),
        ),
        Spec(
            "anthropic-cost",
            "page",
            _anthropic_cost,
            (*_RESULT, "amount"),
            True,
            None,
            ("starting_at",),
            marker=(*_RESULT, "workspace_id"),
        ),
        Spec(
            "focus",
            "csv",
            _focus,
            ("BilledCost",),
            False,
            ("ConsumedQuantity",),
            ("ChargePeriodStart",),
            marker=("SubAccountId",),
        ),
        Spec(
            "csv",
            "csv",
            _mapped,
            ("cost",),
            False,
            ("in",),
            ("time",),
            context=ReadContext(mapping=_MAPPING),
        ),
        Spec(
            "jsonl",
            "jsonl",
            _mapped,
            ("cost",),
            False,
            ("in",),
            ("time",),
            context=ReadContext(mapping=_MAPPING),
        ),
    )
}


def put(record: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """``record`` with the field at ``path`` set to ``value`` (a copy; lists indexed by digits)."""
    changed = copy.deepcopy(record)
    target: Any = changed
    for key in path[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        target[int(path[-1])] = value
    else:
        target[path[-1]] = value
    return changed


def get(record: dict[str, Any], path: Path_) -> Any:
    target: Any = record
    for key in path:
        target = target[int(key)] if isinstance(target, list) else target[key]
    return target


def write(spec: Spec, path: Path, records: list[dict[str, Any]]) -> Path:
    """A file of ``records`` as ``spec``'s files are written."""
    if spec.kind == "jsonl":
        path.write_bytes(b"".join(_json_bytes(record) + b"\n" for record in records))
    elif spec.kind == "page":
        page = {"object": "page", "data": records, "has_more": False}
        path.write_bytes(_json_bytes(page))
    else:
        path.write_bytes(_csv_bytes(records))
    return path


def _json_bytes(value: Any) -> bytes:
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    """JSON text, Decimals as their digits, non-finite numbers as JSON's NaN/Infinity."""
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)}: {_encode(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_encode(item) for item in value) + "]"
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, Decimal):
        return "NaN" if value.is_nan() else ("-Infinity" if value < 0 else "Infinity")
    return json.dumps(value)  # ASCII: a lone surrogate or NUL written as its \\u escape


def _csv_bytes(records: list[dict[str, Any]]) -> bytes:
    header: dict[str, None] = {}
    for record in records:
        header.update(dict.fromkeys(record))
    out = io.StringIO()
    writer = csv.DictWriter(out, list(header), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(v) for k, v in record.items()})
    # A lone surrogate has no UTF-8: a CSV that holds one holds its bytes as they came.
    return out.getvalue().encode("utf-8", "surrogatepass")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _encode(value)
    return str(value)
