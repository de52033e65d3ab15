"""The spend page (``/spend``): where the money goes, by tier, category, model, team or
provider, over the days of a period (stacked bars) and in total (bars and a table with a CSV
download). Every chart and the table obey the same filters; the unfiltered totals are those of
``governance spend --by X``, read the same way (``read_models.spend``)."""

from __future__ import annotations

from datetime import UTC
from typing import Any, cast

import pandas as pd
import plotly.express as px
from dash import Dash, Input, Output, State, dcc, html
from dash.dcc.express import send_string

from dashboard import components, theme
from dashboard.context import PageContext
from governance.domain.money import from_nanos, money_str, to_nanos
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models import spend as model
from governance.ledger.read_models.freshness import read_freshness

FILTERS = ("category", "team", "provider")
PLURALS = {"category": "categories", "team": "teams", "provider": "providers"}
Choice = list[str] | None


def layout(ctx: PageContext, /, **query: str) -> Any:
    engine = ctx.governance.engine
    with translate_db_errors(engine), engine.connect() as conn:
        freshness = read_freshness(conn)
        periods = model.periods_with_data(conn, ctx.governance.config.budget.timezone)
    title = html.H2("Spend")
    if not freshness.has_data or not periods:
        return html.Div([title, components.guidance("the spend page")])
    label = ctx.period().label if ctx.period().label in periods else periods[0]
    frame = _frame(ctx, label)
    by = "tier"
    by_day, in_total, table, total = _outputs(ctx, frame, by, label)
    table_panel = html.Div(
        [
            html.Div(
                [
                    html.Strong(total, id="spend-total"),
                    html.Button("Download CSV", id="spend-csv", className="button"),
                ],
                className="table-head",
            ),
            html.Div(table, id="spend-table"),
            dcc.Download(id="spend-download"),
        ],
        className="panel",
    )
    return html.Div(
        [
            title,
            components.as_of(freshness),
            _filters(ctx, periods, label, frame, by),
            html.Div(components.graph("spend-by-day", by_day), className="panel"),
            html.Div(
                [
                    html.Div(components.graph("spend-totals", in_total), className="panel"),
                    table_panel,
                ],
                className="grid2 spend-bottom",
            ),
        ]
    )


def _frame(ctx: PageContext, label: str) -> pd.DataFrame:
    period, engine = ctx.period(label), ctx.governance.engine
    with translate_db_errors(engine), engine.connect() as conn:
        return model.spend_frame(conn, period, ctx.now())


def _options(ctx: PageContext, frame: pd.DataFrame, column: str) -> list[str]:
    present = set(frame[column])
    if column == "category":  # the config's order, as everywhere else
        known = [name for name in ctx.governance.config.categories if name in present]
        return known + sorted(present - set(known))
    return sorted(present)


def _filters(
    ctx: PageContext, periods: list[str], label: str, frame: pd.DataFrame, by: str
) -> html.Div:
    def field(title: str, control: Any) -> html.Div:
        return html.Div([html.Label(title, className="label"), control])

    period_options = [{"label": components.month(p), "value": p} for p in periods]
    return html.Div(
        [
            field(
                "Period", dcc.Dropdown(period_options, label, id="spend-period", clearable=False)
            ),
            *(
                field(
                    column.capitalize(),
                    dcc.Dropdown(
                        _options(ctx, frame, column),
                        [],
                        id=f"spend-{column}",
                        multi=True,
                        placeholder=f"all {PLURALS[column]}",
                    ),
                )
                for column in FILTERS
            ),
            field(
                "Group by",
                dcc.RadioItems(
                    list(model.DIMENSIONS), by, id="spend-by", inline=True, className="radio"
                ),
            ),
        ],
        className="filters",
    )


