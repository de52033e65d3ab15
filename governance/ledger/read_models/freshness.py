"""How fresh the numbers on a page are: when data last came in, when it was last evaluated.

A finance reader must be able to tell "the month is cheap" from "nothing has been read since
Tuesday", so every number on the dashboard carries these times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.engine import Connection

from governance.ledger.tables import evaluations, ingest_runs, rollup_daily


@dataclass(frozen=True)
class Freshness:
    last_ingest: datetime | None  # the finish of the latest successful ingest or pull run
    evaluated_at: datetime | None  # when the latest evaluation ran
    evaluated_as_of: datetime | None  # the moment that evaluation counted rows up to
    has_data: bool  # False for an empty ledger: pages show guidance instead of charts


def read_freshness(conn: Connection) -> Freshness:
    """The ledger's freshness: three small indexed reads, never a ledger scan."""
    last_ingest = conn.execute(
        select(func.max(ingest_runs.c.finished_at)).where(ingest_runs.c.status == "ok")
    ).scalar()
    latest = conn.execute(
        select(evaluations.c.evaluated_at, evaluations.c.as_of)
        .order_by(evaluations.c.id.desc())
        .limit(1)
    ).first()
    has_data = bool(conn.execute(select(exists().where(rollup_daily.c.rows > 0))).scalar())
    return Freshness(
        last_ingest,
        None if latest is None else latest.evaluated_at,
        None if latest is None else latest.as_of,
        has_data,
    )
