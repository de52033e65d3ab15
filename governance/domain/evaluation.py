"""What one evaluation of a period found: each category's state, the crossings it made, the
directives in force and their version. Stored by the evaluation, read by the alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from governance.domain.directives import Directive
from governance.domain.periods import Period
from governance.domain.thresholds import CategoryState, Crossing


@dataclass(frozen=True)
class Evaluation:
    id: int  # the stored evaluation's
    period: Period
    as_of: datetime
    states: dict[str, CategoryState]
    crossed: list[Crossing]  # the crossings this evaluation found
    directives: list[Directive]
    version: str
