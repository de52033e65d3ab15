"""What every page reads from: the wired application, the clock and the colours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dashboard import theme
from governance.bootstrap import Governance
from governance.domain.periods import Period


@dataclass
class PageContext:
    """The application a page reads through; pages never open their own connections."""

    governance: Governance
    colours: dict[str, str] = field(default_factory=dict)

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
        from decimal import Decimal

        return theme.money(
            amount if isinstance(amount, Decimal) else Decimal(str(amount)), self.currency
        )
