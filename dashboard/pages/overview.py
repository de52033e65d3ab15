"""The overview (``/``): the period's budget, spend and forecast, then one panel per category
with its burn chart, how much of its allocation it has used, why (its top models and teams),
and what was downgraded. Built on navigation from ``read_overview``, whose numbers are those
of ``governance status``."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from dash import Dash, html

from dashboard import components, theme
from dashboard.context import PageContext
from governance.domain.periods import local_day
from governance.ledger.drivers import Ranked
from governance.ledger.read_models.overview import CategoryView, Overview, read_overview


def layout(ctx: PageContext) -> Any:
    period = ctx.period()
    overview = read_overview(ctx.governance.config, ctx.governance.engine, period, ctx.now())
    title = html.H2(f"Overview: {period.start.strftime('%B %Y')}")
    if not overview.freshness.has_data:
        return html.Div([title, components.guidance("the overview")])
    quiet = None
    if overview.spend == 0:  # data from other periods only (a demo of a past month, say)
        quiet = html.P(
            "No spend recorded in this period yet: the Spend page shows the earlier ones.",
            className="guidance",
        )
    return html.Div(
        [
            title,
            quiet,
            _cards(ctx, overview),
            *(_category(ctx, overview, category) for category in overview.categories),
        ]
    )


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{theme.percent(part * 100 / whole)} of budget" if whole else ""


def _cards(ctx: PageContext, overview: Overview) -> html.Div:
    fresh = overview.freshness
    over = [c for c in overview.categories if c.over]
    headed = [c for c in overview.categories if c.forecast_over and not c.over]
    return html.Div(
        [
            components.card("Budget", ctx.money(overview.budget), fresh, field="budget"),
            components.card(
                "Spent so far",
                ctx.money(overview.spend),
                fresh,
                note=_share(overview.spend, overview.budget),
                field="spend",
            ),
            components.card(
                "Forecast at period end",
                ctx.money(overview.forecast),
                fresh,
                note=_share(overview.forecast, overview.budget),
                value_class="over" if overview.forecast > overview.budget else "",
                field="forecast",
            ),
            components.card(
                "Over allocation",
                ", ".join(c.name for c in over) or "none",
                fresh,
                note=(
                    f"forecast to go over: {', '.join(c.name for c in headed)}" if headed else None
                ),
                value_class="over" if over else "ok",
                field="over",
            ),
        ],
        className="cards cards-row",
    )


def _category(ctx: PageContext, overview: Overview, category: CategoryView) -> html.Div:
    colour = ctx.colours.get(category.name, theme.UNCATEGORISED)
    figure = burn_chart(overview, category, colour)
    return html.Div(
        [
            html.Div(
                [
                    html.H3(category.name, style={"borderLeft": f"6px solid {colour}"}),
                    _used(category),
                ],
                className="category-head",
            ),
            html.Div(
                [
                    components.graph(f"burn-{category.name}", figure, "burn"),
                    _facts(ctx, overview, category),
                ],
                className="category-body",
            ),
        ],
        className="panel category",
        **components.data(category=category.name),
    )


def _used(category: CategoryView) -> html.Span:
    if category.percent is None:
        return html.Span(
            "no allocation (share 0)", className="used", **components.data(field="percent")
        )
    text = f"{theme.percent(category.percent)} of allocation used"
    if category.over:
        text += ": over allocation"
    return html.Span(
        text,
        className=f"used {'over' if category.over else 'ok'}",
        **components.data(field="percent"),
    )


def _row(label: str, value: str, field: str, note: str = "", over: bool = False) -> html.Tr:
    return html.Tr(
        [
            html.Th(label),
            html.Td(value, className="over" if over else None, **components.data(field=field)),
            html.Td(note, className="note"),
        ]
    )


def _facts(ctx: PageContext, overview: Overview, c: CategoryView) -> html.Div:
    band = f"80%: {ctx.money(c.forecast_low)} to {ctx.money(c.forecast_high)}"
    percent_of = f"{theme.percent(c.forecast * 100 / c.allocation)}" if c.allocation else ""
    numbers = html.Table(
        [
            _row("Allocation", ctx.money(c.allocation), "allocation"),
            _row("Spent", ctx.money(c.spend), "spend", theme.percent(c.percent), c.over),
            _row("Forecast", ctx.money(c.forecast), "forecast", percent_of, c.forecast_over),
            html.Tr([html.Th(""), html.Td(band, colSpan=2, className="note")]),
        ],
        className="facts-numbers",
    )
    return html.Div(
        [
            numbers,
            _crossed(c),
            _directives(c),
            _drivers("Top models", c.top_models, ctx),
            _drivers("Top teams", c.top_teams, ctx),
            components.as_of(overview.freshness),
        ],
        className="facts",
    )


def _crossed(c: CategoryView) -> html.Div | None:
    if not c.crossed:
        return None
    levels = ", ".join(
        f"{x['level']}% {x['basis']} on {datetime.fromisoformat(x['at']):%-d %b}" for x in c.crossed
    )
    return html.Div([html.Strong("Levels crossed: "), levels], className="crossed")


def _directives(c: CategoryView) -> html.Div:
    if not c.directives:
        return html.Div("No downgrade in force.", className="directives none")
    items = [
        html.Li(
            [
                html.Strong(f"{d.from_tier} → {d.to_tier}"),
                f" since {components.when(d.effective_from)}: {d.reason}",
            ]
        )
        for d in c.directives
    ]
    return html.Div([html.Strong("Downgraded: "), html.Ul(items)], className="directives")


def _drivers(label: str, ranked: Ranked, ctx: PageContext) -> html.Div:
    text = ", ".join(f"{name} {ctx.money(cost)}" for name, cost in ranked) or "none"
    return html.Div([html.Strong(f"{label}: "), text], className="drivers")


def burn_chart(overview: Overview, c: CategoryView, colour: str) -> go.Figure:
    """Cumulative spend per local day against the allocation's even pace and its levels, and
    the forecast with its 80% interval from today to the period's last day."""
    period = overview.period
    first = local_day(period.start, period.timezone)
    last = local_day(period.end - timedelta(microseconds=1), period.timezone)
    days = [first + timedelta(days=i) for i in range(len(c.daily))]
    cumulative = [float(x) for x in itertools.accumulate(c.daily)]
    today, spent = (days[-1], cumulative[-1]) if days else (first, 0.0)
    ahead = [today, last]
    hover = f"%{{x|%-d %b}}: %{{y:,.2f}} {overview.currency}"
    allocation = float(c.allocation)
    traces = [
        {"x": [first, last], "y": [allocation / period.days, allocation], "mode": "lines",
         "line": {"color": "#9ca3af", "dash": "dash", "width": 1}, "name": "even pace"},
        {"x": ahead, "y": [spent, float(c.forecast_high)], "mode": "lines", "line": {"width": 0},
         "showlegend": False, "hoverinfo": "skip"},
        {"x": ahead, "y": [spent, float(c.forecast_low)], "mode": "lines", "line": {"width": 0},
         "fill": "tonexty", "fillcolor": _faded(colour), "name": "80% interval",
         "hoverinfo": "skip"},
        {"x": ahead, "y": [spent, float(c.forecast)], "mode": "lines+markers",
         "line": {"color": colour, "dash": "dot"}, "name": "forecast", "hovertemplate": hover},
        {"x": days, "y": cumulative, "mode": "lines+markers", "line": {"color": colour, "width": 3},
         "marker": {"size": 4}, "name": "spent", "hovertemplate": hover},
    ]  # fmt: skip
    heights = {level: allocation * level / 100 for level in overview.thresholds if allocation}
    shapes = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
         "line": {"color": theme.LEVEL_COLOURS.get(level, theme.OVER), "dash": "dot", "width": 1}}
        for level, y in heights.items()
    ]  # fmt: skip
    labels = [
        {"x": 1, "xref": "paper", "xanchor": "left", "y": y, "text": f"{level}%",
         "showarrow": False, "font": {"size": 10, "color": "#6b7280"}}
        for level, y in heights.items()
    ]  # fmt: skip
    top = max(allocation, float(c.forecast_high), spent) * 1.08 or 1.0
    layout = {
        "template": "governance", "height": 290, "shapes": shapes, "annotations": labels,
        "margin": {"l": 70, "r": 36, "t": 30, "b": 40},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"title": {"text": f"day ({period.timezone})"}, "range": _padded(first, last)},
        "yaxis": {"title": {"text": theme.axis_title(overview.currency)}, "range": [0, top]},
    }  # fmt: skip
    # One construction, not add_* calls: plotly validates each call, ~30 ms a chart otherwise.
    return go.Figure(data=[go.Scatter(t) for t in traces], layout=layout)


def _padded(first: date, last: date) -> list[datetime]:
    """The x range of whole days, with half a day either side so end markers show whole."""
    half = timedelta(hours=12)
    return [datetime.combine(first, time()) - half, datetime.combine(last, time()) + half]


def _faded(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.18)"


def register(app: Dash, ctx: PageContext) -> None:
    """Nothing to call back: the page is built whole on navigation."""
