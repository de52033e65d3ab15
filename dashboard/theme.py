"""One look for every page: tier and category colours, the Plotly template, money formatting.

Colours are fixed per name, so a tier or category has the same colour on every page and chart.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

import plotly.graph_objects as go
import plotly.io as pio

TIER_COLOURS = {
    "premium": "#7b3294",
    "standard": "#2b83ba",
    "economy": "#1a9641",
    "unclassified": "#969696",
}
# Categories take these in the config's order; "uncategorised" is always grey.
CATEGORY_PALETTE = ("#e66101", "#5e3c99", "#0571b0", "#b2182b", "#4dac26", "#d01c8b", "#8c510a")
UNCATEGORISED = "#969696"
LEVEL_COLOURS = {70: "#f4a582", 90: "#d6604d", 100: "#b2182b"}
LEVEL_SHADES = tuple(LEVEL_COLOURS[level] for level in sorted(LEVEL_COLOURS))  # lightest first
OVER = "#b2182b"
OK = "#1a9641"

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF "}
CENT = Decimal("0.01")

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT, "size": 12, "color": "#222"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        xaxis={"gridcolor": "#eee", "linecolor": "#999"},
        yaxis={"gridcolor": "#eee", "linecolor": "#999", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
        hoverlabel={"font": {"family": FONT}},
    )
)


def level_colour(level: int, levels: Iterable[int]) -> str:
    """The colour of a threshold level: the default levels' own, otherwise by rank, the
    highest level darkest (thresholds are configurable)."""
    if level in LEVEL_COLOURS:
        return LEVEL_COLOURS[level]
    from_top = sorted({*levels, level}, reverse=True).index(level)
    return LEVEL_SHADES[max(len(LEVEL_SHADES) - 1 - from_top, 0)]


def ink(fill: str) -> str:
    """Dark or white text, whichever reads on ``fill`` (a ``#rrggbb`` colour)."""
    red, green, blue = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#222" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.6 else "#fff"


def register_template() -> None:
    pio.templates["governance"] = TEMPLATE


def category_colours(names: Iterable[str]) -> dict[str, str]:
    """A colour per category, in the order given (the config's), stable across pages."""
    colours = {"uncategorised": UNCATEGORISED}
    for index, name in enumerate(n for n in names if n != "uncategorised"):
        colours[name] = CATEGORY_PALETTE[index % len(CATEGORY_PALETTE)]
    return colours


def money(amount: Decimal, currency: str) -> str:
    """``$12,345.67``: the amount to the cent (half-even, as the ledger rounds)."""
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{symbol}{abs(rounded):,.2f}"


def axis_title(currency: str) -> str:
    """The unit of a money axis."""
    return f"spend ({currency})"


def percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.quantize(Decimal('0.1'))}%"
