"""What the "Directives & alerts" page shows: every directive, in force or ended (with who
revoked it and why), and the alert outbox with each alert's delivery state and the permanent
delivery errors that hold alerts back.

Alerts are read through ``governance.alerts.service.list_document``, the reading behind
``governance alerts list``, so the page and the CLI never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from governance.alerts.service import list_document
from governance.context import Governance
from governance.ledger import evaluations
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models.freshness import Freshness, read_freshness


@dataclass(frozen=True)
class Trigger:
    """What a directive began on: a level of the allocation reached by spend or forecast."""

    level: int
    basis: str  # actual | forecast
    spend: Decimal
    forecast: Decimal | None
    allocation: Decimal

    @classmethod
    def of(cls, document: dict[str, Any]) -> Trigger:
        forecast = document.get("forecast")
        return cls(
            int(document["level"]),
            str(document["basis"]),
            Decimal(str(document["spend"])),
            None if forecast is None else Decimal(str(forecast)),
            Decimal(str(document["allocation"])),
        )


@dataclass(frozen=True)
class DirectiveRow:
    id: str
    period: str
    category: str
    from_tier: str
    to_tier: str
    trigger: Trigger
    reason: str
    origin: str
    effective_from: datetime
    expires_at: datetime
    status: str  # active | lifted | expired | revoked
    ended_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None


@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str  # crossing | lifted | stale | period_closed
    category: str | None
    title: str
    created: datetime
    status: str  # pending | sent | failed
    attempts: int
    next_attempt: datetime | None
    sent: datetime | None
    sent_to: str | None
    last_error: str | None


@dataclass(frozen=True)
class Problem:
    """A permanent delivery error: alerts to ``target`` wait until the config is fixed."""

    target: str
    reason: str
    since: datetime


@dataclass(frozen=True)
class Activity:
    directives: list[DirectiveRow]  # newest first
    alerts: list[AlertRow]  # newest first, at most ``limit``
    problems: list[Problem]
    alerts_configured: bool  # False: no [alerts.slack], alerts wait in the outbox
    freshness: Freshness

    @property
    def active(self) -> list[DirectiveRow]:
        return [d for d in self.directives if d.status == "active"]


def read_activity(governance: Governance, limit: int = 200) -> Activity:
    """Every directive, the newest ``limit`` alerts and the delivery problems."""
    engine = governance.engine
    with translate_db_errors(engine), engine.connect() as conn:
        rows = evaluations.all_rows(conn)
        freshness = read_freshness(conn)
    outbox = list_document(governance, limit)
    return Activity(
        [_directive(row) for row in rows],
        [_alert(item) for item in outbox["items"]],
        [Problem(p["target"], p["reason"], _at(p["since"])) for p in outbox["problems"]],
        bool(outbox["configured"]),
        freshness,
    )


def _directive(row: Any) -> DirectiveRow:
    return DirectiveRow(
        row.id, row.period, row.category, row.from_tier, row.to_tier, Trigger.of(row.trigger),
        row.reason, row.origin, row.effective_from, row.expires_at, row.status, row.ended_at,
        row.revoked_by, row.revoke_reason,
    )  # fmt: skip


def _alert(item: dict[str, Any]) -> AlertRow:
    return AlertRow(
        item["id"], item["kind"], item["category"], item["title"], _at(item["created"]),
        item["status"], item["attempts"], _time(item["next_attempt"]), _time(item["sent"]),
        item["sent_to"], item["last_error"],
    )  # fmt: skip


def _time(text: str | None) -> datetime | None:
    return None if text is None else _at(text)


def _at(text: str) -> datetime:
    """The document's RFC 3339 times back as datetimes (``Z`` is UTC)."""
    return datetime.fromisoformat(text)
