"""The outbox read for people: the newest alerts, and the permanent errors that hold alerts
back (for `governance alerts list`, `governance status` and the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from governance.ledger.tables import alert_channel_state, alert_outbox

o = alert_outbox.c


@dataclass(frozen=True)
class DeliveryProblem:
    """A permanent delivery error that holds alerts back until the config changes."""

    target: str  # "slack", "slack:#channel", or "alert 12" for one message
    reason: str
    since: datetime
    fingerprint: str


def delivery_problems(conn: Connection, fingerprint: str | None = None) -> list[DeliveryProblem]:
    """The permanent errors on record, oldest first; given the channel's current
    ``fingerprint``, only those it does not re-enable (for `governance status` and the API)."""
    state = alert_channel_state.c
    found = [
        DeliveryProblem(r.target, r.reason, r.failed_at, r.failed_hash)
        for r in conn.execute(select(alert_channel_state).order_by(state.failed_at))
    ]
    blocked_ids = {
        r.alert_id for r in conn.execute(select(state.alert_id)) if r.alert_id is not None
    }
    query = select(o.id, o.last_error, o.last_attempt_at, o.failed_hash).where(o.status == "failed")
    for row in conn.execute(query.order_by(o.id)):
        if row.id not in blocked_ids:  # a message refused on its own: the channel still works
            target = f"alert {row.id}"
            found.append(
                DeliveryProblem(target, row.last_error, row.last_attempt_at, row.failed_hash)
            )
    return [p for p in found if fingerprint is None or p.fingerprint == fingerprint]


def rows(conn: Connection, limit: int = 200) -> list[Any]:
    """The newest ``limit`` alerts, newest first."""
    return list(conn.execute(select(alert_outbox).order_by(o.id.desc()).limit(limit)))
