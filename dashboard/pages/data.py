"""The data page (to be written)."""

from __future__ import annotations

from typing import Any

from dash import Dash, html

from dashboard.context import PageContext


def layout(ctx: PageContext) -> Any:
    return html.Div([html.H2("data")])


def register(app: Dash, ctx: PageContext) -> None:
    """No callbacks yet."""
