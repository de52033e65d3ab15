"""Small pieces every page uses the same way: a number card that says how fresh it is, the
guidance an empty ledger shows instead of blank charts, and a table of money from a DataFrame.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import theme
from governance.ledger.read_models.freshness import Freshness

# No mode bar or logo over the data; charts resize with the page.
GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def data(**values: str | None) -> dict[str, Any]:
    """``data-*`` attributes (``data(field="spend")``): what tests and scripts find values by.
    None leaves an attribute out."""
    return {f"data-{name}": value for name, value in values.items() if value is not None}


def graph(graph_id: str, figure: Any, class_name: str | None = None) -> dcc.Graph:
    """A chart as every page draws it (``GRAPH_CONFIG``)."""
    return dcc.Graph(
        id=graph_id,
        figure=figure,
        config=GRAPH_CONFIG,
        className=class_name,
    )


def empty_figure(text: str, height: int = 240) -> go.Figure:
    """A chart area that says why it is empty (a filter matching nothing), not blank axes."""
    figure = go.Figure(layout={"template": "governance", "height": height})
    figure.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def when(instant: datetime | None) -> str:
    """``24 Nov 2026 12:00 UTC``: how the dashboard writes a moment (``never`` for None)."""
    if instant is None:
        return "never"
    return instant.astimezone(UTC).strftime("%-d %b %Y %H:%M UTC")


def month(label: str) -> str:
    """``November 2026`` for the period ``2026-11`` (its UTC start may lie in the month
    before, in a timezone east of UTC)."""
    return datetime.strptime(label, "%Y-%m").strftime("%B %Y")


def as_of_text(freshness: Freshness) -> str:
    """What the numbers are as of: the last ingest and the last evaluation."""
    return f"data as of {when(freshness.last_ingest)} · evaluated {when(freshness.evaluated_at)}"


def as_of(freshness: Freshness, class_name: str = "page-asof") -> html.Div:
    """The page's one "data as of … · evaluated …" line, under its title."""
    return html.Div(as_of_text(freshness), className=f"asof {class_name}".strip(), id="asof")


def card(
    label: str,
    value: str,
    *,
    note: str | None = None,
    value_class: str = "",
    field: str | None = None,
) -> html.Div:
    """A headline number with its label and an optional note; ``field`` names the value for
    tests and scripts (``data-field``). The page says once how fresh its numbers are
    (``as_of(freshness)`` under its title), not every card."""
    return html.Div(
        [
            html.Div(label, className="label"),
            html.Div(value, className=f"value {value_class}".strip(), **data(field=field)),
            html.Div(note, className="note") if note else None,
        ],
        className="card",
    )


def guidance(what: str = "this page") -> html.Div:
    """What to run when the ledger is empty: charts of nothing would look like a cheap month."""
    return html.Div(
        [
            html.H3(f"No spend in the ledger yet: {what} has nothing to show"),
            html.P("Bring data in one of these ways, then reload:"),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Code("governance demo"),
                            " writes and ingests a made-up company's month, to try things out;"
                            " then ",
                            html.Code("governance evaluate"),
                            ".",
                        ]
                    ),
                    html.Li(
                        [
                            html.Code("governance ingest PATH…"),
                            " reads gateway logs or provider bills (LiteLLM, OpenAI, Anthropic,"
                            " FOCUS, CSV…).",
                        ]
                    ),
                    html.Li(
                        [
                            "Configure ",
                            html.Code("[[sources]]"),
                            " in governance.toml (log paths or billing APIs) and run ",
                            html.Code("governance pull"),
                            ", or the daemon, which reads them on schedule.",
                        ]
                    ),
                ]
            ),
        ],
        className="guidance",
    )


def money_table(
    frame: pd.DataFrame,
    currency: str,
    *,
    money: Collection[str] = ("cost",),
    titles: Mapping[str, str] | None = None,
    right: Collection[str] = (),
    table_id: str | None = None,
) -> html.Table:
    """``frame`` as a table: ``money`` columns (Decimals) in ``currency`` to the cent, integers
    with thousands separators (both right-aligned, as are the ``right`` columns), other columns
    as text."""
    titles = titles or {}
    integers = {c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])}
    aligned = {*money, *integers, *right}
    head = html.Thead(
        html.Tr(
            [
                html.Th(titles.get(str(c), str(c)), className="num" if c in aligned else None)
                for c in frame.columns
            ]
        )
    )

    def cell(column: str, value: Any) -> html.Td:
        if column in money:
            text = theme.money(value if isinstance(value, Decimal) else Decimal(value), currency)
        elif column in integers:
            text = f"{value:,}"
        else:
            text = str(value)
        return html.Td(text, className="num" if column in aligned else None)

    body = html.Tbody(
        [
            html.Tr([cell(column, value) for column, value in zip(frame.columns, row, strict=True)])
            for row in frame.itertuples(index=False, name=None)
        ]
    )
    return html.Table([head, body], id=table_id, className="money-table")
