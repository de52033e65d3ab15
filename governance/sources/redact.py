"""The one redaction: what the log filter and the quarantine remove before anything is written.

``Redactor.text`` hides the values of the secrets the config names, credential-shaped text
(``governance.domain.credentials``), a URL's password, and the value of any ``name=value``,
``name: value`` or ``"name": "value"`` pair whose name says secret. ``Redactor.value`` does the
same to a decoded record, in its keys as well as its values, keeping its shape (so that a
quarantined record can still be parsed on ``quarantine retry``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final

from governance.config.secrets import redact
from governance.domain.credentials import CREDENTIAL, is_secret_name

REDACTED: Final = "***"
# A secret this short would hide ordinary words; none of the secrets we read is that short.
MIN_SECRET_LENGTH: Final = 4

_URL_PASSWORD = re.compile(r"(\w://[^:/@\s]*:)[^@\s]+@")
# A pair in text: JSON, logfmt, an environment file, a query string, YAML. A quoted name only
# has its quoted value replaced, so JSON stays JSON. Names start after a non-name character and
# are at most 100 long: a long run of letters must not be tried at every offset (quadratic). A
# quoted value is matched as runs between escapes: a repeated alternation keeps state per
# character, 1.4 GB for a 7 MB prompt.
_PAIR = re.compile(
    r"""(?<![\w.\-])(?P<q>["']?)(?P<name>[A-Za-z_][\w.\-]{0,99})(?P=q)[ \t]*[:=][ \t]*"""
    r"""(?P<value>"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\n]*'|[^\s,;&"'}\]\x00]+)"""
)
# Header lines whose whole value is the secret (a cookie holds several pairs).
_HEADER = re.compile(r"(?im)^([ \t]*(?:proxy-)?authorization|[ \t]*(?:set-)?cookie)[ \t]*:.*$")


class Redactor:
    """Removes secrets from text and decoded records; ``secrets`` are the values to hide."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = frozenset(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)

    def text(self, text: str) -> str:
        text = redact(text, self.secrets)
        text = CREDENTIAL.sub(REDACTED, text)
        text = _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
        text = _HEADER.sub(rf"\1: {REDACTED}", text)
        return _PAIR.sub(_hide_pair, text)

    def value(self, value: Any) -> Any:
        """A copy of a decoded record whose secret-named keys' strings are hidden, its shape
        kept; ``record`` then hides the rest in its text, keys and values alike, in one pass."""
        if isinstance(value, dict):
            return {
                key: _hidden(item)
                if isinstance(key, str) and is_secret_name(key)
                else self.value(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def record(self, value: Any) -> str:
        """A decoded record as JSON text for the quarantine, every secret hidden."""
        if isinstance(value, str):
            return self.text(value)
        return self.text(json.dumps(self.value(value), default=_json_default, ensure_ascii=False))


def _json_default(value: object) -> object:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _hide_pair(match: re.Match[str]) -> str:
    value = match["value"]
    if not is_secret_name(match["name"]):  # its value may hold pairs: "note": "password=..."
        return match[0][: match.start("value") - match.start()] + _PAIR.sub(_hide_pair, value)
    quoted = value[:1] in ('"', "'")
    if match["q"] and not quoted:
        return match[0]  # a JSON number, null or boolean: not a secret, and JSON must stay JSON
    hidden = f"{value[0]}{REDACTED}{value[0]}" if quoted else REDACTED
    return match[0][: match.start("value") - match.start()] + hidden


def _hidden(value: Any) -> Any:
    """Every non-empty string in ``value`` hidden, its shape kept."""
    if isinstance(value, str):
        return REDACTED if value else value
    if isinstance(value, dict):
        return {key: _hidden(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_hidden(item) for item in value]
    return value


SHAPES: Final = Redactor()  # no named secrets: credential shapes and secret names only


def redact_text(text: str) -> str:
    return SHAPES.text(text)


def redact_record(value: Any) -> str:
    return SHAPES.record(value)


def redact_value(value: Any) -> Any:
    """A copy of a decoded record with every secret hidden, keys and values alike, as a value
    (``redact_record`` is the faster form, as text)."""
    return _leaves(SHAPES.value(value))


def _leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {redact_text(k) if isinstance(k, str) else k: _leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_leaves(item) for item in value]
    return redact_text(value) if isinstance(value, str) else value
