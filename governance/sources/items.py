"""What reading a file yields: decoded items, and undecodable ones the quarantine holds.

Each carries its location (``path:line``) and the byte offset just after it, which is what the
source cursor stores. JSON numbers are decoded as Decimal, never through float.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_DECODER = json.JSONDecoder(parse_float=Decimal)


def decode_json(text: str | bytes) -> Any:
    """A JSON value with its numbers' decimals kept exact (Decimal, never float). Nesting
    deeper than Python's recursion limit is a JSONDecodeError too, as any other bad JSON."""
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


@dataclass(frozen=True, slots=True)
class Item:
    location: str
    value: Any
    end: int  # byte offset just after the item
    line: int


@dataclass(frozen=True, slots=True)
class Undecodable:
    location: str
    reason: str
    raw: str
    end: int
    line: int


Decoded = Item | Undecodable
