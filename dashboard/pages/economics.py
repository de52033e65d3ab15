"""Economics (``/economics``), from the seed documents on model selection: the period's tier
mix by requests and by cost against the recommended mix (premium under 10% of requests,
standard 70-80%, economy 10-20%), what the period would have cost at that mix with each
category's own models and prices, what the downgrade directives saved (an estimate, its method
on the page), and a fine-tuning payback calculator. The arithmetic is
``governance.domain.economics``; this module only lays it out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html

from dashboard import components, theme
from dashboard.context import PageContext
from governance.domain.economics import (
    MIX_TIERS,
    RECOMMENDED_MIX,
    in_band,
    payback,
    recommended_weights,
    shares,
    typed_amount,
)
from governance.ledger.read_models.economics import (
    DirectiveEffect,
    Economics,
    TopModel,
    read_economics,
)

UNCLASSIFIED = "unclassified"


def layout(ctx: PageContext, /, **query: str) -> Any:
    period = ctx.period()
    economics = read_economics(ctx.governance.engine, period, ctx.now())
    title = html.H2(f"Economics: {components.month(period.label)}")
    if not economics.freshness.has_data or not (economics.usage or economics.uncounted):
        return html.Div([title, components.guidance("the economics page")])
    return html.Div(
        [
            title,
            components.as_of(economics.freshness),
            _cards(ctx, economics),
            html.Div(
                [
                    html.Div(components.graph("tier-mix", mix_chart(economics)), className="panel"),
                    html.Div(
                        components.graph("mix-cost", cost_chart(ctx, economics)), className="panel"
                    ),
                ],
                className="grid2",
            ),
            _mix_table(ctx, economics),
            _savings(ctx, economics),
            _payback_panel(ctx, economics.top_model),
        ]
    )


def _band(tier: str) -> str:
    low, high = RECOMMENDED_MIX[tier]
    return f"under {high}%" if tier == "premium" else f"{low}-{high}%"


def _cards(ctx: PageContext, e: Economics) -> html.Div:
    by_requests = shares(e.requests_by_tier())
    at_mix = e.at_mix().values()
    actual = sum((m.actual for m in at_mix), Decimal(0))
    cheaper = sum((m.at_mix for m in at_mix), Decimal(0))
    saved = [d.savings.saved for d in e.directives if d.savings.saved is not None]
    counted = [d for d in e.directives if d.days_after > 0]
    tier_cards = [
        components.card(
            f"{tier.capitalize()} share of requests",
            theme.percent(by_requests.get(tier, Decimal(0))),
            note=f"recommended: {_band(tier)}",
            value_class="ok" if in_band(tier, by_requests.get(tier, Decimal(0))) else "over",
            field=f"share-{tier}",
        )
        for tier in MIX_TIERS
    ]
    return html.Div(
        [
            *tier_cards,
            components.card(
                "At the recommended mix",
                ctx.money(cheaper),
                note=f"actual {ctx.money(actual)}: {ctx.money(actual - cheaper)} less",
                field="at-mix",
            ),
            components.card(
                "Saved by directives (estimate)",
                ctx.money(sum(saved, Decimal(0))),
                note=f"{len(e.directives)} directive(s) this period"
                + (", none a whole day old yet" if e.directives and not counted else ""),
                field="directive-savings",
            ),
        ],
        className="cards cards-row",
    )


def mix_chart(e: Economics) -> go.Figure:
    """The tier mix by requests, by cost and as recommended: one 100% bar each."""
    rows = {
        "by requests": shares(e.requests_by_tier()),
        "by cost": shares(e.cost_by_tier()),
        "recommended": {t: w * 100 for t, w in recommended_weights().items()},
    }
    figure = go.Figure(layout={"template": "governance"})
    for tier in (*MIX_TIERS, UNCLASSIFIED):
        values = [float(row.get(tier, 0)) for row in rows.values()]
        if not any(values):
            continue
        figure.add_bar(
            y=list(rows), x=values, orientation="h", name=tier,
            marker={"color": theme.TIER_COLOURS.get(tier, theme.UNCATEGORISED)},
            text=[f"{v:.0f}%" if v >= 4 else "" for v in values], textposition="inside",
            textangle=0,
            hovertemplate=f"{tier} %{{y}}: %{{x:.1f}}%<extra></extra>",
        )  # fmt: skip
    figure.update_layout(
        title={"text": "Tier mix against the recommended mix"},
        barmode="stack",
        height=300,
        margin={"l": 100, "b": 90},
        legend={"y": -0.32, "traceorder": "normal"},
        xaxis={"title": {"text": "% of requests, or of cost"}, "range": [0, 100]},
        yaxis={"autorange": "reversed"},
    )
    return figure


def cost_chart(ctx: PageContext, e: Economics) -> go.Figure:
    """Per category, its cost and its cost at the recommended mix."""
    costs = e.at_mix()
    names = list(costs)
    colours = [ctx.colours.get(n, theme.UNCATEGORISED) for n in names]
    figure = go.Figure(layout={"template": "governance"})
    figure.add_bar(
        x=names, y=[float(costs[n].actual) for n in names], name="actual",
        marker={"color": colours},
        hovertemplate=f"%{{x}} actual: %{{y:,.2f}} {ctx.currency}<extra></extra>",
    )  # fmt: skip
    figure.add_bar(
        x=names, y=[float(costs[n].at_mix) for n in names], name="at the recommended mix",
        marker={"color": colours, "opacity": 0.45, "pattern": {"shape": "/"}},
        hovertemplate=f"%{{x}} at the mix: %{{y:,.2f}} {ctx.currency}<extra></extra>",
    )  # fmt: skip
    figure.update_layout(
        title={"text": "Cost per category: actual and at the recommended mix"},
        barmode="group",
        height=300,
        margin={"b": 90},
        legend={"y": -0.32},
        xaxis={"title": {"text": "category"}},
        yaxis={"title": {"text": theme.axis_title(ctx.currency)}},
    )
    return figure


def _mix_table(ctx: PageContext, e: Economics) -> html.Div:
    rows = []
    for name, cost in e.at_mix().items():
        split = shares({t: u.requests for t, u in e.usage.get(name, {}).items()})
        rows.append(
            (name, sum(u.requests for u in e.usage.get(name, {}).values()),
             *(theme.percent(split.get(t, Decimal(0))) for t in MIX_TIERS),
             cost.actual, cost.at_mix, cost.difference)
        )  # fmt: skip
    frame = pd.DataFrame(
        rows, columns=["category", "requests", *MIX_TIERS, "actual", "at_mix", "difference"]
    ).astype({"requests": "int64"})
    weights = ", ".join(f"{t} {w * 100:.1f}%" for t, w in recommended_weights().items())
    return html.Div(
        [
            html.H3("Per category"),
            components.money_table(
                frame,
                ctx.currency,
                money=("actual", "at_mix", "difference"),
                titles={t: f"{t} (% of requests)" for t in MIX_TIERS}
                | {"at_mix": "at the recommended mix", "difference": "less at the mix"},
                right=MIX_TIERS,
                table_id="mix-table",
            ),
            html.Details(
                [
                    html.Summary("How the cost at the recommended mix is computed"),
                    html.P(
                        "The recommended mix's midpoints (5%, 75%, 15%) add up to 95%, so they "
                        f"are scaled to 100%: {weights}. Each category's requests at premium, "
                        "standard and economy models are spread over the tiers at those shares, "
                        "each priced at the category's own average cost per request at that "
                        "tier this period (budget spend: bills spread over the gateway's "
                        "traffic), or, for a tier the category did not use, the average over "
                        "all categories. Requests of unclassified models, and spend without "
                        "request counts (a bill for traffic the gateway never sees), are kept "
                        "as they are."
                    ),
                ],
                className="method",
            ),
        ],
        className="panel",
    )


def _saved(ctx: PageContext, d: DirectiveEffect) -> str:
    if d.days_after == 0:
        return "no whole day since it took effect"
    if d.savings.saved is None:
        return "cannot be estimated (no from-tier traffic before it)"
    return ctx.money(d.savings.saved)


def _savings(ctx: PageContext, e: Economics) -> html.Div:
    if not e.directives:
        table: Any = html.P("No directive this period: nothing was downgraded.")
    else:
        frame = pd.DataFrame(
            [(f"{d.category}: {d.from_tier} → {d.to_tier}", components.when(d.effective_from),
              d.days_after, d.savings.rerouted, _saved(ctx, d))
             for d in e.directives],
            columns=["directive", "effective", "days after", "rerouted", "saved"],
        ).astype({"days after": "int64", "rerouted": "int64"})  # fmt: skip
        titles = {"rerouted": "requests rerouted", "saved": "saved (estimate)"}
        table = components.money_table(
            frame, ctx.currency, money=(), titles=titles, right=("saved",), table_id="savings"
        )
    return html.Div(
        [
            html.H3("What the directives saved"),
            table,
            html.Details(
                [
                    html.Summary("How the savings are estimated"),
                    html.P(
                        "For each directive of the period, on the UTC days after the day it "
                        "took effect (until it ended): the requests of its category served at "
                        "its to-tier, beyond the to-tier's usual share of the category's "
                        "requests before that day, count as rerouted. Each is priced at the "
                        "from-tier's average cost per request before the directive, less the "
                        "to-tier's average cost per request after it. The day it took effect "
                        "counts on neither side. Composed steps (premium → standard → economy) "
                        "are each counted at their own step, so a request rerouted twice counts "
                        "once at the second step's prices: an underestimate."
                    ),
                ],
                className="method",
            ),
        ],
        className="panel",
    )


def _field(label: str, input_id: str, value: str, hint: str) -> html.Div:
    return html.Div(
        [
            html.Label(label, className="label", htmlFor=input_id),
            dcc.Input(id=input_id, type="text", value=value,
                      debounce=0.3, className="text-input"),
            html.Div(hint, className="note"),
        ]
    )  # fmt: skip


def _payback_panel(ctx: PageContext, top: TopModel | None) -> html.Div:
    """Prefilled from the ledger's top model: its monthly cost at this period's pace, and a
    tenth of it after (distillation costs 10-100x less per the seed); both can be changed."""
    current = Decimal(0) if top is None else top.monthly.quantize(Decimal("0.01"))
    source = (
        "no model has spend yet"
        if top is None
        else f"{top.model}, the top model this period: {ctx.money(top.spend)} so far, "
        f"{ctx.money(top.monthly)} a month at this pace"
    )
    return html.Div(
        [
            html.H3("Fine-tuning payback"),
            html.P(
                "Monthly savings = current inference cost - projected cost after fine-tuning; "
                "payback = fine-tuning cost / monthly savings. Rule of thumb from the seed "
                "documents: a fine-tune costs $10,000-$50,000 and pays back in 6-12 months "
                "when it saves more than $2,000 a month.",
                className="note",
            ),
            html.Div(
                [
                    _field(
                        "Fine-tuning cost",
                        "payback-investment",
                        "20000.00",
                        "data preparation, compute, 3-5 training runs",
                    ),
                    _field(
                        "Current monthly inference cost", "payback-current", str(current), source
                    ),
                    _field(
                        "Projected monthly cost after",
                        "payback-projected",
                        str((current / 10).quantize(Decimal("0.01"))),
                        "prefilled: a tenth of the current cost",
                    ),
                ],
                className="payback",
            ),
            html.Div(id="payback-answer", className="payback-answer"),
        ],
        className="panel",
    )


def payback_answer(
    ctx: PageContext, investment: str | None, current: str | None, projected: str | None
) -> Any:
    """The calculator's answer, or what is wrong with the input (never an error)."""
    try:
        result = payback(
            typed_amount(investment, "fine-tuning cost"),
            typed_amount(current, "current monthly cost"),
            typed_amount(projected, "projected monthly cost"),
        )
    except ValueError as exc:
        return html.Div(
            f"Cannot answer: {exc}.", className="problem", **components.data(field="payback-error")
        )
    if result.months is None:
        return html.Div(
            "The projected cost is not below the current one: the fine-tune saves nothing "
            "and never pays back.",
            className="over",
            **components.data(field="payback-months"),
        )
    months = result.months.quantize(Decimal("0.1"))
    return html.Div(
        [
            "Saves ",
            html.Span(ctx.money(result.monthly_savings), className="value"),
            " a month: pays back in ",
            html.Span(
                f"{months} months", className="value", **components.data(field="payback-months")
            ),
            " (within a year)." if result.months <= 12 else " (more than a year).",
        ]
    )


def register(app: Dash, ctx: PageContext) -> None:
    """The payback calculator answers as its inputs change."""

    @app.callback(
        Output("payback-answer", "children"),
        Input("payback-investment", "value"),
        Input("payback-current", "value"),
        Input("payback-projected", "value"),
    )
    def answer(investment: str | None, current: str | None, projected: str | None) -> Any:
        return payback_answer(ctx, investment, current, projected)
