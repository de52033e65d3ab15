"""The alert outbox: rows written with the evaluation that caused them, claimed by one sender.

The protocol, each step in its own short transaction:

1. ``add``: in the evaluation's transaction; a ``dedupe_key`` seen before adds nothing.
2. ``claim``: ``UPDATE ... SET claimed_by, claimed_until = now + lease, attempts + 1 WHERE id
   AND status = 'pending' AND due AND lease free``; the sender goes on only if one row changed,
   so two senders (threads, processes, replicas) never both post it.
3. The sender posts outside any transaction, then ``mark_sent`` at once; or ``retry_later``
   (temporary error) or ``mark_failed`` (permanent error, with the channel fingerprint).

Delivery is at least once. A sender that dies (or loses the database) between Slack's answer
and ``mark_sent`` leaves the row claimed: once its lease expires another sender posts it again.
That window, one commit wide, is the only way an alert can be posted twice: chat.postMessage
has no idempotency key. Each message carries its alert's id in its Slack ``metadata``, so such
a duplicate can be recognised. No retry of ours repeats a message Slack accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from governance.alerts.facts import Facts, kind_of, to_json
from governance.ledger.tables import alert_channel_state, alert_outbox

o = alert_outbox.c


def add(
    conn: Connection,
    dedupe_key: str,
    facts: Facts,
    now: datetime,
    period: str | None = None,
    category: str | None = None,
    evaluation_id: int | None = None,
) -> bool:
    """Enqueue an alert unless one with ``dedupe_key`` exists; True when added."""
    values = {
        "kind": kind_of(facts),
        "dedupe_key": dedupe_key,
        "period": period,
        "category": category,
        "facts": to_json(facts),
        "evaluation_id": evaluation_id,
        "created_at": now,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
    }
    statement = _dialect(conn).insert(alert_outbox).values(values)
    statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(o.id)
    return conn.execute(statement).first() is not None


def _dialect(conn: Connection) -> Any:
    # Both dialects have INSERT ... ON CONFLICT; SQLAlchemy builds it per dialect.
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def due(conn: Connection, now: datetime, limit: int = 100) -> list[Any]:
    """Pending rows whose time has come and whose lease (if any) has expired, oldest first."""
    query = (
        select(alert_outbox)
        .where(o.status == "pending", o.next_attempt_at <= now, _lease_free(now))
        .order_by(o.id)
        .limit(limit)
    )
    return list(conn.execute(query))


def _lease_free(now: datetime) -> Any:
    return or_(o.claimed_until.is_(None), o.claimed_until <= now)


def claim(conn: Connection, alert_id: int, worker: str, now: datetime, lease: timedelta) -> bool:
    """Take the row for ``worker`` until ``now + lease``; False when another has it or it is
    not due (sent, failed, or rescheduled since it was read)."""
    result = conn.execute(
        update(alert_outbox)
        .where(
            o.id == alert_id,
            o.status == "pending",
            o.next_attempt_at <= now,
            _lease_free(now),
        )
        .values(
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=o.attempts + 1,
            last_attempt_at=now,
        )
    )
    return result.rowcount == 1


def _mine(alert_id: int, worker: str) -> Any:
    return and_(o.id == alert_id, o.claimed_by == worker)


def mark_sent(conn: Connection, alert_id: int, worker: str, now: datetime, to: str) -> bool:
    released = {"claimed_by": None, "claimed_until": None}
    values = {"status": "sent", "sent_at": now, "sent_to": to, "last_error": None, **released}
    result = conn.execute(update(alert_outbox).where(_mine(alert_id, worker)).values(values))
    return result.rowcount == 1


def retry_later(conn: Connection, alert_id: int, worker: str, reason: str, at: datetime) -> None:
    """Release the row with its error, due again at ``at``; the other pending rows wait until
    then too, so that a Slack that is down or rate limiting is not asked again sooner."""
    conn.execute(
        update(alert_outbox)
        .where(_mine(alert_id, worker))
        .values(last_error=reason, next_attempt_at=at, claimed_by=None, claimed_until=None)
    )
    conn.execute(
        update(alert_outbox)
        .where(o.status == "pending", o.next_attempt_at < at)
        .values(next_attempt_at=at)
    )


def mark_failed(
    conn: Connection,
    alert_id: int,
    worker: str,
    reason: str,
    fingerprint: str,
    now: datetime,
    block: Sequence[str] = (),
) -> None:
    """Record a permanent error on the row and on each target it ``block``s."""
    conn.execute(
        update(alert_outbox)
        .where(_mine(alert_id, worker))
        .values(
            status="failed",
            last_error=reason,
            failed_hash=fingerprint,
            claimed_by=None,
            claimed_until=None,
        )
    )
    for target in block:
        state = {
            "reason": reason,
            "failed_hash": fingerprint,
            "failed_at": now,
            "alert_id": alert_id,
        }
        statement = _dialect(conn).insert(alert_channel_state).values(target=target, **state)
        conn.execute(statement.on_conflict_do_update(index_elements=["target"], set_=state))


def reenable(conn: Connection, fingerprint: str, now: datetime) -> int:
    """Forget the permanent errors met under another fingerprint (the config or the secret
    changed): their rows are pending again; the number of rows."""
    conn.execute(
        delete(alert_channel_state).where(alert_channel_state.c.failed_hash != fingerprint)
    )
    result = conn.execute(
        update(alert_outbox)
        .where(o.status == "failed", o.failed_hash != fingerprint)
        .values(status="pending", next_attempt_at=now, failed_hash=None)
    )
    return result.rowcount


def hasten(conn: Connection, now: datetime) -> int:
    """Make every pending alert due at ``now`` (an operator's `alerts send`)."""
    result = conn.execute(
        update(alert_outbox)
        .where(o.status == "pending", o.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    return result.rowcount


def blocked(conn: Connection) -> dict[str, str]:
    """The blocked targets and why."""
    state = alert_channel_state.c
    return {target: reason for target, reason in conn.execute(select(state.target, state.reason))}


def pending(conn: Connection) -> list[Any]:
    """The pending alerts' ids, categories, due times and leases."""
    query = select(o.id, o.category, o.next_attempt_at, o.claimed_until).where(
        o.status == "pending"
    )
    return list(conn.execute(query.order_by(o.id)))
