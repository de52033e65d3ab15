"""What the "Bill vs gateway" page shows: per provider and UTC day, what the gateway logged
(layer ``gateway``) against what the provider billed (layer ``billing``), and the drift.

Budget spend takes the bill where it exists (``governance.domain.attribution``); this page is
how finance checks that the gateway's estimates, which are all there is for the days not yet
billed, can be trusted. Read from the daily rollup, one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from governance.domain.periods import Period
from governance.ledger.tables import rollup_daily
from governance.ledger.types import Money

DRIFT_LIMIT: Final = Decimal(5)  # percent: a day beyond it is flagged


@dataclass(frozen=True)
class BillDay:
    provider: str
    day: date  # UTC
    gateway: Decimal | None  # None: the gateway logged nothing for this provider that day
    billed: Decimal | None  # None: no bill (yet) for this provider-day

    @property
    def drift(self) -> Decimal | None:
        """(billed - gateway) / gateway in percent; None unless both exist (and the gateway's
        figure is not 0)."""
        if self.gateway is None or self.billed is None or self.gateway == 0:
            return None
        return (self.billed - self.gateway) * 100 / self.gateway

    @property
    def flagged(self) -> bool:
        return self.drift is not None and abs(self.drift) > DRIFT_LIMIT

    @property
    def state(self) -> str:
        """In words, for the table: how this day's bill compares."""
        if self.billed is None:
            return "no bill yet"
        if self.gateway is None:
            return "no gateway traffic"
        if self.drift is None:
            return "gateway logged no cost"
        return f"beyond {DRIFT_LIMIT}%" if self.flagged else f"within {DRIFT_LIMIT}%"


def read_bill(conn: Connection, period: Period, as_of: datetime) -> list[BillDay]:
    """Each provider's UTC days of ``period`` up to ``as_of`` with gateway or billing rows,
    by provider then day."""
    until = min(as_of, period.end)
    d = rollup_daily.c
    query = (
        select(d.provider, d.day, d.layer, func.sum(d.cost, type_=Money()), func.sum(d.rows))
        .where(
            d.day >= period.start.astimezone(UTC).date(),
            d.day < until.astimezone(UTC).date() + timedelta(days=1),
        )
        .group_by(d.provider, d.day, d.layer)
    )
    found: dict[tuple[str, date], dict[str, Decimal]] = {}
    for provider, day, layer, cost, rows in conn.execute(query):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if rows and period.start <= start < until:
            found.setdefault((provider, day), {})[layer] = cost
    return [
        BillDay(provider, day, layers.get("gateway"), layers.get("billing"))
        for (provider, day), layers in sorted(found.items())
    ]
