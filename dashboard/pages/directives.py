"""Directives & alerts (``/activity``; ``/directives`` is the routers' API): every downgrade
directive, in force or ended, with what triggered it and who revoked it; the alerts sent or
waiting with their delivery state. A permanent delivery error (a revoked token, an unknown
channel) comes first, in red: until someone fixes the config, nobody is being told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import plotly.graph_objects as go
from dash import Dash, html

from dashboard import components, theme
from dashboard.context import PageContext
from governance.domain.periods import Period
from governance.services.activity import (
    Activity,
    AlertRow,
    DirectiveRow,
    Problem,
    read_activity,
)

when = components.when


def layout(ctx: PageContext, /, **query: str) -> Any:
    activity = read_activity(ctx.governance)
    title = html.H2("Directives & alerts")
    problems = _problems(activity.problems) if activity.problems else None
    if not activity.freshness.has_data and not activity.directives and not activity.alerts:
        return html.Div([title, problems, components.guidance("the directives and alerts page")])
    parts: list[Any] = [
        title,
        components.as_of(activity.freshness),
        problems,
        _cards(activity),
        html.Div(
            [
                html.H3("Directives"),
                _timeline(ctx, activity.directives),
                _directives_table(ctx, activity.directives),
            ],
            className="panel",
        ),
        html.Div([html.H3("Alerts"), _alerts(activity, ctx.now())], className="panel"),
    ]
    return html.Div(parts)


def _problems(problems: list[Problem]) -> html.Div:
    return html.Div(
        [
            html.H3("Alerts are not being delivered"),
            html.Ul(
                [
                    html.Li([html.Strong(p.target), f": {p.reason} (since {when(p.since)})"])
                    for p in problems
                ]
            ),
            html.P(
                "A permanent error is not retried: fix [alerts.slack] in governance.toml or the "
                "secret it names. The waiting alerts are then sent."
            ),
        ],
        className="problem delivery-problem",
        id="delivery-problem",
    )


def _cards(activity: Activity) -> html.Div:
    statuses = [a.status for a in activity.alerts]
    active = activity.active
    return html.Div(
        [
            components.card(
                "Directives in force",
                str(len(active)),
                note=", ".join(f"{d.category}: {d.from_tier} → {d.to_tier}" for d in active),
                value_class="over" if active else "ok",
                field="active",
            ),
            components.card("Ended directives", str(len(activity.directives) - len(active))),
            components.card("Alerts sent", str(statuses.count("sent")), field="sent"),
            components.card(
                "Alerts waiting",
                str(statuses.count("pending")),
                note=None if activity.alerts_configured else "no [alerts.slack]: they wait",
            ),
            components.card(
                "Alerts failed",
                str(statuses.count("failed")),
                value_class="over" if "failed" in statuses else "ok",
                field="failed",
            ),
        ],
        className="cards cards-row",
    )


def _timeline(ctx: PageContext, directives: list[DirectiveRow]) -> Any:
    if not directives:
        return None
    return components.graph("directive-timeline", timeline(directives, ctx.now(), ctx.period()))


def timeline(directives: list[DirectiveRow], now: datetime, period: Period) -> go.Figure:
    """One bar per directive from when it took effect to when it ended (or expires), in its
    to-tier's colour; ended ones faded."""
    figure = go.Figure(layout={"template": "governance"})
    for d in reversed(directives):  # oldest at the top
        end = d.ended_at or d.expires_at
        figure.add_bar(
            y=[f"{d.category}: {d.from_tier} → {d.to_tier} ({d.period})"],
            x=[(end - d.effective_from).total_seconds() * 1000],
            base=[d.effective_from],
            orientation="h",
            marker={"color": theme.TIER_COLOURS.get(d.to_tier, theme.UNCATEGORISED)},
            opacity=1.0 if d.status == "active" else 0.4,
            name=d.status,
            showlegend=False,
            text=[d.status if d.status != "active" else f"in force, expires {end:%-d %b}"],
            textposition="inside",
            insidetextanchor="start",
            hovertemplate=f"{d.id}<br>{d.status}<br>%{{base|%-d %b %H:%M}} to "
            f"{end:%-d %b %H:%M} UTC<extra></extra>",
        )
    figure.add_vline(x=now, line={"color": "#6b7280", "dash": "dot", "width": 1})
    starts = [d.effective_from for d in directives]
    ends = [d.ended_at or d.expires_at for d in directives]
    span = [min([*starts, period.start]), max([*ends, period.end])]
    figure.add_annotation(x=now, y=1, yref="paper", text="now", showarrow=False, yanchor="bottom")
    figure.update_layout(
        height=90 + 34 * len(directives),
        margin={"l": 260, "r": 20, "t": 24, "b": 40},
        xaxis={"type": "date", "title": {"text": "time (UTC)"}, "range": span},
        yaxis={"title": {"text": "directive"}, "automargin": True},
        barmode="overlay",
    )
    return figure