def _table(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """The table shown (and downloaded): per value of ``by``, spend, share and usage."""
    table = model.totals(frame, by)
    total = table["cost"].sum()
    share = [theme.percent(cost * 100 / total) if total else "-" for cost in table["cost"]]
    table.insert(2, "share", share)
    return table


def _titles(ctx: PageContext, by: str) -> dict[str, str]:
    return {
        by: by,
        "cost": theme.axis_title(ctx.currency),
        "share": "share",
        "requests": "requests",
        "input_tokens": "input tokens",
        "output_tokens": "output tokens",
    }


def _colours(ctx: PageContext, by: str) -> dict[str, str]:
    return {"tier": theme.TIER_COLOURS, "category": ctx.colours}.get(by, {})


def _outputs(ctx: PageContext, frame: pd.DataFrame, by: str, label: str) -> tuple[Any, ...]:
    """The by-day figure, the totals figure, the table and the total's text."""
    table = _table(frame, by)
    total = ctx.money(table["cost"].sum()) if len(table) else ctx.money(0)
    text = f"{components.month(label)}: {total}"
    if frame.empty:
        empty = components.empty_figure("No spend matches these filters")
        return empty, empty, html.P("No spend matches these filters."), text
    order = {by: list(table[by])}
    colours, axis = _colours(ctx, by), theme.axis_title(ctx.currency)
    days = model.per_day(frame, by).assign(cost=lambda d: d["cost"].astype(float))
    by_day = px.bar(
        days,
        x="day",
        y="cost",
        color=by,
        category_orders=order,
        color_discrete_map=colours,
        template="governance",
        labels={"cost": axis, "day": "day (UTC)"},
        title=_day_title(ctx, by, label),
    )
    by_day.update_traces(hovertemplate=f"%{{x|%-d %b}}: %{{y:,.2f}} {ctx.currency}")
    by_day.update_layout(
        height=330,
        bargap=0.15,
        legend_title_text="",
        legend={"orientation": "v", "x": 1.01, "y": 1},
    )
    sums = table.assign(cost=table["cost"].astype(float))
    totals = px.bar(
        sums,
        x="cost",
        y=by,
        orientation="h",
        color=by,
        category_orders=order,
        color_discrete_map=colours,
        template="governance",
        labels={"cost": axis},
        title=f"Spend in total by {by}",
    )
    totals.update_traces(hovertemplate=f"%{{y}}: %{{x:,.2f}} {ctx.currency}<extra></extra>")
    totals.update_layout(
        height=max(240, 60 + 28 * len(table)), showlegend=False, yaxis={"automargin": True}
    )
    rows = components.money_table(
        table, ctx.currency, titles=_titles(ctx, by), right=("share",), table_id="spend-rows"
    )
    return by_day, totals, rows, text


def _day_title(ctx: PageContext, by: str, label: str) -> str:
    period, now = ctx.period(label), ctx.now()
    if period.contains(now):  # the UTC day in progress counts what has come in so far
        return f"Spend per day by {by} ({now.astimezone(UTC):%-d %b} in progress)"
    return f"Spend per day by {by}"


def _filtered(ctx: PageContext, label: str, chosen: tuple[Choice, ...]) -> pd.DataFrame:
    return model.select_rows(_frame(ctx, label), dict(zip(FILTERS, chosen, strict=True)))


def _csv(ctx: PageContext, table: pd.DataFrame, by: str) -> str:
    """The table as CSV, money as exact decimal strings (to the ledger's nano-unit)."""
    exact = table.assign(cost=[money_str(from_nanos(to_nanos(c))) for c in table["cost"]])
    return exact.rename(columns=_titles(ctx, by)).to_csv(index=False)


def register(app: Dash, ctx: PageContext) -> None:
    """Filters and grouping redraw everything; the button downloads the table shown."""
    chosen = [Input("spend-period", "value"), *(Input(f"spend-{c}", "value") for c in FILTERS)]

    @app.callback(
        Output("spend-by-day", "figure"),
        Output("spend-totals", "figure"),
        Output("spend-table", "children"),
        Output("spend-total", "children"),
        *chosen,
        Input("spend-by", "value"),
        prevent_initial_call=True,
    )
    def redraw(label: str, *rest: Any) -> tuple[Any, ...]:
        *filters, by = rest
        return _outputs(ctx, _filtered(ctx, label, tuple(filters)), by, label)

    @app.callback(
        *(Output(f"spend-{c}", "options") for c in FILTERS),
        Input("spend-period", "value"),
        prevent_initial_call=True,
    )
    def options(label: str) -> tuple[list[str], ...]:
        frame = _frame(ctx, label)
        return tuple(_options(ctx, frame, column) for column in FILTERS)

    @app.callback(
        Output("spend-download", "data"),
        Input("spend-csv", "n_clicks"),
        *(State(i.component_id, i.component_property) for i in chosen),
        State("spend-by", "value"),
        prevent_initial_call=True,
    )
    def download(_clicks: int, label: str, *rest: Any) -> dict[str, Any]:
        *filters, by = rest
        table = _table(_filtered(ctx, label, tuple(filters)), by)
        sent = send_string(_csv(ctx, table, by), f"spend-{label}-by-{by}.csv")  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        return cast(dict[str, Any], sent)
