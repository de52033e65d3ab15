"""The Dash app: a navigation bar and one page per path, served by the API's WSGI server.

``make_dashboard(governance)`` builds it; ``dashboard.server`` (a Flask app) is the WSGI app
that ``governance.api.make_wsgi_app`` hands every non-API path to.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs

import flask
from dash import Dash, Input, Output, dcc, html

from dashboard import theme
from dashboard.context import PageContext
from dashboard.pages import bill, data, directives, economics, overview, spend
from governance.context import Governance
from governance.exceptions import GovernanceError

log = logging.getLogger(__name__)

# (path, title, module): each module has layout(ctx, **query) and register(app, ctx).
PAGES: tuple[tuple[str, str, ModuleType], ...] = (
    ("/", "Overview", overview),
    ("/spend", "Spend", spend),
    ("/directives", "Directives & alerts", directives),
    ("/data", "Data", data),
    ("/bill", "Bill vs gateway", bill),
    ("/economics", "Economics", economics),
)
# /directives is the router contract on the API; the page lives under this path.
PAGE_PATHS = {path if path != "/directives" else "/activity": module for path, _, module in PAGES}


def _nav() -> html.Nav:
    links = [
        dcc.Link(title, href=path if path != "/directives" else "/activity", className="nav-link")
        for path, title, _ in PAGES
    ]
    return html.Nav([html.Span("spend-governance", className="brand"), *links], className="nav")


def make_dashboard(governance: Governance) -> Dash:
    """The dashboard of ``governance``; its pages read through the ledger's read models."""
    theme.register_template()
    ctx = PageContext(governance)
    app = Dash(
        __name__,
        server=flask.Flask(__name__),  # type: ignore[arg-type]  # Dash's hint omits Flask
        assets_folder=str(Path(__file__).parent / "assets"),
        title="spend-governance",
        update_title=None,  # type: ignore[arg-type]  # None turns the "Updating…" title off
        suppress_callback_exceptions=True,  # pages are laid out on navigation
        serve_locally=True,  # no CDN: the machine may have no internet
    )
    app.layout = html.Div(
        # callback-nav: a page that sets the URL (the overview's period) is redrawn, not reloaded.
        [
            dcc.Location(id="url", refresh="callback-nav"),
            _nav(),
            html.Main(id="page", className="page"),
        ],
        className="shell",
    )

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def show(pathname: str | None, search: str | None) -> Any:
        module = PAGE_PATHS.get(pathname or "/")
        if module is None:
            return html.Div([html.H2("Not found"), dcc.Link("Overview", href="/")])
        query = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
        try:
            return module.layout(ctx, **query)
        except GovernanceError as exc:  # the database is down: say so, keep the app up
            log.warning("page %s: %s", pathname, exc)
            return html.Div(
                [html.H2("The ledger cannot be read"), html.P(str(exc))], className="problem"
            )

    for _, _, module in PAGES:
        module.register(app, ctx)
    return app
