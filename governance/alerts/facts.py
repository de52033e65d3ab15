"""What an alert says, fixed when it is enqueued: the facts of the moment, stored in the outbox
as JSON (money as decimal strings, times as RFC 3339) and rendered when it is sent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

Ranked = list[tuple[str, Decimal]]


class Level(msgspec.Struct, frozen=True):
    level: int
    basis: str  # actual | forecast
    value: Decimal  # the spend or forecast that reached it


class DirectiveFacts(msgspec.Struct, frozen=True):
    id: str
    from_tier: str
    to_tier: str
    expires_at: datetime
    substitutes: dict[str, str] = {}


class BurnFacts(msgspec.Struct, frozen=True):
    day: date
    spend: Decimal
    average: Decimal | None
    complete: bool


class Crossed(msgspec.Struct, frozen=True, tag="crossing"):
    """A category crossed one or more levels in one evaluation; ``crossed[0]`` is the highest."""

    period: str
    category: str
    currency: str
    at: datetime
    crossed: list[Level]
    allocation: Decimal
    spend: Decimal
    forecast: Decimal
    forecast_low: Decimal
    forecast_high: Decimal
    top_models: Ranked = []
    top_teams: Ranked = []
    burn: BurnFacts | None = None
    directives: list[DirectiveFacts] = []


class Lifted(msgspec.Struct, frozen=True, tag="lifted"):
    """A directive ended before its period did: the allocation was raised past its condition."""

    period: str
    category: str
    currency: str
    at: datetime
    directive: DirectiveFacts
    allocation: Decimal
    spend: Decimal
    forecast: Decimal


class Stale(msgspec.Struct, frozen=True, tag="stale"):
    """A source has produced no data (no successful run that read records) for too long."""

    source: str
    at: datetime
    last_success: datetime | None  # the end of its last run that produced data


class CategoryTotal(msgspec.Struct, frozen=True):
    name: str
    allocation: Decimal
    spend: Decimal


class PeriodClosed(msgspec.Struct, frozen=True, tag="period_closed"):
    """A period ended: each category's spend against its allocation."""

    period: str
    currency: str
    at: datetime
    budget: Decimal
    categories: list[CategoryTotal]


Facts = Crossed | Lifted | Stale | PeriodClosed


def to_json(facts: Facts) -> dict[str, Any]:
    """The facts as a JSON-ready dict, tagged with their kind under ``"type"``."""
    document: dict[str, Any] = msgspec.to_builtins(facts)
    return document


def from_json(document: dict[str, Any]) -> Facts:
    """The facts back from ``to_json``; ValueError when the document is not such facts."""
    try:
        facts: Facts = msgspec.convert(document, Facts)
    except msgspec.ValidationError as exc:
        raise ValueError(f"not alert facts: {exc}") from exc
    return facts


def kind_of(facts: Facts) -> str:
    """The outbox ``kind`` of ``facts``."""
    return str(type(facts).__struct_config__.tag)
