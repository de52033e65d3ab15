"""The one redaction: what the log filter and the quarantine remove before anything is written.

``Redactor.text`` hides the values of the secrets the config names, credential-shaped text
(``governance.domain.credentials``), a URL's password, and the value of any ``name=value``,
``name: value`` or ``"name": "value"`` pair whose name says secret. ``Redactor.value`` does the
same to a decoded record, in its keys as well as its values, keeping its shape (so that a
quarantined record can still be parsed on ``quarantine retry``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from governance.domain.credentials import CREDENTIAL, is_secret_name
from governance.secrets import redact

REDACTED: Final = "***"
# A secret this short would hide ordinary words; none of the secrets we read is that short.
MIN_SECRET_LENGTH: Final = 4

_URL_PASSWORD = re.compile(r"(\w://[^:/@\s]*:)[^@\s]+@")
# A pair in text: JSON, logfmt, an environment file, a query string, YAML. A quoted name only
# has its quoted value replaced, so JSON stays JSON. Names start after a non-name character and
# are at most 100 long: a long run of letters must not be tried at every offset (quadratic).
_PAIR = re.compile(
    r"""(?<![\w.\-"'])(?P<q>["']?)(?P<name>[A-Za-z_][\w.\-]{0,99})(?P=q)[ \t]*[:=][ \t]*"""
    r"""(?P<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s,;&"'}\]\x00]+)"""
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
        """A copy of a decoded record with secrets hidden, in keys and values alike."""
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                name = self.text(key) if isinstance(key, str) else key
                if name in out:  # two keys hidden alike: both kept
                    name = f"{name}#{len(out)}"
                secret = isinstance(key, str) and is_secret_name(key)
                out[name] = _hidden(item) if secret else self.value(item)
            return out
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _hide_pair(match: re.Match[str]) -> str:
    if not is_secret_name(match["name"]):
        return match[0]
    value = match["value"]
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


def redact_value(value: Any) -> Any:
    return SHAPES.value(value)
