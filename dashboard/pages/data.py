"""Data (``/data``): can the numbers be trusted? Each source's last successful run and lag
(stale sources flagged as ``/healthz`` flags them), the records that could not be read (the
quarantine, filtered by source and reason on the server, a page at a time), and the models
without a price, whose cost is missing from every total until they are repriced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html

from dashboard import components, theme
from dashboard.context import PageContext
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models import sources as model
from governance.ledger.read_models.freshness import read_freshness

when = components.when


def layout(ctx: PageContext, /, **query: str) -> Any:
    engine = ctx.governance.engine
    with translate_db_errors(engine), engine.connect() as conn:
        freshness = read_freshness(conn)
        runs = model.read_sources(conn, ctx.governance.config, ctx.now())
        held = model.read_quarantine(conn)
        unpriced = model.read_unpriced(conn)
    title = html.H2("Data: sources, quarantine, unpriced models")
    if not freshness.has_data and not runs and not held.total:
        return html.Div([title, components.guidance("the data page")])
    return html.Div(
        [
            title,
            components.as_of(freshness),
            _cards(runs, held, unpriced),
            html.Div(
                [html.H3("Sources"), _lag_chart(runs), _sources_table(ctx, runs)],
                className="panel",
            ),
            _quarantine(held),
            _unpriced(ctx, unpriced),
        ]
    )


def _cards(
    runs: list[model.SourceRow],
    held: model.QuarantinePage,
    unpriced: list[model.Unpriced],
) -> html.Div:
    stale = [r.name for r in runs if r.stale]
    failing = [r.name for r in runs if r.last_status == "failed"]
    missing = sum(u.unpriced for u in unpriced)
    return html.Div(
        [
            components.card(
                "Stale sources",
                str(len(stale)),
                note=", ".join(stale) or f"of {len(runs)} source(s)",
                value_class="over" if stale else "ok",
                field="stale",
            ),
            components.card(
                "Last run failed",
                str(len(failing)),
                note=", ".join(failing) or None,
                value_class="over" if failing else "ok",
            ),
            components.card(
                "Quarantined records",
                f"{held.total:,}",
                value_class="over" if held.total else "ok",
                field="quarantined",
            ),
            components.card(
                "Unpriced rows",
                f"{missing:,}",
                note=", ".join(u.model for u in unpriced) or None,
                value_class="over" if missing else "ok",
                field="unpriced",
            ),
        ],
        className="cards cards-row",
    )


@dataclass(frozen=True)
class Unit:
    """How a chart of durations counts them: its axis says ``name``, its labels ``short``;
    the axis spans at least ``least`` of them."""

    name: str
    short: str
    seconds: int
    decimals: int
    least: float

    def of(self, span: timedelta | None) -> float:
        return 0.0 if span is None else span.total_seconds() / self.seconds

    def text(self, span: timedelta | None) -> str:
        return "never" if span is None else f"{self.of(span):,.{self.decimals}f} {self.short}"


MINUTES = Unit("minutes", "min", 60, 0, 10)
HOURS = Unit("hours", "h", 3600, 1, 2)
DAYS = Unit("days", "days", 86400, 1, 3)


def lag_unit(longest: timedelta) -> Unit:
    """The one unit a lag chart counts in, from its longest bar: minutes up to two hours,
    hours up to three days, then days (a bar of 0.1 h or of 3,000 min reads badly)."""
    if longest < timedelta(hours=2):
        return MINUTES
    return HOURS if longest < timedelta(days=3) else DAYS


def _lag_text(lag: timedelta | None) -> str:
    if lag is None:
        return "never"
    minutes = int(lag.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h" if minutes < 48 * 60 else f"{minutes // 1440} days"


def _lag_chart(runs: list[model.SourceRow]) -> Any:
    """Time since each source's last successful run, red when stale, in one unit for the
    axis, the labels and the hover; a configured source's stale limit (3 of its intervals)
    as a tick."""
    if not runs:
        return None
    names = [r.name for r in runs]
    limits = [(r.name, 3 * r.every) for r in runs if r.every is not None]
    spans = [r.lag for r in runs if r.lag is not None] + [limit for _, limit in limits]
    unit = lag_unit(max(spans, default=timedelta(0)))
    hover = f"%{{x:,.{unit.decimals}f}} {unit.short}"
    figure = go.Figure(layout={"template": "governance"})
    figure.add_bar(
        y=names,
        x=[unit.of(r.lag) for r in runs],
        orientation="h",
        marker={"color": [theme.OVER if r.stale else theme.OK for r in runs]},
        text=[unit.text(r.lag) for r in runs],
        textposition="outside",
        cliponaxis=False,
        name="since last success",
        hovertemplate=f"%{{y}}: {hover}<extra></extra>",
    )
    if limits:
        figure.add_scatter(
            y=[n for n, _ in limits], x=[unit.of(limit) for _, limit in limits], mode="markers",
            marker={"symbol": "line-ns-open", "size": 18, "color": "#6b7280"},
            name="stale after", hovertemplate=f"stale after {hover}<extra></extra>",
        )  # fmt: skip
    # A scale even when every bar is 0 (a source just read), so "0 min" reads as a length.
    top = max([unit.of(span) for span in spans] + [unit.least]) * 1.15
    figure.update_layout(
        height=70 + 26 * len(runs),
        margin={"l": 140, "r": 60, "t": 10, "b": 40},
        xaxis={"title": {"text": f"{unit.name} since the last successful run"}, "range": [0, top]},
        yaxis={"autorange": "reversed", "ticklabelstandoff": 6},
        showlegend=bool(limits),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return components.graph("source-lag", figure)


def _state(row: model.SourceRow) -> html.Td:
    if row.stale:
        text = "stale: never read" if row.last_success is None else "stale"
        return html.Td(text, className="over")
    if row.every is None:
        return html.Td("read by hand (no schedule)", className="note")
    return html.Td(f"every {_lag_text(row.every)}", className="ok")


def _sources_table(ctx: PageContext, runs: list[model.SourceRow]) -> html.Table:
    head = ["Source", "State", "Last success", "Lag", "Last run", "Runs", "Read", "Added",
            "Duplicates", "Quarantined"]  # fmt: skip
    body = [
        html.Tr(
            [
                html.Td(r.name),
                _state(r),
                html.Td(when(r.last_success)),
                html.Td(_lag_text(r.lag), className="num"),
                html.Td(
                    "never" if r.last_status is None else f"{r.last_status}"
                    + (f": {r.last_error}" if r.last_error else ""),
                    className="over" if r.last_status == "failed" else None,
                ),
                *(html.Td(f"{n:,}", className="num")
                  for n in (r.runs, r.read, r.added, r.duplicates, r.quarantined)),
            ],
            **components.data(source=r.name),
        )
        for r in runs
    ]  # fmt: skip
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
        className="money-table",
        id="sources-table",
    )


def _quarantine(held: model.QuarantinePage) -> html.Div:
    return html.Div(
        [
            html.H3("Quarantine"),
            html.P(
                [
                    "Records that could not be read, each kept with its reason. After a config "
                    "fix (say a missing [fx] rate), run ",
                    html.Code("governance quarantine retry --all"),
                    ".",
                ],
                className="note",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Source", className="label"),
                            dcc.Dropdown(
                                id="quarantine-source",
                                options=held.sources,
                                placeholder="all sources",
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            html.Label("Reason contains", className="label"),
                            dcc.Input(
                                id="quarantine-reason",
                                type="text",
                                placeholder="e.g. currency",
                                debounce=0.3,
                                className="text-input",
                            ),
                        ]
                    ),
                ],
                className="filters",
            ),
            html.Div(quarantine_table(held), id="quarantine-table"),
        ],
        className="panel",
    )


def quarantine_table(held: model.QuarantinePage) -> Any:
    if not held.items:
        return html.P("Nothing held matches." if held.sources else "Nothing is held.")
    shown = f"{held.total:,} held record(s)"
    if held.total > len(held.items):
        shown += f", the newest {len(held.items)} shown: narrow the filter to see others"
    frame = pd.DataFrame(
        [(h.source, h.location, h.reason, when(h.seen_at)) for h in held.items],
        columns=["source", "location", "reason", "seen"],
    )
    table = components.money_table(frame, "", money=(), table_id="quarantine-rows")
    return html.Div([html.Div(shown, className="note", id="quarantine-count"), table])


def _unpriced(ctx: PageContext, unpriced: list[model.Unpriced]) -> html.Div:
    if not unpriced:
        return html.Div([html.H3("Unpriced models"), html.P("Every row has a price.")],
                        className="panel")  # fmt: skip
    frame = pd.DataFrame(
        [(u.provider, u.model, u.unpriced, u.requests, f"{u.first_day} to {u.last_day}")
         for u in unpriced],
        columns=["provider", "model", "unpriced", "requests", "days"],
    ).astype({"unpriced": "int64", "requests": "int64"})  # fmt: skip
    first = unpriced[0].model
    return html.Div(
        [
            html.H3("Unpriced models"),
            html.P(
                [
                    "Their cost counts as 0 in every total until they have a price: add one to "
                    "governance.toml, e.g. ",
                    html.Code(f'[prices."{first}"] input = "0.20"  output = "0.60"'),
                    " (per million tokens), then run ",
                    html.Code("governance reprice"),
                    ".",
                ],
                className="note",
            ),
            components.money_table(
                frame,
                ctx.currency,
                money=(),
                titles={"unpriced": "unpriced rows", "requests": "requests (all rows)"},
                table_id="unpriced-table",
            ),
        ],
        className="panel",
    )


def register(app: Dash, ctx: PageContext) -> None:
    """The quarantine filter: source and reason text, applied in SQL."""

    @app.callback(
        Output("quarantine-table", "children"),
        Input("quarantine-source", "value"),
        Input("quarantine-reason", "value"),
        prevent_initial_call=True,
    )
    def filter_quarantine(source: str | None, reason: str | None) -> Any:
        engine = ctx.governance.engine
        with translate_db_errors(engine), engine.connect() as conn:
            return quarantine_table(model.read_quarantine(conn, source, reason))