def _trigger(ctx: PageContext, d: DirectiveRow) -> str:
    t = d.trigger
    value = t.forecast if t.basis == "forecast" and t.forecast is not None else t.spend
    return f"{t.basis} ≥ {t.level}%: {ctx.money(value)} of {ctx.money(t.allocation)}"


def _ended(d: DirectiveRow) -> str:
    if d.status == "revoked":
        return f"revoked {when(d.ended_at)} by {d.revoked_by or 'an operator'}: {d.revoke_reason}"
    if d.status in ("lifted", "expired"):
        return f"{d.status} {when(d.ended_at)}"
    return ""


def _directives_table(ctx: PageContext, directives: list[DirectiveRow]) -> html.Div | html.P:
    if not directives:
        return html.P("No directive has been issued: every category is within its downgrade steps.")
    head = ["Category", "From → to", "Trigger", "Reason", "Effective", "Expires", "Status", ""]
    rows = [
        html.Tr(
            [
                html.Td(d.category),
                html.Td(f"{d.from_tier} → {d.to_tier}"),
                html.Td(_trigger(ctx, d)),
                html.Td(d.reason),
                html.Td(when(d.effective_from)),
                html.Td(when(d.expires_at)),
                html.Td(d.status, className=f"status status-{d.status}"),
                html.Td(_ended(d)),
            ],
            **components.data(directive=d.id),
        )
        for d in directives
    ]
    return html.Div(
        html.Table(
            [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
            className="money-table",
            id="directives-table",
        ),
        className="table-scroll",
    )


def delivery(alert: AlertRow, configured: bool, now: datetime) -> str:
    """An alert's delivery state in words. A pending alert's next attempt is only a time to
    wait for when a channel can send it and the time is still ahead."""
    if alert.status == "sent":
        return f"sent {when(alert.sent)}" + (f" to {alert.sent_to}" if alert.sent_to else "")
    if alert.status == "failed":
        return f"failed: {alert.last_error or 'unknown error'}"
    retry = f", last error: {alert.last_error}" if alert.last_error else ""
    if not configured:
        return f"waiting: no channel configured{retry}"
    if alert.next_attempt is None or alert.next_attempt <= now:
        return f"waiting, due now{retry}"
    return f"waiting, next attempt {when(alert.next_attempt)}{retry}"


def _alerts(activity: Activity, now: datetime) -> html.Div:
    note = (
        None
        if activity.alerts_configured
        else html.P(
            "No [alerts.slack] in the config: alerts are kept in the outbox and sent once it "
            "is configured.",
            className="note",
        )
    )
    if not activity.alerts:
        return html.Div([note, html.P("No alert yet: no level has been crossed.")])
    head = ["Created", "Kind", "Category", "Alert", "Delivery", "Attempts"]
    rows = [
        html.Tr(
            [
                html.Td(when(a.created)),
                html.Td(a.kind),
                html.Td(a.category or ""),
                html.Td(a.title),
                html.Td(
                    delivery(a, activity.alerts_configured, now),
                    className=f"status status-{a.status}",
                ),
                html.Td(str(a.attempts), className="num"),
            ]
        )
        for a in activity.alerts
    ]
    table = html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        className="money-table",
        id="alerts-table",
    )
    return html.Div([note, html.Div(table, className="table-scroll")])


def register(app: Dash, ctx: PageContext) -> None:
    """Nothing to call back: the page is built whole on navigation."""
