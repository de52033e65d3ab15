"""Evaluations, crossings, directives and published directive documents: reads and writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from governance.domain.directives import Directive, trigger_json
from governance.domain.thresholds import Crossing
from governance.ledger.tables import crossings, directive_versions, directives, evaluations


def record_evaluation(
    conn: Connection,
    period: str,
    as_of: datetime,
    evaluated_at: datetime,
    config_hash: str,
    inputs: dict[str, Any],
) -> int:
    result = conn.execute(
        insert(evaluations).values(
            period=period, as_of=as_of, evaluated_at=evaluated_at, config_hash=config_hash,
            inputs=inputs, directives_version="",
        )
    )  # fmt: skip
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def set_version(conn: Connection, evaluation_id: int, version: str) -> None:
    conn.execute(
        update(evaluations)
        .where(evaluations.c.id == evaluation_id)
        .values(directives_version=version)
    )


def period_crossings(conn: Connection, period: str) -> list[Crossing]:
    query = select(crossings).where(crossings.c.period == period).order_by(crossings.c.id)
    return [
        Crossing(r.period, r.category, r.level, r.basis, r.crossed_at, r.value, r.allocation)
        for r in conn.execute(query)
    ]


def add_crossings(conn: Connection, found: Iterable[Crossing], evaluation_id: int) -> None:
    values = [
        {
            "period": c.period,
            "category": c.category,
            "level": c.level,
            "basis": c.basis,
            "crossed_at": c.at,
            "value": c.value,
            "allocation": c.allocation,
            "evaluation_id": evaluation_id,
        }
        for c in found
    ]
    if values:
        conn.execute(insert(crossings), values)


def revoked_ids(conn: Connection, period: str) -> set[str]:
    query = select(directives.c.id).where(
        directives.c.period == period, directives.c.status == "revoked"
    )
    return set(conn.execute(query).scalars())


def sync_directives(
    conn: Connection, period: str, active: list[Directive], evaluation_id: int, at: datetime
) -> None:
    """Store ``active`` as the period's directives in force: new ones start, standing ones stay
    as they began, the others end as lifted; earlier periods' end as expired. A revoked one is
    never in ``active``."""
    conn.execute(
        update(directives)
        .where(directives.c.status == "active", directives.c.period < period)
        .values(status="expired", ended_at=at)
    )
    status = dict(
        conn.execute(
            select(directives.c.id, directives.c.status).where(directives.c.period == period)
        ).all()
    )
    for directive in active:
        if status.get(directive.id) == "active":
            continue  # in force already: its trigger and reason stay those of when it began
        values = {
            "trigger": trigger_json(directive),
            "reason": directive.reason,
            "substitutes": dict(directive.substitutes),
            "effective_from": directive.effective_from if directive.id not in status else at,
            "expires_at": directive.expires_at,
            "status": "active",
            "ended_at": None,
            "evaluation_id": evaluation_id,
        }
        if directive.id in status:  # lifted before, in force again (an allocation lowered)
            conn.execute(update(directives).where(directives.c.id == directive.id).values(values))
        else:
            conn.execute(
                insert(directives).values(
                    id=directive.id,
                    period=period,
                    category=directive.category,
                    from_tier=directive.from_tier,
                    to_tier=directive.to_tier,
                    origin=directive.origin,
                    **values,
                )
            )
    keep = {d.id for d in active}
    conn.execute(
        update(directives)
        .where(
            directives.c.period == period,
            directives.c.status == "active",
            directives.c.id.not_in(keep) if keep else directives.c.id.is_not(None),
        )
        .values(status="lifted", ended_at=at)
    )


def active_rows(conn: Connection, now: datetime, category: str | None = None) -> list[Any]:
    """The directives in force at ``now`` (active and not expired), oldest first."""
    query = (
        select(directives)
        .where(directives.c.status == "active", directives.c.expires_at > now)
        .order_by(directives.c.effective_from, directives.c.id)
    )
    if category is not None:
        query = query.where(directives.c.category == category)
    return list(conn.execute(query))


def all_rows(conn: Connection, period: str | None = None) -> list[Any]:
    query = select(directives).order_by(directives.c.effective_from.desc(), directives.c.id)
    if period is not None:
        query = query.where(directives.c.period == period)
    return list(conn.execute(query))


def revoke(conn: Connection, directive_id: str, by: str, reason: str, at: datetime) -> bool:
    """Mark an active directive revoked; False when there is no such active directive."""
    result = conn.execute(
        update(directives)
        .where(directives.c.id == directive_id, directives.c.status == "active")
        .values(status="revoked", ended_at=at, revoked_by=by, revoke_reason=reason)
    )
    return result.rowcount == 1


def latest_version(conn: Connection) -> tuple[str, dict[str, Any]] | None:
    row = conn.execute(
        select(directive_versions.c.version, directive_versions.c.document)
        .order_by(directive_versions.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.version, row.document)


def publish(conn: Connection, version: str, document: dict[str, Any], at: datetime) -> bool:
    """Store ``document`` as the newest unless it is the newest already; True when stored."""
    latest = latest_version(conn)
    if latest is not None and latest[0] == version:
        return False
    conn.execute(
        insert(directive_versions).values(version=version, document=document, published_at=at)
    )
    return True
