"""Bill vs gateway (``/bill``): per provider and UTC day, the gateway's estimate against the
provider's bill and the drift between them, days beyond 5% flagged. Budget spend takes the
bill once it exists; until then the gateway's figure stands, and this page says how far it
can be trusted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html
from plotly.subplots import make_subplots

from dashboard import components, theme
from dashboard.context import PageContext
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models.bill import DRIFT_LIMIT, BillDay, read_bill
from governance.ledger.read_models.freshness import read_freshness

GATEWAY = "#9ca3af"
# Providers' own colours; never red, which marks a day beyond the limit.
PROVIDER_PALETTE = ("#2b83ba", "#e66101", "#5e3c99", "#4dac26", "#d01c8b", "#8c510a")


def layout(ctx: PageContext, /, **query: str) -> Any:
    period = ctx.period()
    engine = ctx.governance.engine
    with translate_db_errors(engine), engine.connect() as conn:
        days = read_bill(conn, period, ctx.now())
        freshness = read_freshness(conn)
    title = html.H2(f"Bill vs gateway: {components.month(period.label)}")
    if not days:
        return html.Div([title, components.guidance("the bill page")])
    compared = [d for d in days if d.drift is not None]
    colours = _colours(compared)
    parts: list[Any] = [
        title,
        components.as_of(freshness),
        _cards(ctx, compared),
        _uncompared(days),
    ]
    if compared:
        parts += [
            html.Div(components.graph("bill-drift", drift_chart(compared, colours)),
                     className="panel"),
            html.Div(components.graph("bill-amounts", amounts_chart(ctx, compared, colours)),
                     className="panel"),
        ]  # fmt: skip
    parts.append(
        html.Div(
            [
                html.H3("Per provider and day"),
                _filters(days),
                html.Div(_table(ctx, days), id="bill-rows"),
            ],
            className="panel",
        )
    )
    return html.Div(parts)


def _colours(days: list[BillDay]) -> dict[str, str]:
    providers = sorted({d.provider for d in days})
    return {p: PROVIDER_PALETTE[i % len(PROVIDER_PALETTE)] for i, p in enumerate(providers)}


def _total(values: list[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def _cards(ctx: PageContext, compared: list[BillDay]) -> html.Div:
    flagged = [d for d in compared if d.flagged]
    gateway = _total([d.gateway for d in compared])
    billed = _total([d.billed for d in compared])
    drift = (billed - gateway) * 100 / gateway if gateway else None
    return html.Div(
        [
            components.card("Days compared", str(len(compared)),
                            note="provider-days with both a bill and gateway traffic"),
            components.card(
                f"Days beyond {DRIFT_LIMIT}%",
                str(len(flagged)),
                note=", ".join(f"{d.provider} {d.day:%-d %b} ({_drift(d)})" for d in flagged)
                or None,
                value_class="over" if flagged else "ok",
                field="flagged",
            ),
            components.card("Gateway estimate", ctx.money(gateway),
                            note="on the days compared", field="gateway"),
            components.card(
                "Billed",
                ctx.money(billed),
                note=None if drift is None else f"{drift:+.2f}% against the gateway",
                field="billed",
            ),
        ],
        className="cards cards-row",
    )  # fmt: skip


def _uncompared(days: list[BillDay]) -> html.Div | None:
    """Providers with only one side: a bill for traffic the gateway never sees, or gateway
    traffic that is never billed (self-hosted) or not billed yet."""
    notes = []
    for provider in sorted({d.provider for d in days}):
        own = [d for d in days if d.provider == provider]
        if all(d.gateway is None for d in own):
            notes.append(f"{provider}: billed only, its traffic does not pass the gateway")
        elif all(d.billed is None for d in own):
            notes.append(f"{provider}: gateway only, no bill (self-hosted, or not billed yet)")
    if not notes:
        return None
    return html.Div(
        [html.Strong("Not compared: "), "; ".join(notes), "."], className="note uncompared"
    )


def _drift(day: BillDay) -> str:
    return "-" if day.drift is None else f"{day.drift:+.2f}%"


def drift_chart(compared: list[BillDay], colours: dict[str, str]) -> go.Figure:
    """The drift per day and provider, inside a ±5% band; flagged days in red."""
    figure = go.Figure(layout={"template": "governance"})
    limit = float(DRIFT_LIMIT)
    figure.add_hrect(y0=-limit, y1=limit, fillcolor="#e5e7eb", opacity=0.5, line_width=0)
    for provider in sorted({d.provider for d in compared}):
        own = [d for d in compared if d.provider == provider]
        figure.add_scatter(
            x=[d.day for d in own],
            y=[float(d.drift or 0) for d in own],
            mode="lines+markers",
            name=provider,
            line={"color": colours[provider]},
            marker={
                "size": [11 if d.flagged else 6 for d in own],
                "color": [theme.OVER if d.flagged else colours[provider] for d in own],
                "line": {"width": [2 if d.flagged else 0 for d in own], "color": "white"},
            },
            hovertemplate=f"{provider} %{{x|%-d %b}}: %{{y:+.2f}}%<extra></extra>",
        )
    for d in compared:
        if d.flagged:
            figure.add_annotation(
                x=d.day, y=float(d.drift or 0), text=f"{d.provider} {_drift(d)}",
                font={"color": theme.OVER, "size": 11}, showarrow=False, xshift=8,
                xanchor="left",
            )  # fmt: skip
    figure.update_layout(
        title={"text": f"Drift of the bill from the gateway's estimate (band: ±{DRIFT_LIMIT}%)"},
        height=300,
        xaxis={"title": {"text": "day (UTC)"}},
        yaxis={"title": {"text": "drift (% of the gateway estimate)"}, "rangemode": "normal",
               "zeroline": True, "zerolinecolor": "#9ca3af"},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )  # fmt: skip
    return figure


def amounts_chart(ctx: PageContext, compared: list[BillDay], colours: dict[str, str]) -> Any:
    """Per provider, the gateway's estimate and the bill side by side per day."""
    providers = sorted({d.provider for d in compared})
    figure = make_subplots(
        rows=len(providers), cols=1, shared_xaxes=True, vertical_spacing=0.08,
        subplot_titles=providers,
    )  # fmt: skip
    for row, provider in enumerate(providers, start=1):
        own = [d for d in compared if d.provider == provider]
        for name, colour, values in (
            ("gateway estimate", GATEWAY, [d.gateway for d in own]),
            ("billed", colours[provider], [d.billed for d in own]),
        ):
            figure.add_bar(
                x=[d.day for d in own], y=[float(v or 0) for v in values], name=name,
                marker={"color": colour}, legendgroup=name, showlegend=False, row=row, col=1,
                hovertemplate=f"{provider} {name} %{{x|%-d %b}}: %{{y:,.2f}} {ctx.currency}"
                "<extra></extra>",
            )  # fmt: skip
        figure.update_yaxes(title={"text": theme.axis_title(ctx.currency)}, row=row, col=1)
    figure.update_xaxes(title={"text": "day (UTC)"}, row=len(providers), col=1)
    figure.update_layout(
        template="governance",
        title={"text": "Gateway estimate (grey) and bill (colour) per day"},
        barmode="group",
        height=120 + 190 * len(providers),
        margin={"t": 70},
    )
    return figure


