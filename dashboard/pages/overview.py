"""The overview (``/``): the period's budget, spend and forecast, then one panel per category
with its burn chart, its state (the worse of the levels its spend and its forecast reached),
why (its top models and teams), and what was downgraded. Built on navigation from
``read_overview``, whose numbers are those of ``governance status``. ``?period=YYYY-MM``
picks the period (default the current one); while the current one has only begun, a notice
points at the last full one."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard import components, theme
from dashboard.context import PageContext
from governance.domain.periods import Period, local_day
from governance.exceptions import UsageError
from governance.ledger.drivers import Ranked
from governance.ledger.errors import translate_db_errors
from governance.ledger.read_models.periods import PeriodChoice, read_period_choice
from governance.services.overview import CategoryView, Overview, read_overview


def layout(ctx: PageContext, /, **query: str) -> Any:
    engine = ctx.governance.engine
    with translate_db_errors(engine), engine.connect() as conn:
        choice = read_period_choice(conn, ctx.governance.config.budget.timezone, ctx.now())
    period, problem = _chosen(ctx, choice, query.get("period"))
    overview = read_overview(ctx.governance.config, engine, period, ctx.now())
    title = html.H2(f"Overview: {components.month(period.label)}")
    if not overview.freshness.has_data:
        return html.Div([title, components.guidance("the overview")])
    quiet = None
    if overview.spend == 0:  # data from other periods only (a demo of a past month, say)
        quiet = html.P(
            "No spend recorded in this period yet: choose an earlier one above.",
            className="guidance",
        )
    return html.Div(
        [
            html.Div([title, _picker(choice, period)], className="page-head"),
            components.as_of(overview.freshness),
            problem,
            _begun(choice, overview),
            quiet,
            _cards(ctx, overview),
            *(_category(ctx, overview, category) for category in overview.categories),
        ]
    )


def _chosen(ctx: PageContext, choice: PeriodChoice, label: str | None) -> tuple[Period, Any]:
    """The period ``?period=`` names, or the current one (with a line saying why)."""
    if not label:
        return choice.current, None
    try:
        return ctx.period(label), None
    except UsageError as exc:
        note = f"{exc}: showing the current period."
        return choice.current, html.P(note, className="problem", id="period-problem")


def _picker(choice: PeriodChoice, shown: Period) -> html.Div:
    labels = choice.labels if shown.label in choice.labels else [shown.label, *choice.labels]
    current = choice.current.label
    options = [
        {"label": components.month(label) + (" (current)" if label == current else ""),
         "value": label}
        for label in labels
    ]  # fmt: skip
    return html.Div(
        [
            html.Label("Period", className="label", htmlFor="overview-period"),
            dcc.Dropdown(
                options, shown.label, id="overview-period", clearable=False, searchable=False
            ),
        ],
        className="period-picker",
    )


def _begun(choice: PeriodChoice, overview: Overview) -> html.Div | None:
    """While the current period is young, where to look instead: the last full period."""
    if overview.period.label != choice.current.label or not choice.begun_only:
        return None
    period = overview.period
    day = min(math.floor(choice.current.elapsed_days(choice.now)) + 1, period.days)
    text: list[Any] = [
        f"{components.month(period.label)} has only begun (day {day} of {period.days}): its "
        "spend and forecasts rest on little data"
    ]
    if overview.forecast_crossings_from is not None:
        text.append(f", and forecast crossings start on day {overview.forecast_crossings_from}")
    text.append(". ")
    if choice.last_full is not None:
        text.append(
            dcc.Link(
                f"See {components.month(choice.last_full)}, the last full period",
                href=f"/?period={choice.last_full}",
                id="last-full-period",
            )
        )
    return html.Div(text, className="notice", id="period-begun")


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{theme.percent(part * 100 / whole)} of budget" if whole else ""


def _cards(ctx: PageContext, overview: Overview) -> html.Div:
    over = [c for c in overview.categories if c.over]
    headed = [c for c in overview.categories if c.forecast_over and not c.over]
    return html.Div(
        [
            components.card("Budget", ctx.money(overview.budget), field="budget"),
            components.card(
                "Spent" if overview.ended else "Spent so far",
                ctx.money(overview.spend),
                note=_share(overview.spend, overview.budget),
                field="spend",
            ),
            components.card(
                "Forecast at period end",
                ctx.money(overview.forecast),
                note="the period has ended"
                if overview.ended
                else _share(overview.forecast, overview.budget),
                value_class="over" if overview.forecast > overview.budget else "",
                field="forecast",
            ),
            components.card(
                "Over allocation",
                ", ".join(c.name for c in over) or "none",
                note=(
                    f"forecast to go over: {', '.join(c.name for c in headed)}" if headed else None
                ),
                # Not green while a forecast goes over: the state is the worse of the two.
                value_class="over" if over else "" if headed else "ok",
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
                    *_state(overview, category),
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


def _state(overview: Overview, c: CategoryView) -> list[html.Span]:
    """How much is used and forecast, and the category's state: the worse of the levels its
    spend and its forecast have reached, in that level's colour."""
    if c.percent is None:
        return [html.Span("no allocation (share 0)", className="used",
                          **components.data(field="percent"))]  # fmt: skip
    used = html.Span(
        f"{theme.percent(c.percent)} of allocation used",
        className=f"used {'over' if c.over else ''}".strip(),
        **components.data(field="percent"),
    )
    level, basis = overview.state(c)
    wait = overview.forecast_crossings_from
    style: dict[str, str] = {}
    if level is None:
        text = f"below {min(overview.thresholds, default=100)}%"
    else:
        fill = theme.level_colour(level, overview.thresholds)
        style = {"background": fill, "color": theme.ink(fill)}
        text = "over allocation" if level >= 100 else f"past {level}%"
        if basis == "forecast":
            text = f"forecast {theme.percent(c.forecast_percent)}: {text}"
    badge = html.Span(
        text,
        className="state" + (" ok" if level is None else ""),
        style=style,
        **components.data(field="state", level=None if level is None else str(level), basis=basis),
    )
    if basis == "forecast" and wait is not None:
        note = html.Span(f"forecast crossings start on day {wait}", className="note",
                         **components.data(field="forecast-wait"))  # fmt: skip
        return [used, badge, note]
    return [used, badge]


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
            _directives(overview, c),
            _drivers("Top models", c.top_models, ctx),
            _drivers("Top teams", c.top_teams, ctx),
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


