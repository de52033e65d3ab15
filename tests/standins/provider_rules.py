"""What the stand-in checks, as the providers document it: endpoints, auth headers, query
parameters, page tokens; and their error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ANTHROPIC_VERSION = "2023-06-01"
_FOREVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Endpoint:
    provider: str  # "openai" or "anthropic"
    group_by: frozenset[str]
    limits: dict[str, int]  # bucket width -> the most buckets a page may hold


_OPENAI_COMMON = {"start_time", "end_time", "bucket_width", "group_by", "limit", "page"}
_ANTHROPIC_COMMON = {"starting_at", "ending_at", "bucket_width", "group_by[]", "limit", "page"}
_BY_WIDTH = {"1d": 31, "1h": 168, "1m": 1440}
ENDPOINTS = {
    "/v1/organization/usage/completions": Endpoint(
        "openai",
        frozenset({"project_id", "user_id", "api_key_id", "model", "batch", "service_tier"}),
        _BY_WIDTH,
    ),
    "/v1/organization/costs": Endpoint(
        "openai", frozenset({"project_id", "line_item"}), {"1d": 180}
    ),
    "/v1/organizations/usage_report/messages": Endpoint(
        "anthropic",
        frozenset({"api_key_id", "workspace_id", "model", "service_tier", "context_window"}),
        _BY_WIDTH,
    ),
    "/v1/organizations/cost_report": Endpoint(
        "anthropic", frozenset({"workspace_id", "description"}), {"1d": 31}
    ),
}


class Refusal(Exception):
    """An error answer: the request breaks one of the provider's rules."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def instant(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def check_auth(endpoint: Endpoint, headers: dict[str, str], key: str) -> None:
    if endpoint.provider == "openai":
        given = headers.get("authorization", "").removeprefix("Bearer ")
        if given != key:
            # OpenAI names the key it was given (masked); echo it whole to test redaction.
            raise Refusal(401, "invalid_api_key", f"Incorrect API key provided: {given}.")
        return
    if headers.get("anthropic-version") != ANTHROPIC_VERSION:
        raise Refusal(400, "invalid_request_error", "anthropic-version header is required")
    if headers.get("x-api-key") != key:
        raise Refusal(401, "authentication_error", "invalid x-api-key")


def check_params(
    endpoint: Endpoint, params: dict[str, list[str]]
) -> tuple[datetime, datetime, int]:
    openai = endpoint.provider == "openai"
    allowed = _OPENAI_COMMON if openai else _ANTHROPIC_COMMON
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise Refusal(400, "invalid_request_error", f"Unknown parameter: '{unknown[0]}'.")
    for name, values in params.items():
        if len(values) > 1 and name not in ("group_by", "group_by[]"):
            raise Refusal(400, "invalid_request_error", f"'{name}' given twice")
    first, last = ("start_time", "end_time") if openai else ("starting_at", "ending_at")
    try:
        start = _time_param(params, first, openai)
        end = _time_param(params, last, openai) if last in params else _FOREVER
        limit = int(params.get("limit", ["7"])[0])
    except (KeyError, ValueError) as exc:
        raise Refusal(400, "invalid_request_error", f"bad time or limit: {exc}") from None
    width = params.get("bucket_width", ["1d"])[0]
    groups = params.get("group_by" if openai else "group_by[]", [])
    if not 1 <= limit <= endpoint.limits.get(width, 0):
        raise Refusal(400, "invalid_request_error", f"bad bucket_width {width} or limit {limit}")
    if not set(groups) <= endpoint.group_by:
        raise Refusal(400, "invalid_request_error", f"cannot group by {groups}")
    return start, end, limit


def _time_param(params: dict[str, list[str]], name: str, epoch: bool) -> datetime:
    text = params[name][0]
    if epoch:
        return datetime.fromtimestamp(int(text), UTC)  # OpenAI: whole epoch seconds
    if not text.endswith("Z") and "+" not in text:
        raise ValueError(f"{name} is not RFC 3339: {text}")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def offset_of(token: str | None, size: int) -> int:
    if token is None:
        return 0
    if not token.startswith("page_") or not token[5:].isdigit() or int(token[5:]) > size:
        raise Refusal(400, "invalid_request_error", f"bad page token {token}")
    return int(token[5:])


def error_body(provider: str, kind: str, message: str) -> bytes:
    if provider == "anthropic":
        return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
    return json.dumps({"error": {"message": message, "type": kind, "code": kind}}).encode()
