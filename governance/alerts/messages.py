"""What an alert says, in words: pure functions from its facts to a channel-neutral message.

A channel lays the message out in its own format (Slack: Block Kit) and sends ``plain_text``
as the fallback that notifications and text-only clients show.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from governance.alerts.facts import (
    BurnFacts,
    Crossed,
    DirectiveFacts,
    Facts,
    Lifted,
    PeriodClosed,
    Ranked,
    Stale,
)
from governance.domain.budget import percent_used
from governance.domain.money import format_money

Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True)
class Message:
    """A titled message: a summary, labelled fields, headed lists of lines, and a link."""

    title: str
    summary: str
    severity: Severity = "info"
    fields: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (label, url)

    def plain_text(self) -> str:
        """The whole message as plain text."""
        lines = [self.title, self.summary]
        lines += [f"{label}: {value}" for label, value in self.fields]
        for heading, items in self.sections:
            lines.append(f"{heading}: " + "; ".join(items))
        if self.link is not None:
            lines.append(f"{self.link[0]}: {self.link[1]}")
        return "\n".join(lines)


def when(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def percent(value: Decimal, allocation: Decimal) -> str:
    used = percent_used(value, allocation)
    return "-" if used is None else f"{used.normalize():f}%"


def _ranked(items: Ranked, currency: str) -> list[str]:
    return [f"{name}: {format_money(cost, currency)}" for name, cost in items] or ["none yet"]


def _burn(burn: BurnFacts, currency: str) -> str:
    spent = format_money(burn.spend, currency)
    day = f"{burn.day:%a %d %b}" + ("" if burn.complete else " so far")
    if burn.average is None:
        return f"{spent} on {day}, the period's first day"
    text = f"{spent} on {day} against {format_money(burn.average, currency)}/day before it"
    if burn.average > 0:
        text += f" ({burn.spend / burn.average:.1f}x)"
    return text


def _directive(directive: DirectiveFacts) -> list[str]:
    lines = [
        f"{directive.id}: route {directive.from_tier} to {directive.to_tier} "
        f"until {when(directive.expires_at)}"
    ]
    if directive.substitutes:
        pairs = ", ".join(f"{a} -> {b}" for a, b in sorted(directive.substitutes.items()))
        lines.append(f"substitutes: {pairs}")
    return lines


def crossing_message(facts: Crossed) -> Message:
    """A category crossed levels: the highest as the headline, what drives the spend below."""
    top, money = facts.crossed[0], facts.currency
    if top.basis == "forecast":
        title = f"{facts.category} is forecast to reach {top.level}% of its allocation"
    else:
        title = f"{facts.category} has reached {top.level}% of its allocation"
    spend = format_money(facts.spend, money)
    allocation = format_money(facts.allocation, money)
    summary = (
        f"{facts.category} has spent {spend} of its {allocation} allocation for {facts.period} "
        f"({percent(facts.spend, facts.allocation)}); the forecast for the period is "
        f"{format_money(facts.forecast, money)} ({percent(facts.forecast, facts.allocation)})."
    )
    severity: Severity = "critical" if top.level >= 100 else "warning"
    fields = [
        ("Spend", f"{spend} of {allocation} ({percent(facts.spend, facts.allocation)})"),
        (
            "Forecast",
            f"{format_money(facts.forecast, money)} (80% interval "
            f"{format_money(facts.forecast_low, money)} to "
            f"{format_money(facts.forecast_high, money)})",
        ),
        ("Crossed", ", ".join(f"{c.level}% {c.basis}" for c in facts.crossed)),
    ]
    if facts.burn is not None:
        fields.append(("Burn", _burn(facts.burn, money)))
    sections = [
        ("Top models this period", _ranked(facts.top_models, money)),
        ("Top teams this period", _ranked(facts.top_teams, money)),
    ]
    for directive in facts.directives:
        sections.append(("Directive issued", _directive(directive)))
    return Message(title, summary, severity, fields, sections)


def lifted_message(facts: Lifted) -> Message:
    """A directive lifted before its period's end (its category's allocation was raised)."""
    d, money = facts.directive, facts.currency
    return Message(
        f"{facts.category}: directive lifted, {d.from_tier} is no longer routed to {d.to_tier}",
        f"{d.id} was lifted at {when(facts.at)}: at the allocation of "
        f"{format_money(facts.allocation, money)}, the spend of "
        f"{format_money(facts.spend, money)} and the forecast of "
        f"{format_money(facts.forecast, money)} no longer reach its level.",
        "info",
        [("Spend", f"{percent(facts.spend, facts.allocation)} of the allocation")],
    )


def stale_message(facts: Stale) -> Message:
    """A source that has produced no data for too long: evaluations miss its spend."""
    if facts.last_success is None:
        since = "has never produced data"
    else:
        hours = (facts.at - facts.last_success).total_seconds() / 3600
        since = f"has produced no data since {when(facts.last_success)} ({hours:.0f} h)"
    return Message(
        f"Source {facts.source} is stale",
        f"{facts.source} {since}. Its spend is missing from evaluations until it is read again.",
        "warning",
    )


def period_closed_message(facts: PeriodClosed) -> Message:
    """A period's summary: each category's spend against its allocation."""
    money = facts.currency
    total = sum((c.spend for c in facts.categories), Decimal(0))
    lines = [
        f"{c.name}: {format_money(c.spend, money)} of {format_money(c.allocation, money)} "
        f"({percent(c.spend, c.allocation)})" + (" over" if c.spend > c.allocation > 0 else "")
        for c in facts.categories
    ]
    over = [c.name for c in facts.categories if c.spend > c.allocation > 0]
    return Message(
        f"{facts.period} closed: {format_money(total, money)} of "
        f"{format_money(facts.budget, money)} spent ({percent(total, facts.budget)})",
        f"Over their allocation: {', '.join(over)}." if over else "Every category kept within.",
        "warning" if over else "info",
        sections=[("Categories", lines)],
    )


def render(facts: Facts, dashboard_url: str | None = None) -> Message:
    """The message for ``facts``, with a link to the dashboard when one is given."""
    match facts:
        case Crossed():
            message = crossing_message(facts)
        case Lifted():
            message = lifted_message(facts)
        case Stale():
            message = stale_message(facts)
        case PeriodClosed():
            message = period_closed_message(facts)
    if dashboard_url:
        message = replace(message, link=("Open the dashboard", dashboard_url))
    return message
