"""What every page reads from: the wired application, the clock and the colours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from dashboard import theme
from governance.context import Governance
from governance.domain.periods import Period


@dataclass
class PageContext:
    """The application a page reads through (its engine, config and clock), and the colours
    every page shares."""

    governance: Governance
    colours: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.colours = theme.category_colours(self.governance.config.categories)

    @property
    def currency(self) -> str:
        return self.governance.config.budget.currency

    def now(self) -> datetime:
        return self.governance.clock()

    def period(self, label: str | None = None) -> Period:
        return self.governance.period(label)

    def money(self, amount: object) -> str:
        return theme.money(
            amount if isinstance(amount, Decimal) else Decimal(str(amount)), self.currency
        )