def _table(ctx: PageContext, days: list[BillDay]) -> html.Div:
    ordered = sorted(days, key=lambda d: (d.day, d.provider), reverse=True)
    head = html.Tr(
        [html.Th("Day (UTC)"), html.Th("Provider"), html.Th("Gateway estimate", className="num"),
         html.Th("Billed", className="num"), html.Th("Drift", className="num"), html.Th("")]
    )  # fmt: skip
    rows = [
        html.Tr(
            [
                html.Td(f"{d.day:%a %-d %b}"),
                html.Td(d.provider),
                html.Td("-" if d.gateway is None else ctx.money(d.gateway), className="num"),
                html.Td("-" if d.billed is None else ctx.money(d.billed), className="num"),
                html.Td(_drift(d) if d.drift is not None else d.state, className="num"),
                html.Td(f"beyond {DRIFT_LIMIT}%" if d.flagged else ""),
            ],
            className="flagged" if d.flagged else None,
            **components.data(provider=d.provider, day=d.day.isoformat()),
        )
        for d in ordered
    ]  # fmt: skip
    return html.Div(
        html.Table([html.Thead(head), html.Tbody(rows)], className="money-table",
                   id="bill-table"),
        className="table-scroll",
    )  # fmt: skip


def _filters(days: list[BillDay]) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Providers", className="label"),
                    dcc.Dropdown(
                        id="bill-providers",
                        options=sorted({d.provider for d in days}),
                        multi=True,
                        placeholder="all providers",
                    ),
                ]
            ),
            dcc.Checklist(
                id="bill-flagged",
                options=[{"label": f" only days beyond {DRIFT_LIMIT}%", "value": "flagged"}],
                value=[],
            ),
        ],
        className="filters",
    )


def register(app: Dash, ctx: PageContext) -> None:
    """The table's filters: providers, and only the flagged days."""

    @app.callback(
        Output("bill-rows", "children"),
        Input("bill-providers", "value"),
        Input("bill-flagged", "value"),
        prevent_initial_call=True,
    )
    def filter_rows(providers: list[str] | None, flagged: list[str] | None) -> Any:
        engine = ctx.governance.engine
        with translate_db_errors(engine), engine.connect() as conn:
            days = read_bill(conn, ctx.period(), ctx.now())
        chosen = [
            d
            for d in days
            if (not providers or d.provider in providers) and (not flagged or d.flagged)
        ]
        return _table(ctx, chosen) if chosen else html.P("No day matches.")
