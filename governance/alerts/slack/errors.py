"""slack-sdk's errors and answers, translated once into DeliveryError.

Slack answers a Web API call with HTTP 200 and ``{"ok": false, "error": CODE}``; an incoming
webhook with an HTTP status and the code as plain text. Either way the code says whether
retrying can help and what a permanent refusal blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from governance.alerts.base import DeliveryError
from governance.config.secrets import redact

_CODE: Final = re.compile(r"[a-z0-9_]{1,100}", re.ASCII)
# The token or webhook itself is refused: nothing can be sent until the config changes.
CHANNEL_ERRORS: Final = frozenset(
    {
        "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
        "no_permission", "missing_scope", "not_allowed_token_type", "ekm_access_denied",
        "team_access_not_granted", "org_login_required", "invalid_token", "no_service",
        "no_active_hooks", "action_prohibited", "team_disabled",
    }
)  # fmt: skip
# One Slack channel refuses: the others still take alerts.
DESTINATION_ERRORS: Final = frozenset(
    {
        "channel_not_found", "is_archived", "channel_is_archived", "not_in_channel",
        "restricted_action", "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel",
        "posting_to_general_channel_denied", "user_not_found",
    }
)  # fmt: skip
# Slack's own trouble: retry later.
TEMPORARY_ERRORS: Final = frozenset(
    {
        "ratelimited", "rate_limited", "service_unavailable", "fatal_error", "internal_error",
        "request_timeout", "team_added_to_org",
    }
)  # fmt: skip


def retry_after(headers: Mapping[str, Any]) -> float | None:
    """The seconds of a ``Retry-After`` header, if it has a usable one."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return max(float(str(text).strip()), 0.0)
            except ValueError:
                return None  # an HTTP date: Slack sends seconds; our backoff covers the rest
    return None


def classify(
    status: int, code: str, headers: Mapping[str, Any], secrets: Iterable[str]
) -> DeliveryError:
    """The DeliveryError for an answer of HTTP ``status`` with Slack error ``code``."""
    # Slack's codes are snake_case words; anything else is a page from a proxy or an edge.
    code = code.strip() if _CODE.fullmatch(code.strip()) else ""
    code = redact(code, secrets)
    reason = f"Slack refused the message: {code or 'no error code'} (HTTP {status})"
    if status == 429 or code in ("ratelimited", "rate_limited"):
        return DeliveryError(reason, retry_after=retry_after(headers))
    if status >= 500 or status == 408 or code in TEMPORARY_ERRORS:
        return DeliveryError(reason)
    if code in CHANNEL_ERRORS:
        return DeliveryError(reason, permanent=True, scope="channel")
    if code in DESTINATION_ERRORS:
        return DeliveryError(reason, permanent=True, scope="destination")
    if status >= 400:  # no Slack code we know: the URL or a proxy in between is wrong
        return DeliveryError(reason, permanent=True, scope="channel")
    return DeliveryError(reason, permanent=True, scope="message")


def unreachable(exc: BaseException, secrets: Iterable[str]) -> DeliveryError:
    """Slack could not be reached (refused, reset, timed out): retry later."""
    detail = getattr(exc, "reason", None) or exc
    text = redact(f"{type(exc).__name__}: {detail}", secrets)[:300]
    return DeliveryError(f"cannot reach Slack: {text}")
