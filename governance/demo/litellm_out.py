"""LiteLLM gateway logs: ``LiteLLM_SpendLogs`` rows as JSON Lines, one file per day.

The rows look like LiteLLM's: naive UTC times with microseconds, ``spend`` a float, the virtual
key's hash, team and key aliases in ``metadata``, cache tokens in
``metadata.additional_usage_values``, cache hits named ``<id>_cache_hit<ts>`` with spend 0, and
self-hosted or unknown models logged with spend 0. A few bad lines are planted, as gateways
write them: a line cut short by a crash, a negative spend, a row without ``startTime``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any, Final, Literal

import msgspec

from governance.demo.scenario import Day, Request

Defect = Literal["truncated", "negative spend", "no startTime"]

# Which day (0-based) of the period gets which bad line, and at what local time.
DEFECTS: Final[dict[int, tuple[Defect, time]]] = {
    0: ("truncated", time(3, 17)),
    1: ("negative spend", time(7, 42)),
    2: ("no startTime", time(11, 5)),
}
_API_BASES: Final = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
    "hosted_vllm": "http://vllm.internal:8000/v1",
}
_NAMESPACE: Final = uuid.UUID("6f1d3c8e-3b59-4c55-9a44-2e0c1b7d9a10")
_encode: Final = msgspec.json.Encoder().encode  # compact JSON, ~5x faster than json.dumps


@cache
def _digest(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


@cache
def _team_id(team: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, team))


def _when(naive_utc: datetime) -> str:
    return naive_utc.isoformat(timespec="microseconds")


def _usage(request: Request) -> dict[str, Any]:
    if request.model.provider == "anthropic":
        return {
            "cache_read_input_tokens": request.cached,
            "cache_creation_input_tokens": request.written,
        }
    if request.model.provider == "openai":
        return {
            "prompt_tokens_details": {"cached_tokens": request.cached, "audio_tokens": None},
            "completion_tokens_details": {"reasoning_tokens": request.reasoning},
        }
    return {}


def spend_log(request: Request) -> dict[str, Any]:
    """The ``LiteLLM_SpendLogs`` row of ``request``."""
    workload, model = request.workload, request.model
    start = request.start.replace(tzinfo=None)  # LiteLLM_SpendLogs stores UTC without an offset
    key_hash = _digest(f"sk-demo-{workload.key_alias}")
    team_id = _team_id(workload.team)
    metadata = {
        "user_api_key": key_hash,
        "user_api_key_alias": workload.key_alias,
        "user_api_key_team_id": team_id,
        "user_api_key_team_alias": workload.team,
        "user_api_key_user_id": f"u-{workload.team}-{request.user:02d}",
        "user_api_key_org_id": None,
        "spend_logs_metadata": {"project": workload.project},
        "requester_ip_address": "",
        "status": "success",
        "additional_usage_values": _usage(request),
    }
    return {
        "request_id": request.id,
        "call_type": "acompletion",
        "api_key": key_hash,
        "spend": float(request.spend),
        "total_tokens": request.input + request.output,
        "prompt_tokens": request.input,
        "completion_tokens": request.output,
        "startTime": _when(start),
        "endTime": _when(start + timedelta(seconds=request.latency)),
        "completionStartTime": _when(start + timedelta(seconds=request.first_token)),
        "model": model.logged,
        "model_id": _digest(model.logged, 12),
        "model_group": model.group,
        "custom_llm_provider": model.provider,
        "api_base": "" if request.cache_hit else _API_BASES[model.provider],
        "user": "",
        "metadata": metadata,
        "cache_hit": str(request.cache_hit),
        "cache_key": _digest(request.id.partition("_cache_hit")[0], 32)
        if request.cache_hit
        else "",
        "request_tags": list(workload.tags),
        "team_id": team_id,
        "end_user": "",
        "requester_ip_address": "",
        "messages": {},
        "response": {},
        "session_id": None,
        "status": "success",
        "proxy_server_request": {},
    }


def _defect(request: Request, defect: Defect) -> str:
    row = spend_log(request)
    row["request_id"] = f"{request.id[:-4]}{_digest(request.id, 4)}"  # another request
    if defect == "negative spend":
        row["spend"] = -abs(row["spend"]) or -0.0125
    elif defect == "no startTime":
        del row["startTime"]
    text = _encode(row).decode()
    return text[: len(text) * 3 // 5] if defect == "truncated" else text


def day_lines(requests: Iterable[Request], day: Day, until: datetime) -> list[str]:
    """The day's log lines written before ``until``, with the day's bad line once its time
    has come (so that a day's file only grows as the clock moves on)."""
    defect, at = None, day.end
    if day.index in DEFECTS:
        defect, clock = DEFECTS[day.index]
        at = day.start + timedelta(hours=clock.hour, minutes=clock.minute)
    lines: list[str] = []
    previous: Request | None = None
    for request in requests:
        if request.start >= until:
            break
        if defect is not None and previous is not None and request.start >= at:
            # Spoiled like its neighbour; never the first line, which tells the file's format.
            lines.append(_defect(previous, defect))
            defect = None
        lines.append(_encode(spend_log(request)).decode())
        previous = request
    return lines
