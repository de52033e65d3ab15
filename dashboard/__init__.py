"""The finance dashboard (Dash). It reads through governance.ledger read models.

Nothing is built at import: ``make_dashboard(governance)`` does it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dash import Dash

    from governance.context import Governance


def make_dashboard(governance: Governance) -> Dash:
    from dashboard.app import make_dashboard as build

    return build(governance)


__all__ = ["make_dashboard"]
