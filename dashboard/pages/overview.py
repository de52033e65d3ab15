"""The overview page (to be written)."""

from __future__ import annotations

from typing import Any

from dash import Dash, html

from dashboard.context import PageContext


def layout(ctx: PageContext) -> Any:
    return html.Div([html.H2("overview")])


def register(app: Dash, ctx: PageContext) -> None:
    """No callbacks yet."""
