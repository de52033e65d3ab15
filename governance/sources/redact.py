"""Secrets removed from raw records before they reach the quarantine or a log."""

from __future__ import annotations

import re
from typing import Any, Final

REDACTED: Final = "***"

# Keys whose string values are credentials; "prompt_tokens" and the like are counts, not secrets.
_SECRET_KEY = re.compile(
    r"(api[_-]?key|secret|password|passwd|authorization|bearer|cookie|"
    r"(access|refresh|session|auth|id)[_-]?token|^token$|private[_-]?key|credential)",
    re.IGNORECASE,
)
# Credential-shaped text anywhere: provider keys (sk-..., sk-ant-...), bearer headers, JWTs,
# Slack tokens (xoxb-..., xapp-...) and Slack webhook URLs (the path is the secret).
_SECRET_TEXT = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-.]+"
    r"|xox[abeoprs]-[A-Za-z0-9\-]{8,}|xapp-[A-Za-z0-9\-]{8,}"
    r"|hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+)"
)


def redact_text(text: str) -> str:
    return _SECRET_TEXT.sub(REDACTED, text)


def _secret_key(key: object) -> bool:
    # An id names a credential without being one (CredentialId, api_key_id): kept.
    return isinstance(key, str) and bool(_SECRET_KEY.search(key)) and not key.lower().endswith("id")


def redact_value(value: Any) -> Any:
    """A copy of a decoded record with secret-looking keys and values replaced by ***."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _secret_key(key) and isinstance(item, str) else redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