def _directives(overview: Overview, c: CategoryView) -> html.Div:
    ended = overview.ended
    if not c.directives:
        text = "No downgrade in this period." if ended else "No downgrade in force."
        if overview.forecast_crossings_from is not None:
            text = (
                f"{text[:-1]}: forecast crossings start on day {overview.forecast_crossings_from}."
            )
        return html.Div(text, className="directives none")
    when = components.when
    items = [
        html.Li(
            [
                html.Strong(f"{d.from_tier} → {d.to_tier}"),
                f" {when(d.effective_from)} to {when(d.until)}: {d.reason}"
                if ended else f" since {when(d.effective_from)}: {d.reason}",
            ]
        )
        for d in c.directives
    ]  # fmt: skip
    label = "Downgraded in this period: " if ended else "Downgraded: "
    return html.Div([html.Strong(label), html.Ul(items)], className="directives")


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
    if overview.ended:  # nothing left to forecast: the pace and what was spent
        traces = [traces[0], traces[-1]]
    heights = {level: allocation * level / 100 for level in overview.thresholds if allocation}
    shapes = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
         "line": {"color": theme.level_colour(level, overview.thresholds), "dash": "dot",
                  "width": 1}}
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
    """The period picker puts its choice in the URL (``?period=``): the page is built whole
    again for it, and the address can be shared."""

    @app.callback(
        Output("url", "search"),
        Input("overview-period", "value"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def choose(label: str | None, search: str | None) -> Any:
        shown = parse_qs((search or "").lstrip("?")).get("period", [None])[-1]
        # The dropdown reports its value as it is drawn: only a new choice navigates.
        if not label or label == (shown or ctx.period().label):
            return no_update
        return f"?period={label}"
