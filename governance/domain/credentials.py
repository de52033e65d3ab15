"""What a credential looks like, and the names that say a value is one.

The one definition: the log filter and the quarantine redact with it (``governance.sources.
redact``), and a team or tag value of this shape reaches the ledger only as its hash.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

# Credential-shaped text anywhere: provider keys (sk-..., sk-ant-..., sk-or-...), Stripe-like
# sk_live_..., bearer and basic headers (base64 included), JWTs, Slack tokens and webhook URLs
# (the path is the secret), AWS, GitHub, Google and Hugging Face keys, PEM private keys.
CREDENTIAL: Final = re.compile(
    # The lookahead's first characters and the lookbehind let the engine skip most offsets at
    # once: quarantined text can be megabytes of prompt.
    r"(?=[-sprBbexhAg])(?<![A-Za-z0-9])(?:"
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    r"|(?:sk|pk|rk)-[A-Za-z0-9_\-]{8,}|[sr]k_(?:live|test)_[A-Za-z0-9]{8,}"
    r"|(?:[Bb]earer|BEARER|[Bb]asic|BASIC)\s+[A-Za-z0-9._~+/\-]{8,}=*"
    r"|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-.]+"
    r"|xox[abeoprs]-[A-Za-z0-9\-]{8,}|xapp-[A-Za-z0-9\-]{8,}"
    r"|hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}\b|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|AIza[0-9A-Za-z_\-]{35}|hf_[A-Za-z0-9]{20,})"
)
_SECRET_WORD: Final = re.compile(
    r"key|token|secret|passw(?:or)?d|pwd|authori[sz]ation|cookie|credential|bearer", re.I
)
# Counts and labels that contain a secret word without being secrets: prompt_tokens,
# max_tokens, token_count; an alias or an id names a credential without being one.
_NOT_SECRET: Final = re.compile(r"tokens|token_?counts?", re.I)
_LABEL_SUFFIXES: Final = ("id", "ids", "alias")


def looks_like_credential(text: str) -> bool:
    """True when ``text`` holds something shaped like a credential."""
    return CREDENTIAL.search(text) is not None


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when a key or column called ``name`` holds a secret (``api_key``, ``x-api-token``,
    ``DB_PASSWORD``, ``Authorization``, ``cookie``), not a count or a label."""
    lowered = name.strip().lower()
    if lowered.endswith(_LABEL_SUFFIXES):
        return False
    return _SECRET_WORD.search(_NOT_SECRET.sub("", lowered)) is not None
